/**
 * Jest global setup (loaded through global-setup.js): one embedded PostgreSQL for the whole run (each harness creates its own
 * database on it). Skipped when DATABASE_URL names a server to use instead.
 */
import { silentLogger } from '@social/kit';
import { startEmbeddedPostgres, type PostgresServer } from '@social/stack';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/subgraphs.js';

declare global {
  var __SOCIAL_TEST_PG__: PostgresServer | undefined;
}

export async function setup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const server = await startEmbeddedPostgres({
    dataDir: join(repoRoot, '.data', `test-postgres-${process.pid}`),
    persistent: false,
    logger: silentLogger(),
  });
  globalThis.__SOCIAL_TEST_PG__ = server;
  process.env.TEST_PG_SERVER_URL = server.url;
}

export async function teardown(): Promise<void> {
  await globalThis.__SOCIAL_TEST_PG__?.stop();
  globalThis.__SOCIAL_TEST_PG__ = undefined;
}
