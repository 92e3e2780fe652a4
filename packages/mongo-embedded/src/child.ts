import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The `mongo-embedded` CLI (bin/mongo-embedded.js: the compiled server when built, else the
 * sources through tsx), for scripts that run the server as a process of its own.
 */
export const MONGO_EMBEDDED_BIN = fileURLToPath(new URL('../bin/mongo-embedded.js', import.meta.url));

/**
 * The URI a `mongo-embedded` CLI child process (bin/mongo-embedded.js, stdout piped) prints once
 * it listens; rejects if the child exits first. For scripts that run the server as a process of
 * its own (the soak, the production smoke test).
 */
export function uriOfChild(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (!child.stdout) {
      reject(new Error('mongo-embedded child needs stdout piped'));
      return;
    }
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('mongodb://'));
      if (line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`mongo-embedded exited with ${code} before listening`)));
  });
}
