/**
 * Jest global setup (loaded through global-setup.js): one embedded PostgreSQL for the whole run (each harness creates its own
 * database on it). Skipped when DATABASE_URL names a server to use instead.
 *
 * It also builds one migrated template database per set of migrations (TEST_PG_TEMPLATE_DB), so a
 * harness gets a ready auth schema with `CREATE DATABASE ... TEMPLATE` instead of migrating.
 */
import { repoRoot, silentLogger } from '@social/kit';
import { ensureMigratedTemplate, startEmbeddedPostgres, type PostgresServer } from '@social/stack';
import { join } from 'node:path';

declare global {
  var __SOCIAL_TEST_PG__: PostgresServer | undefined;
}

export async function setup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_SERVER_URL = process.env.DATABASE_URL;
  } else {
    const server = await startEmbeddedPostgres({
      dataDir: join(repoRoot, '.data', `test-postgres-${process.pid}`),
      persistent: false,
      logger: silentLogger(),
    });
    globalThis.__SOCIAL_TEST_PG__ = server;
    process.env.TEST_PG_SERVER_URL = server.url;
  }
  // Named after the migrations' hash: on a shared server (DATABASE_URL) it is reused by later runs
  // until a migration changes. A broken migration must not fail unrelated suites: without a
  // template each harness migrates its own database and reports the error where it matters.
  try {
    process.env.TEST_PG_TEMPLATE_DB = await ensureMigratedTemplate(process.env.TEST_PG_SERVER_URL, {
      prefix: 'test_tpl_auth',
    });
  } catch (error) {
    delete process.env.TEST_PG_TEMPLATE_DB;
    console.warn(`No migrated template database (tests migrate their own): ${(error as Error).message}`);
  }
}

export async function teardown(): Promise<void> {
  await globalThis.__SOCIAL_TEST_PG__?.stop();
  globalThis.__SOCIAL_TEST_PG__ = undefined;
  delete process.env.TEST_PG_TEMPLATE_DB;
}
