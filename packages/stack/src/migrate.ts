/**
 * Database helpers of the dev stack and the test harness around the auth migrator. The migrator
 * itself lives in `@social/launcher` (production runs it without this package and its embedded
 * PostgreSQL); it is re-exported here for `npm run migrate`, the dev runner and the tests.
 */
import { AUTH_MIGRATIONS_DIR, migrate, migrationsFingerprint } from '@social/launcher';
import type { Logger } from '@social/kit';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { admin, withDatabase } from './postgres.js';

export {
  AUTH_MIGRATIONS_DIR,
  PRISMA_MIGRATE_LOCK_ID,
  checksumMatches,
  migrate,
  migrationChecksum,
  migrationsFingerprint,
  readMigrations,
  type LocalMigration,
  type MigrateOptions,
  type MigrateResult,
} from '@social/launcher';

const SAFE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates database `name` as a copy of `template` (fast: no migrations to run); returns its URL. */
export async function createDatabaseFromTemplate(
  serverUrl: string,
  name: string,
  template: string,
): Promise<string> {
  for (const value of [name, template]) {
    if (!SAFE_NAME.test(value)) throw new Error(`Unsafe database name: ${value}`);
  }
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return withDatabase(serverUrl, name);
}

/**
 * A migrated template database on the server, named after the migrations' fingerprint so that a
 * changed migration gets a new template. Reused when it already exists; built under a temporary
 * name and renamed when complete, so a half-built template is never used.
 */
export async function ensureMigratedTemplate(
  serverUrl: string,
  options: { migrationsDir?: string; prefix?: string; logger?: Logger } = {},
): Promise<string> {
  const migrationsDir = options.migrationsDir ?? AUTH_MIGRATIONS_DIR;
  const name = `${options.prefix ?? 'tpl_auth'}_${(await migrationsFingerprint(migrationsDir)).slice(0, 16)}`;
  if (!SAFE_NAME.test(name)) throw new Error(`Unsafe database name: ${name}`);
  const exists = (client: pg.Client, database: string) =>
    client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]).then((r) => r.rowCount === 1);

  if (await admin(serverUrl, (client) => exists(client, name))) return name;

  const building = `${name.slice(0, 40)}_build_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
  await admin(serverUrl, (client) => client.query(`CREATE DATABASE ${building}`));
  try {
    await migrate({
      databaseUrl: withDatabase(serverUrl, building),
      migrationsDir,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    await admin(serverUrl, async (client) => {
      try {
        await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      } catch (error) {
        // Another process finished the same template meanwhile (duplicate_database): keep theirs.
        if ((error as { code?: string }).code !== '42P04') throw error;
        await client.query(`DROP DATABASE ${building}`);
      }
    });
  } catch (error) {
    await admin(serverUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`),
    ).catch(() => undefined);
    throw error;
  }
  return name;
}
