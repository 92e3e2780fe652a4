/**
 * The soak's supergraph, shaped as it is deployed: the six subgraphs and the gateway each in a
 * process of its own (`packages/launcher` from source, `cli.ts <service>`), the embedded MongoDB
 * in another, against this machine's Redis (127.0.0.1:6379, a key prefix of its own, deleted at
 * the end) and PostgreSQL (127.0.0.1:5432, a fresh database, dropped at the end). Each process's
 * pid is kept so its resident memory can be sampled.
 */
import { SERVICE_NAMES, generateSigningKeys, repoRoot, silentLogger, type ServiceName } from '@social/kit';
import { childEnvironments } from '@social/launcher';
import { MONGO_EMBEDDED_BIN, uriOfChild } from '@social/mongo-embedded';
import { freePorts, migrate } from '@social/stack';
import { eventually } from '@social/testing';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const SOAK_POSTGRES_URL =
  process.env.SOAK_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const SOAK_REDIS_URL = process.env.SOAK_REDIS_URL ?? 'redis://127.0.0.1:6379';

const LAUNCHER = join(repoRoot, 'packages/launcher/src/cli.ts');

/** A process of the stack whose memory is sampled. */
export interface StackProcess {
  readonly name: ServiceName | 'mongo';
  readonly pid: number;
  /**
   * The service's inspector (`--inspect=127.0.0.1:0`, the DevTools protocol), through which the
   * soak forces a full GC and reads the V8 heap left in use: see metrics.ts `heapAfterGcMb`.
   */
  readonly inspectorUrl?: string;
}

export interface SoakStack {
  readonly gatewayUrl: string;
  readonly databaseUrl: string;
  readonly mongoUrl: string;
  /** Prefix of the services' MongoDB databases (`<prefix>social_chat`...). */
  readonly mongoDbPrefix: string;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly mailOutbox: string;
  readonly processes: readonly StackProcess[];
  /** Services that exited while they should have been running (a crash is a soak failure). */
  readonly crashes: readonly string[];
  /** Where each process's output goes. */
  readonly logDir: string;
  stop(): Promise<void>;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await exited(child, 15_000))) {
    child.kill('SIGKILL');
    await exited(child, 5_000);
  }
}

async function adminSql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: SOAK_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Settings on top of the defaults that let a load test measure the system, not its quotas. */
const SOAK_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  // Auth's per-IP limits and chat's per-sender limit would refuse a load generator on one address.
  RATE_LIMITS_ENABLED: 'false',
  CHAT_SEND_RATE_POINTS: '1000000',
  // A long run outlives the default 15-minute access token (the gateway closes the sockets then).
  ACCESS_TOKEN_TTL_SECONDS: String(6 * 3600),
  BCRYPT_COST: '10',
};

