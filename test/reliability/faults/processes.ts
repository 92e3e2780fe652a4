/**
 * Child processes for fault tests: something to SIGKILL for real (a crash, not a graceful stop),
 * then start again on the same port. Loopback only; every process is the test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export { freePort } from '@social/stack';

/** Resolves once something accepts TCP connections on `port` (polling), or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far (the last 64 KiB), for failure messages. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `command args` with `env`, keeping its output; nothing is inherited from the test's stdio. */
export function spawnProcess(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ManagedProcess {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    child,
    output: () => log,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Node with the repository's development conditions and the TypeScript loader (runs src/*.ts). */
export function nodeFromSource(
  name: string,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ManagedProcess {
  return spawnProcess(
    name,
    process.execPath,
    ['--conditions=development', '--import', 'tsx', script, ...args],
    env,
  );
}

/** Waits until `port` accepts connections, failing early (with its output) if the process exits. */
export async function whenListening(proc: ManagedProcess, port: number, timeoutMs = 90_000): Promise<void> {
  const exit = proc.exited.then(({ code, signal }) => {
    throw new Error(`${proc.name} exited (${code ?? signal}) before listening:\n${proc.output()}`);
  });
  exit.catch(() => undefined);
  await Promise.race([waitForPort(port, timeoutMs), exit]);
}
