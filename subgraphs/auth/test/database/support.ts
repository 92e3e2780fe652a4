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
import { dropDatabase, ensureDatabase } from '../../../../packages/stack/src/postgres.js';

export function serverUrl(): string {
  const url = process.env.TEST_PG_SERVER_URL;
  if (!url)
    throw new Error('TEST_PG_SERVER_URL is not set: run these tests through `npm test` (Jest global setup)');
  return url;
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
    url = await ensureDatabase(serverUrl(), name);
    if (options.migrated) await migrate({ databaseUrl: url });
  }
  return { name, url, drop: () => dropDatabase(serverUrl(), name) };
}

/**
 * A migrated database for this test file and one connection to it; every test runs in a
 * transaction that is rolled back, so tests see only their own rows. Call at the top of a file.
 */
export function useMigratedDatabasePerTestTransaction(): (() => pg.Client) & { url(): string } {
  let db: TestDatabase | undefined;
  let client: pg.Client | undefined;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    client = await connect(db.url);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });
  beforeEach(() => client!.query('BEGIN'));
  afterEach(() => client!.query('ROLLBACK'));
  return Object.assign(() => client!, { url: () => db!.url });
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
