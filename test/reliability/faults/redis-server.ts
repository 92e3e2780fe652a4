/**
 * A private redis-server for fault tests (never the machine's 6379): its own port and directory,
 * append-only file fsynced on every write, so a SIGKILL loses nothing Redis acknowledged.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { startSupergraph, type Supergraph } from '@social/testing';
import { Redis } from 'ioredis';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnProcess, whenListening, type ManagedProcess } from './processes.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** SIGKILL: a crash; what was acknowledged is in the AOF. */
  kill(): Promise<void>;
  /** `SHUTDOWN` as an operator would (graceful: persists, closes clients). */
  shutdown(): Promise<void>;
  /** Starts the server again on the same port with the same directory (and AOF). */
  start(): Promise<void>;
  /** Deletes its persisted data (while stopped): the next start is an empty Redis. */
  wipe(): Promise<void>;
  /** Stops it for good and removes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fault-redis-'));
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = spawnProcess(
      'redis-server',
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--protected-mode',
        'yes',
      ],
      { PATH: process.env.PATH ?? '' },
    );
    await whenListening(proc, port, 30_000);
  };
  await start();
  const running = () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return running();
    },
    async kill() {
      await proc?.kill('SIGKILL');
    },
    async shutdown() {
      if (!running()) return;
      const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.call('SHUTDOWN').catch(() => undefined);
      } finally {
        client.disconnect();
      }
      await proc?.exited;
    },
    start,
    async wipe() {
      if (running()) throw new Error('stop the server before wiping its data');
      for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
    },
    async destroy() {
      await proc?.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file: the whole supergraph on a private Redis, started before its tests and stopped
 * after them (jest hooks). The properties are set once `beforeAll` has run.
 */
export function supergraphOnPrivateRedis(): { readonly redis: PrivateRedis; readonly sg: Supergraph } {
  const bed = {} as { redis: PrivateRedis; sg: Supergraph };
  beforeAll(async () => {
    bed.redis = await startPrivateRedis();
    bed.sg = await startSupergraph({ redisUrl: bed.redis.url, env: { BCRYPT_COST: '4' } });
  }, 180_000);
  afterAll(async () => {
    const stopping = Date.now();
    await bed.sg?.stop();
    if (Date.now() - stopping > 10_000)
      console.warn(`stopping the supergraph took ${Date.now() - stopping} ms`);
    await bed.redis?.destroy();
  });
  return bed;
}
