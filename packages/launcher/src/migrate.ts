/**
 * Applies the auth database's SQL migrations (`prisma/auth/migrations/NNNN_name/migration.sql`)
 * the way `prisma migrate deploy` does, because Prisma's schema engine cannot run here (DESIGN 2):
 *
 * - the run holds Prisma Migrate's session advisory lock, `pg_advisory_lock(72707369)`, so
 *   concurrent runs (ours or Prisma's) apply each migration once;
 * - `_prisma_migrations` is created with Prisma's DDL and each migration gets Prisma's row: a
 *   random UUID id, the SHA-256 hex checksum of migration.sql, started_at/finished_at,
 *   applied_steps_count 1, and the error in `logs` when it fails;
 * - an applied migration whose file changed (checksum compared like Prisma: line-ending agnostic)
 *   or a failed migration left by a previous run stops the run, as Prisma's P3008/P3009 do.
 *
 * Each migration runs in its own transaction together with the update that marks it finished.
 *
 * It lives in the launcher because production runs it (`cli.js migrate`, and first thing in
 * `cli.js all`); `@social/stack` re-exports it for `npm run migrate`, the dev runner and tests.
 */
import { repoRoot, type Logger } from '@social/kit';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/** Prisma Migrate's advisory lock key (prisma-engines, sql-schema-connector, postgres flavour). */
export const PRISMA_MIGRATE_LOCK_ID = 72707369;

/** The auth service's migrations folder. */
export const AUTH_MIGRATIONS_DIR = join(repoRoot, 'prisma', 'auth', 'migrations');

/** `_prisma_migrations` exactly as Prisma's PostgreSQL connector creates it. */
const MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export interface MigrateOptions {
  /** Connection URL of the database to migrate (it must exist). */
  readonly databaseUrl: string;
  /** Folder of `NNNN_name/migration.sql` directories; defaults to the auth migrations. */
  readonly migrationsDir?: string;
  readonly logger?: Logger;
  /** How long to wait for another run's lock before failing (default 60 s). */
  readonly lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Migrations applied by this run, in order. */
  readonly applied: string[];
  /** Migrations that were already applied. */
  readonly skipped: string[];
}

export interface LocalMigration {
  readonly name: string;
  readonly path: string;
  readonly script: string;
  readonly checksum: string;
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

const sha256 = (script: string) => createHash('sha256').update(script, 'utf8').digest();

/** Prisma's checksum of a migration script: SHA-256 of the file, lowercase hex, 64 characters. */
export function migrationChecksum(script: string): string {
  return sha256(script).toString('hex');
}

/**
 * Whether `script` matches a recorded checksum, as Prisma decides it: the script as is, with CRLF
 * turned into LF, or with LF turned into CRLF (git may rewrite line endings on checkout); checksums
 * written by old Prisma versions without zero padding are accepted too.
 */
export function checksumMatches(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = sha256(variant);
    const rendered =
      checksum.length !== 0 && checksum.length !== 64
        ? [...digest].map((byte) => byte.toString(16)).join('')
        : digest.toString('hex');
    return rendered === checksum;
  });
}

/** The migrations in `dir`, in the order Prisma applies them (folder names, sorted). */
export async function readMigrations(dir: string = AUTH_MIGRATIONS_DIR): Promise<LocalMigration[]> {
  if (!existsSync(dir)) throw new Error(`Migrations folder not found: ${dir}`);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name, 'migration.sql');
      if (!existsSync(path)) throw new Error(`Migration ${name} has no migration.sql (${path})`);
      const script = await readFile(path, 'utf8');
      return { name, path, script, checksum: migrationChecksum(script) };
    }),
  );
}

/** A short fingerprint of a migrations folder: changes whenever a migration is added or edited. */
export async function migrationsFingerprint(dir: string = AUTH_MIGRATIONS_DIR): Promise<string> {
  const hash = createHash('sha256');
  for (const migration of await readMigrations(dir))
    hash.update(`${migration.name}\0${migration.checksum}\0`);
  return hash.digest('hex');
}

async function migrationsTableExists(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists`,
  );
  return rows[0]?.exists === true;
}

/** Prisma refuses to start migrating a non-empty database it has no history for (P3005). */
async function assertEmptySchema(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c
     WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
     ORDER BY c.relname LIMIT 5`,
  );
  if (rows.length > 0) {
    throw new Error(
      `Refusing to migrate: the database has tables (${rows.map((r) => r.relname).join(', ')}) but no ` +
        '_prisma_migrations history. Baseline it first (mark the migrations its schema already contains ' +
        'as applied, e.g. `prisma migrate resolve --applied <name>`).',
    );
  }
}

