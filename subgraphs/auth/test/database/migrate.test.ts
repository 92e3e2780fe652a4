/**
 * The migrator (packages/stack/src/migrate.ts): applies the auth migrations once, records them in
 * `_prisma_migrations` as Prisma Migrate does, refuses edited or failed migrations, and serialises
 * concurrent runs with Prisma's advisory lock. Each test works on its own fresh database.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUTH_MIGRATIONS_DIR,
  PRISMA_MIGRATE_LOCK_ID,
  checksumMatches,
  migrate,
  migrationChecksum,
  migrationsFingerprint,
} from '../../../../packages/stack/src/migrate.js';
import { connect, createTestDatabase, type TestDatabase } from './support.js';

const databases: TestDatabase[] = [];
const folders: string[] = [];

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrated: false });
  databases.push(db);
  return db;
}

/** A migrations folder of our own: `{ '0001_a': 'SQL', ... }`. */
function migrationsFolder(migrations: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'auth-migrations-'));
  folders.push(dir);
  for (const [name, sql] of Object.entries(migrations)) writeMigration(dir, name, sql);
  return dir;
}

function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

async function query<T extends Record<string, unknown>>(url: string, sql: string, values: unknown[] = []) {
  const client = await connect(url);
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

const rowsOf = (url: string) =>
  query(
    url,
    `SELECT id, checksum, migration_name, logs, started_at, finished_at, rolled_back_at, applied_steps_count
     FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );

afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every auth migration once; a second run applies nothing', async () => {
    const db = await freshDatabase();
    expect(await migrate({ databaseUrl: db.url })).toEqual({ applied: ['0001_init'], skipped: [] });
    expect(await migrate({ databaseUrl: db.url })).toEqual({ applied: [], skipped: ['0001_init'] });

    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      '_prisma_migrations',
      'event_outbox',
      'password_reset_tokens',
      'rotated_refresh_tokens',
      'user_login_history',
      'user_sessions',
      'users',
      'verification_codes',
    ]);
  });

  it('records each migration as Prisma does', async () => {
    const db = await freshDatabase();
    await migrate({ databaseUrl: db.url });
    const script = readFileSync(join(AUTH_MIGRATIONS_DIR, '0001_init', 'migration.sql'));
    const rows = await rowsOf(db.url);
    expect(rows).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        checksum: createHash('sha256').update(script).digest('hex'),
        migration_name: '0001_init',
        logs: null,
        started_at: expect.any(Date),
        finished_at: expect.any(Date),
        rolled_back_at: null,
        applied_steps_count: 1,
      },
    ]);
    const row = rows[0]!;
    expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual((row.started_at as Date).getTime());

    // The table Prisma's PostgreSQL connector creates, column for column.
    const columns = await query(
      db.url,
      `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        length: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        length: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        length: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      { column_name: 'logs', data_type: 'text', length: null, is_nullable: 'YES', column_default: null },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        length: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        length: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);
  });

  it('applies migrations in folder order and only the new ones later', async () => {
    const db = await freshDatabase();
    const dir = migrationsFolder({
      '0002_second': 'CREATE TABLE second (id int REFERENCES first (id));',
      '0001_first': 'CREATE TABLE first (id int PRIMARY KEY);',
    });
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual({
      applied: ['0001_first', '0002_second'],
      skipped: [],
    });
    writeMigration(dir, '0003_third', 'ALTER TABLE second ADD COLUMN note text;');
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual({
      applied: ['0003_third'],
      skipped: ['0001_first', '0002_second'],
    });
    expect((await rowsOf(db.url)).map((row) => row.migration_name)).toEqual([
      '0001_first',
      '0002_second',
      '0003_third',
    ]);
  });

  it('computes checksums like Prisma: SHA-256 hex, line-ending agnostic when comparing', async () => {
    // The vector from prisma-engines' own checksum tests.
    expect(migrationChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    expect(migrationChecksum('abcd')).toHaveLength(64);
    expect(checksumMatches('a\r\nb\r\n', migrationChecksum('a\nb\n'))).toBe(true);
    expect(checksumMatches('a\nb\n', migrationChecksum('a\r\nb\r\n'))).toBe(true);
    expect(checksumMatches('abc\n', migrationChecksum('abc'))).toBe(false);
    // Checksums written before prisma-engines#1887 are hex without zero padding.
    const unpadded = [...createHash('sha256').update('hello').digest()].map((b) => b.toString(16)).join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(checksumMatches('hello', unpadded)).toBe(true);

    // A checkout that turned LF into CRLF is not a modified migration.
    const db = await freshDatabase();
    const dir = migrationsFolder({
      '0001_lines': 'CREATE TABLE lines (id int);\nCREATE INDEX ON lines (id);\n',
    });
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    writeMigration(dir, '0001_lines', 'CREATE TABLE lines (id int);\r\nCREATE INDEX ON lines (id);\r\n');
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual({
      applied: [],
      skipped: ['0001_lines'],
    });
  });

  it('refuses to run when an applied migration was modified', async () => {
    const db = await freshDatabase();
    const dir = migrationsFolder({ '0001_base': 'CREATE TABLE base (id int);' });
    await migrate({ databaseUrl: db.url, migrationsDir: dir });
    writeMigration(dir, '0001_base', 'CREATE TABLE base (id bigint);');
    writeMigration(dir, '0002_next', 'CREATE TABLE next (id int);');
    await expect(migrate({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(
      /Migration 0001_base was modified after it was applied/,
    );
    expect((await rowsOf(db.url)).map((row) => row.migration_name)).toEqual(['0001_base']);
  });

  it('rolls back a failing migration, records it as failed and refuses to run until it is resolved', async () => {
    const db = await freshDatabase();
    const dir = migrationsFolder({
      '0001_ok': 'CREATE TABLE ok (id int);',
      '0002_broken': 'CREATE TABLE half (id int);\nINSERT INTO missing_table VALUES (1);',
      '0003_later': 'CREATE TABLE later (id int);',
    });
    await expect(migrate({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(
      /Migration 0002_broken failed: relation "missing_table" does not exist/,
    );
    const rows = await rowsOf(db.url);
    expect(
      rows.map((row) => [row.migration_name, row.finished_at === null, row.applied_steps_count]),
    ).toEqual([
      ['0001_ok', false, 1],
      ['0002_broken', true, 0],
    ]);
    expect(rows[1]!.logs).toMatch(/Database error code: 42P01[\s\S]*missing_table/);
    // Its statements were rolled back with it; later migrations did not run.
    const tables = await query<{ half: string | null; later: string | null }>(
      db.url,
      `SELECT to_regclass('half')::text AS half, to_regclass('later')::text AS later`,
    );
    expect(tables).toEqual([{ half: null, later: null }]);

    // Fixing the file is not enough: the failure must be resolved first (P3009 in Prisma).
    writeMigration(dir, '0002_broken', 'CREATE TABLE half (id int);');
    await expect(migrate({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(
      /Migration 0002_broken failed in an earlier run[\s\S]*prisma migrate resolve --rolled-back 0002_broken/,
    );

    // What `prisma migrate resolve --rolled-back 0002_broken` does.
    await query(
      db.url,
      `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '0002_broken'`,
    );
    expect(await migrate({ databaseUrl: db.url, migrationsDir: dir })).toEqual({
      applied: ['0002_broken', '0003_later'],
      skipped: ['0001_ok'],
    });
  });

  it('serialises concurrent runs with Prisma Migrate advisory lock: each migration is applied once', async () => {
    const db = await freshDatabase();
    const dir = migrationsFolder({
      '0001_slow': 'SELECT pg_sleep(0.3);\nCREATE TABLE slow (id int);',
      '0002_counter': `CREATE TABLE runs (n int); INSERT INTO runs VALUES (1);`,
    });
    const results = await Promise.all([
      migrate({ databaseUrl: db.url, migrationsDir: dir }),
      migrate({ databaseUrl: db.url, migrationsDir: dir }),
      migrate({ databaseUrl: db.url, migrationsDir: dir }),
    ]);
    const applied = results.flatMap((result) => result.applied).sort();
    expect(applied).toEqual(['0001_slow', '0002_counter']);
    expect(results.filter((result) => result.applied.length === 0)).toHaveLength(2);
    expect(await rowsOf(db.url)).toHaveLength(2);
    expect(await query(db.url, 'SELECT n FROM runs')).toEqual([{ n: 1 }]);
    // The lock is released with the run.
    expect(
      await query(
        db.url,
        `SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND objid = $1`,
        [PRISMA_MIGRATE_LOCK_ID],
      ),
    ).toEqual([{ held: 0 }]);
  });

  it('waits for the lock held by another migration tool, and gives up after lockTimeoutMs', async () => {
    const db = await freshDatabase();
    const dir = migrationsFolder({ '0001_only': 'CREATE TABLE only_one (id int);' });
    const holder = await connect(db.url);
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_ID]);
      await expect(migrate({ databaseUrl: db.url, migrationsDir: dir, lockTimeoutMs: 200 })).rejects.toThrow(
        /Timed out waiting for the migration lock \(pg_advisory_lock\(72707369\)\)/,
      );
      const waiting = migrate({ databaseUrl: db.url, migrationsDir: dir });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_ID]);
      expect(await waiting).toEqual({ applied: ['0001_only'], skipped: [] });
    } finally {
      await holder.end();
    }
  });

  it('refuses a database that has tables but no migration history', async () => {
    const db = await freshDatabase();
    await query(db.url, 'CREATE TABLE users (id int)');
    await expect(migrate({ databaseUrl: db.url })).rejects.toThrow(
      /database has tables \(users\) but no _prisma_migrations history/,
    );
  });

  it('refuses a migration folder without migration.sql', async () => {
    const db = await freshDatabase();
    const dir = migrationsFolder({ '0001_ok': 'SELECT 1;' });
    mkdirSync(join(dir, '0002_empty'));
    await expect(migrate({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrow(
      /Migration 0002_empty has no migration.sql/,
    );
  });

  it('fingerprints a migrations folder by names and contents', async () => {
    const dir = migrationsFolder({ '0001_a': 'SELECT 1;' });
    const first = await migrationsFingerprint(dir);
    expect(await migrationsFingerprint(dir)).toBe(first);
    writeMigration(dir, '0001_a', 'SELECT 2;');
    const edited = await migrationsFingerprint(dir);
    expect(edited).not.toBe(first);
    writeMigration(dir, '0002_b', 'SELECT 3;');
    expect(await migrationsFingerprint(dir)).not.toBe(edited);
    // The run's template database is named after the real folder's fingerprint.
    const template = process.env.TEST_PG_TEMPLATE_DB;
    if (template) expect(template).toContain((await migrationsFingerprint()).slice(0, 16));
  });
});
