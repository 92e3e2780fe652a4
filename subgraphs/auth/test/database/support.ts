/**
 * Test databases for the auth schema tests: each test file gets its own database on the run's
 * PostgreSQL server (Jest global setup), dropped when the file is done.
 *
 * The migrator is imported from its module rather than from `@social/stack`, whose index boots the
 * whole supergraph: these tests must not depend on the services' code.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createDatabaseFromTemplate, migrate } from '../../../../packages/stack/src/migrate.js';

export function serverUrl(): string {
  const url = process.env.TEST_PG_SERVER_URL;
  if (!url)
    throw new Error('TEST_PG_SERVER_URL is not set: run these tests through `npm test` (Jest global setup)');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A new database: empty, or with the auth migrations applied (copied from the run's migrated
 * template when there is one, else migrated here).
 */
export async function createTestDatabase(options: { migrated: boolean }): Promise<TestDatabase> {
  const name = `test_authdb_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const template = process.env.TEST_PG_TEMPLATE_DB;
  let url: string;
  if (options.migrated && template) {
    url = await createDatabaseFromTemplate(serverUrl(), name, template);
  } else {
    await admin(`CREATE DATABASE ${name}`);
    url = withDatabase(serverUrl(), name);
    if (options.migrated) await migrate({ databaseUrl: url });
  }
  return { name, url, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** A bcrypt-shaped password hash (60 characters). */
export const PASSWORD_HASH = `$2b$12$${'a'.repeat(53)}`;

/** The PostgreSQL error a statement fails with (fails the test when it succeeds). */
export async function sqlError(
  client: pg.Client,
  sql: string,
  values: unknown[] = [],
): Promise<{ code: string; message: string; constraint?: string }> {
  await client.query('SAVEPOINT expect_error');
  try {
    await client.query(sql, values);
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT expect_error');
    return error as { code: string; message: string; constraint?: string };
  }
  await client.query('RELEASE SAVEPOINT expect_error');
  throw new Error(`Expected the statement to fail: ${sql}`);
}