function errorLogs(error: unknown): string {
  const pgError = error as { code?: string; message?: string; position?: string };
  const message = pgError.message ?? String(error);
  return pgError.code
    ? `Database error code: ${pgError.code}\n\nDatabase error:\n${message}${pgError.position ? `\n\nPosition: ${pgError.position}` : ''}`
    : message;
}

/**
 * Applies pending migrations to `databaseUrl` and records them in `_prisma_migrations`.
 * Throws, naming the migration, when one fails, when an applied migration was modified, or when
 * a failed migration from an earlier run has not been resolved.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const migrationsDir = options.migrationsDir ?? AUTH_MIGRATIONS_DIR;
  const logger = options.logger?.child({ component: 'migrate' });
  const migrations = await readMigrations(migrationsDir);

  const client = new pg.Client({ connectionString: options.databaseUrl });
  // A connection lost between queries surfaces as the next query's error, not as a crash.
  client.on('error', (error) => logger?.debug({ err: error }, 'migration connection error'));
  await client.connect();
  let locked = false;
  try {
    await client.query(`SET lock_timeout = ${Math.max(0, Math.floor(options.lockTimeoutMs ?? 60_000))}`);
    try {
      await client.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_ID})`);
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error;
      throw new Error(
        `Timed out waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_ID})): another migration run holds it`,
        { cause: error },
      );
    }
    locked = true;
    await client.query('RESET lock_timeout');

    if (!(await migrationsTableExists(client))) {
      await assertEmptySchema(client);
      await client.query(MIGRATIONS_TABLE_DDL);
    }

    const { rows } = await client.query<MigrationRow>(
      `SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs
       FROM _prisma_migrations ORDER BY started_at`,
    );

    const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
    if (failed) {
      throw new Error(
        `Migration ${failed.migration_name} failed in an earlier run (started ${failed.started_at.toISOString()}); ` +
          'no further migrations are applied until it is resolved. Repair the database, then mark it rolled back ' +
          `(\`prisma migrate resolve --rolled-back ${failed.migration_name}\`, or set rolled_back_at on its ` +
          `_prisma_migrations row) so it runs again.${failed.logs ? `\n${failed.logs}` : ''}`,
      );
    }

    const applied = new Map<string, MigrationRow>();
    for (const row of rows) {
      if (row.finished_at !== null && row.rolled_back_at === null) applied.set(row.migration_name, row);
    }

    const local = new Set(migrations.map((migration) => migration.name));
    for (const name of applied.keys()) {
      if (!local.has(name)) {
        logger?.warn({ migration: name }, 'applied migration is missing from the migrations folder');
      }
    }

    const pending: LocalMigration[] = [];
    const skipped: string[] = [];
    for (const migration of migrations) {
      const row = applied.get(migration.name);
      if (!row) {
        pending.push(migration);
        continue;
      }
      if (!checksumMatches(migration.script, row.checksum)) {
        throw new Error(
          `Migration ${migration.name} was modified after it was applied (recorded checksum ${row.checksum}, ` +
            `file ${migration.path} has ${migration.checksum}). Restore the file and put the change in a new migration.`,
        );
      }
      skipped.push(migration.name);
    }

    const appliedNow: string[] = [];
    for (const migration of pending) {
      const id = randomUUID();
      // Recorded before the script runs and outside its transaction, as Prisma does: a run that
      // dies midway leaves an unfinished row that stops later runs until someone looks.
      await client.query(
        'INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)',
        [id, migration.checksum, migration.name],
      );
      const started = Date.now();
      try {
        await client.query('BEGIN');
        await client.query(migration.script);
        await client.query(
          `UPDATE _prisma_migrations
           SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
           WHERE id = $1`,
          [id],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        await client
          .query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, errorLogs(error)])
          .catch(() => undefined);
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      appliedNow.push(migration.name);
      logger?.info({ migration: migration.name, ms: Date.now() - started }, 'migration applied');
    }
    return { applied: appliedNow, skipped };
  } finally {
    if (locked)
      await client.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_ID})`).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