export async function startSoakStack(options: { env?: Record<string, string> } = {}): Promise<SoakStack> {
  const runId = randomBytes(4).toString('hex');
  const work = mkdtempSync(join(tmpdir(), `soak-${runId}-`));
  const logDir = join(work, 'logs');
  mkdirSync(logDir, { recursive: true });
  const databaseName = `soak_${runId}`;
  const redisKeyPrefix = `soak-${runId}:`;
  const mongoDbPrefix = `soak_${runId}_`;
  const children: Array<{ name: ServiceName | 'mongo'; child: ChildProcess; log: WriteStream }> = [];
  const crashes: string[] = [];
  let stopping = false;
  const cleanups: Array<() => Promise<unknown>> = [];

  const stop = async () => {
    stopping = true;
    // The gateway first, then the subgraphs, then MongoDB.
    const order = [...children].reverse();
    const services = order.filter((entry) => entry.name !== 'mongo');
    const gateway = services.find((entry) => entry.name === 'gateway');
    if (gateway) await stopChild(gateway.child).catch(() => undefined);
    await Promise.all(services.map((entry) => stopChild(entry.child).catch(() => undefined)));
    for (const entry of order.filter((e) => e.name === 'mongo')) await stopChild(entry.child);
    for (const entry of children) entry.log.end();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (!process.env.SOAK_KEEP_LOGS) rmSync(work, { recursive: true, force: true });
  };

  // Should this process die first, its services go with it.
  const killAll = () => {
    for (const entry of children) if (entry.child.exitCode === null) entry.child.kill('SIGTERM');
  };
  process.once('exit', killAll);
  cleanups.push(async () => void process.off('exit', killAll));

  const launch = (name: ServiceName | 'mongo', args: string[], env: NodeJS.ProcessEnv) => {
    const log = createWriteStream(join(logDir, `${name}.log`));
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('exit', (code, signal) => {
      if (!stopping) crashes.push(`${name} exited (code ${code}, signal ${signal})`);
    });
    children.push({ name, child, log });
    return child;
  };

  try {
    const [mongoPort, ...servicePorts] = await freePorts(1 + SERVICE_NAMES.length);
    const mongo = launch(
      'mongo',
      [MONGO_EMBEDDED_BIN, '--port', String(mongoPort), '--data', join(work, 'mongo'), '--quiet'],
      { PATH: process.env.PATH },
    );
    const mongoUrl = await uriOfChild(mongo);

    await adminSql(`CREATE DATABASE ${databaseName}`);
    cleanups.push(() => adminSql(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    const databaseUrl = new URL(SOAK_POSTGRES_URL);
    databaseUrl.pathname = `/${databaseName}`;
    await migrate({ databaseUrl: databaseUrl.toString(), logger: silentLogger() });

    cleanups.push(async () => {
      const redis = new Redis(SOAK_REDIS_URL, { maxRetriesPerRequest: 2 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisKeyPrefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    });

    const keys = await generateSigningKeys();
    const mailOutbox = join(work, 'mail-outbox.jsonl');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      ...SOAK_ENV,
      DATABASE_URL: databaseUrl.toString(),
      MONGO_URL: mongoUrl,
      MONGO_DB_PREFIX: mongoDbPrefix,
      REDIS_URL: SOAK_REDIS_URL,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      JWT_PRIVATE_KEY: keys.privateKeyPem,
      MAIL_OUTBOX: mailOutbox,
      MEDIA_STORAGE_DIR: join(work, 'media'),
      ...Object.fromEntries(
        SERVICE_NAMES.map((name, i) => [`${name.toUpperCase()}_PORT`, String(servicePorts[i])]),
      ),
      ...options.env,
    };
    const environments = childEnvironments(env);
    // Extra node flags for the service processes, e.g. to investigate their memory:
    // SOAK_NODE_OPTIONS='--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp/snaps'.
    const nodeOptions = (process.env.SOAK_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
    const args = (name: ServiceName) => [
      '--inspect=127.0.0.1:0',
      ...nodeOptions,
      '--import',
      'tsx',
      '--conditions=development',
      LAUNCHER,
      name,
    ];
    const inspectorUrls = new Map<ServiceName, Promise<string | undefined>>();
    for (const name of SERVICE_NAMES) {
      const child = launch(name, args(name), environments.get(name)!);
      inspectorUrls.set(
        name,
        new Promise((resolve) => {
          let output = '';
          const onData = (chunk: Buffer) => {
            output += chunk.toString();
            const url = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
            if (url || output.length > 100_000) {
              child.stderr!.off('data', onData);
              resolve(url);
            }
          };
          child.stderr!.on('data', onData);
          child.once('exit', () => resolve(undefined));
        }),
      );
    }

    const portOf = (name: ServiceName) => servicePorts[SERVICE_NAMES.indexOf(name)];
    // Every service answers /ready (its Redis, MongoDB or PostgreSQL reachable), then the gateway.
    for (const name of SERVICE_NAMES) {
      await eventually(
        async () => {
          if (crashes.length > 0) throw new Error(`${crashes.join('; ')} (logs: ${logDir})`);
          return fetch(`http://127.0.0.1:${portOf(name)}/ready`)
            .then((response) => response.status)
            .catch(() => 0);
        },
        (status) => status === 200,
        { what: `${name} /ready`, timeoutMs: 180_000 },
      );
    }
    return {
      gatewayUrl: `http://127.0.0.1:${portOf('gateway')}/graphql`,
      databaseUrl: databaseUrl.toString(),
      mongoUrl,
      mongoDbPrefix,
      redisUrl: SOAK_REDIS_URL,
      redisKeyPrefix,
      mailOutbox,
      processes: await Promise.all(
        children.map(async ({ name, child }) => ({
          name,
          pid: child.pid!,
          inspectorUrl: name === 'mongo' ? undefined : await inspectorUrls.get(name),
        })),
      ),
      crashes,
      logDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
