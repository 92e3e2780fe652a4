/**
 * The embedded MongoDB server (packages/mongo-embedded's CLI, from source) as a child process with
 * a data directory: SIGKILL it (a crash) or SIGTERM it (a graceful stop), then start it again on
 * the same port with the same directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, nodeFromSource, whenListening, type ManagedProcess } from './processes.js';

const CLI = 'packages/mongo-embedded/src/cli.ts';

export interface MongoProcess {
  /** Connection string for the official driver (replica set rs0, as the services expect). */
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string;
  kill(): Promise<void>;
  /** SIGTERM: the server flushes and exits. */
  stop(): Promise<void>;
  /** Starts it again, same port and directory. */
  start(): Promise<void>;
  /** Kills it and removes the data directory. */
  destroy(): Promise<void>;
}

export async function startMongoProcess(): Promise<MongoProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'fault-mongo-'));
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = nodeFromSource('mongo-embedded', CLI, ['--port', String(port), '--data', dataDir, '--quiet'], {
      PATH: process.env.PATH ?? '',
    });
    await whenListening(proc, port);
  };
  await start();
  return {
    uri: `mongodb://127.0.0.1:${port}/?replicaSet=rs0`,
    port,
    dataDir,
    kill: async () => proc?.kill('SIGKILL'),
    async stop() {
      await proc?.kill('SIGTERM');
      const exit = await proc?.exited;
      if (exit && exit.code !== 0)
        throw new Error(`mongo-embedded stopped badly (${exit.code ?? exit.signal})`);
    },
    start,
    async destroy() {
      await proc?.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
