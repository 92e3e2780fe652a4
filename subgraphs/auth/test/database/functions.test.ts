/**
 * The auth schema's six functions, called in SQL on a migrated database. Every test runs in a
 * transaction that is rolled back, so tests see only their own rows.
 */
import { PASSWORD_HASH, useMigratedDatabasePerTestTransaction } from './support.js';

const database = useMigratedDatabasePerTestTransaction();

async function insertUser(values: Record<string, unknown> & { username: string }): Promise<string> {
  const row: Record<string, unknown> = {
    email: `${values.username.toLowerCase()}@example.com`,
    password_hash: PASSWORD_HASH,
    first_name: 'Test',
    last_name: 'User',
    ...values,
  };
  row.email_normalized ??= String(row.email).toLowerCase();
  const columns = Object.keys(row);
  const { rows } = await database().query<{ user_id: string }>(
    `INSERT INTO users (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
     RETURNING user_id`,
    Object.values(row),
  );
  return rows[0]!.user_id;
}

async function insertSession(userId: string, values: Record<string, unknown> = {}): Promise<string> {
  const row: Record<string, unknown> = {
    user_id: userId,
    refresh_token_hash: `hash-${Math.random()}`,
    expires_at: new Date(Date.now() + 86_400_000),
    ...values,
  };
  const columns = Object.keys(row);
  const { rows } = await database().query<{ session_id: string }>(
    `INSERT INTO user_sessions (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
     RETURNING session_id`,
    Object.values(row),
  );
  return rows[0]!.session_id;
}

async function scalar<T>(sql: string, values: unknown[] = []): Promise<T> {
  const { rows } = await database().query<{ value: T }>(sql, values);
  return rows[0]!.value;
}

async function count(table: string, where = 'TRUE'): Promise<number> {
  return Number(await scalar<string>(`SELECT count(*) AS value FROM ${table} WHERE ${where}`));
}

describe('email_exists / username_exists', () => {
  it('find existing emails and usernames whatever their case', async () => {
    await insertUser({ username: 'Ann_Lee', email: 'Ann.Lee@Example.com' });
    for (const email of ['Ann.Lee@Example.com', 'ann.lee@example.com', 'ANN.LEE@EXAMPLE.COM']) {
      expect(await scalar('SELECT email_exists($1) AS value', [email])).toBe(true);
    }
    for (const username of ['Ann_Lee', 'ann_lee', 'ANN_LEE']) {
      expect(await scalar('SELECT username_exists($1) AS value', [username])).toBe(true);
    }
  });

  it('are false for unknown values and NULL', async () => {
    await insertUser({ username: 'ann' });
    expect(await scalar('SELECT email_exists($1) AS value', ['bob@example.com'])).toBe(false);
    expect(await scalar('SELECT username_exists($1) AS value', ['bob'])).toBe(false);
    expect(await scalar('SELECT email_exists(NULL) AS value')).toBe(false);
    expect(await scalar('SELECT username_exists(NULL) AS value')).toBe(false);
  });
});

describe('get_user_by_login', () => {
  it('finds the account by email or username, case-insensitively, with the seed columns', async () => {
    const id = await insertUser({
      username: 'Carol',
      email: 'Carol@Example.com',
      failed_login_attempts: 2,
      account_locked_until: new Date('2030-01-01T00:00:00Z'),
    });
    await insertUser({ username: 'dave' });
    for (const identifier of ['carol@example.com', 'CAROL@EXAMPLE.COM', 'carol', 'CaRoL']) {
      const { rows, fields } = await database().query('SELECT * FROM get_user_by_login($1)', [identifier]);
      expect(fields.map((field) => field.name)).toEqual([
        'user_id',
        'username',
        'email',
        'password_hash',
        'is_email_verified',
        'account_status',
        'failed_login_attempts',
        'account_locked_until',
      ]);
      expect(rows).toEqual([
        {
          user_id: id,
          username: 'Carol',
          email: 'Carol@Example.com',
          password_hash: PASSWORD_HASH,
          is_email_verified: false,
          account_status: 'Active',
          failed_login_attempts: 2,
          account_locked_until: new Date('2030-01-01T00:00:00Z'),
        },
      ]);
    }
  });

  it('returns no row for an unknown identifier', async () => {
    await insertUser({ username: 'erin' });
    const { rows } = await database().query('SELECT * FROM get_user_by_login($1)', ['nobody@example.com']);
    expect(rows).toEqual([]);
  });
});

describe('generate_verification_code', () => {
  it('returns 6-digit codes between 100000 and 999999 that vary', async () => {
    const { rows } = await database().query<{ code: string }>(
      'SELECT generate_verification_code() AS code FROM generate_series(1, 500)',
    );
    for (const { code } of rows) {
      expect(code).toMatch(/^\d{6}$/);
      expect(Number(code)).toBeGreaterThanOrEqual(100_000);
      expect(Number(code)).toBeLessThanOrEqual(999_999);
    }
    expect(new Set(rows.map((row) => row.code)).size).toBeGreaterThan(450);
  });

  it('draws from gen_random_uuid() (a CSPRNG), never from random()', async () => {
    const source = await scalar<string>(
      `SELECT prosrc AS value FROM pg_proc WHERE proname = 'generate_verification_code'`,
    );
    expect(source).toContain('gen_random_uuid()');
    expect(source).not.toMatch(/\brandom\s*\(/);
  });
});

describe('cleanup_old_data', () => {
  it('deletes exactly the expired and old rows and returns how many', async () => {
    const day = 86_400_000;
    const ago = (days: number) => new Date(Date.now() - days * day);
    const ahead = (days: number) => new Date(Date.now() + days * day);

    const user = await insertUser({ username: 'keeper' });
    const expired = await insertSession(user, { expires_at: ago(1), refresh_token_hash: 'expired' });
    const live = await insertSession(user, { refresh_token_hash: 'live' });
    const revoked = await insertSession(user, { is_active: false, refresh_token_hash: 'revoked' });
    await database().query(
      `INSERT INTO rotated_refresh_tokens (token_hash, session_id)
       VALUES ('r-expired', $1), ('r-live-1', $2), ('r-live-2', $2), ('r-revoked', $3)`,
      [expired, live, revoked],
    );
    await database().query(
      `INSERT INTO verification_codes (user_id, code_hash, code_type, expires_at, is_used) VALUES
         ($1, 'c-expired-unused', 'Email', $2, FALSE),
         ($1, 'c-expired-used', 'Email', $2, TRUE),
         ($1, 'c-valid', 'Email', $3, FALSE)`,
      [user, ago(1), ahead(1)],
    );
    await database().query(
      `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, is_used) VALUES
         ($1, 't-expired-unused', $2, FALSE),
         ($1, 't-expired-used', $2, TRUE),
         ($1, 't-valid', $3, FALSE)`,
      [user, ago(1), ahead(1)],
    );
    await database().query(
      `INSERT INTO user_login_history (user_id, login_identifier, login_status, ip_address, login_at) VALUES
         ($1, 'keeper', 'Success', '10.0.0.1', $2),
         ($1, 'keeper', 'Failed', '10.0.0.1', $3)`,
      [user, ago(91), ago(89)],
    );

    const purged = await insertUser({ username: 'purged', is_deleted: true, deleted_at: ago(31) });
    const purgedSession = await insertSession(purged, { refresh_token_hash: 'purged-session' });
    await database().query(
      `INSERT INTO user_login_history (user_id, login_identifier, login_status, ip_address)
       VALUES ($1, 'purged', 'Success', '10.0.0.2')`,
      [purged],
    );
    const grace = await insertUser({ username: 'in_grace', is_deleted: true, deleted_at: ago(29) });

    await database().query(
      `INSERT INTO event_outbox (id, type, payload, occurred_at, published_at) VALUES
         (gen_random_uuid(), 'old.published', '{}', $1, $1),
         (gen_random_uuid(), 'recent.published', '{}', $2, $2),
         (gen_random_uuid(), 'old.pending', '{}', $3, NULL)`,
      [ago(8), ago(6), ago(30)],
    );

    // rotated: r-expired, r-revoked; session: expired; code; reset token; history (91 days);
    // user: purged; outbox: old.published.
    expect(await scalar('SELECT cleanup_old_data() AS value')).toBe(8);

    expect(
      (await database().query('SELECT token_hash FROM rotated_refresh_tokens ORDER BY token_hash')).rows,
    ).toEqual([{ token_hash: 'r-live-1' }, { token_hash: 'r-live-2' }]);
    expect(
      (await database().query('SELECT session_id FROM user_sessions ORDER BY refresh_token_hash')).rows,
    ).toEqual([{ session_id: live }, { session_id: revoked }]);
    expect(
      (await database().query('SELECT code_hash FROM verification_codes ORDER BY code_hash')).rows,
    ).toEqual([{ code_hash: 'c-expired-used' }, { code_hash: 'c-valid' }]);
    expect(
      (await database().query('SELECT token_hash FROM password_reset_tokens ORDER BY token_hash')).rows,
    ).toEqual([{ token_hash: 't-expired-used' }, { token_hash: 't-valid' }]);
    expect(
      (await database().query('SELECT login_identifier, user_id FROM user_login_history ORDER BY login_id'))
        .rows,
    ).toEqual([
      { login_identifier: 'keeper', user_id: user },
      // The purged account's history is kept, detached from it (ON DELETE SET NULL).
      { login_identifier: 'purged', user_id: null },
    ]);
    expect((await database().query('SELECT user_id FROM users ORDER BY username')).rows).toEqual([
      { user_id: grace },
      { user_id: user },
    ]);
    expect(await count('user_sessions', `session_id = '${purgedSession}'`)).toBe(0);
    expect((await database().query('SELECT type FROM event_outbox ORDER BY type')).rows).toEqual([
      { type: 'old.pending' },
      { type: 'recent.published' },
    ]);

    expect(await scalar('SELECT cleanup_old_data() AS value')).toBe(0);
  });
});

describe('get_user_stats', () => {
  it('summarises an account with camelCase keys', async () => {
    const id = await insertUser({
      username: 'Stats_User',
      email: 'Stats@Example.com',
      role: 'Moderator',
      is_email_verified: true,
      last_login_at: new Date('2020-01-01T00:00:00Z'),
      created_at: new Date('2019-05-01T12:00:00Z'),
    });
    await insertSession(id);
    await insertSession(id);
    await insertSession(id, { expires_at: new Date(Date.now() - 1000) });
    await insertSession(id, { is_active: false });
    const lastSuccess = new Date('2024-03-01T10:00:00.123Z');
    await database().query(
      `INSERT INTO user_login_history (user_id, login_identifier, login_status, ip_address, login_at) VALUES
         ($1, 'x', 'Success', '10.0.0.1', '2024-01-01T00:00:00Z'),
         ($1, 'x', 'Success', '10.0.0.1', $2),
         ($1, 'x', 'Success', '10.0.0.1', '2024-02-01T00:00:00Z'),
         ($1, 'x', 'Failed', '10.0.0.1', '2024-04-01T00:00:00Z'),
         ($1, 'x', 'Locked', '10.0.0.1', '2024-04-02T00:00:00Z')`,
      [id, lastSuccess],
    );
    const other = await insertUser({ username: 'someone_else' });
    await insertSession(other);
    await database().query(
      `INSERT INTO user_login_history (user_id, login_identifier, login_status, ip_address)
       VALUES ($1, 'y', 'Success', '10.0.0.2')`,
      [other],
    );

    const stats = await scalar<Record<string, unknown>>('SELECT get_user_stats($1) AS value', [id]);
    expect(stats).toEqual({
      userId: id,
      username: 'Stats_User',
      email: 'Stats@Example.com',
      role: 'Moderator',
      accountStatus: 'Active',
      emailVerified: true,
      createdAt: expect.any(String),
      lastLoginAt: expect.any(String),
      activeSessionsCount: 2,
      totalLogins: 3,
      failedLogins: 2,
    });
    expect(new Date(String(stats.createdAt)).toISOString()).toBe('2019-05-01T12:00:00.000Z');
    expect(new Date(String(stats.lastLoginAt)).toISOString()).toBe(lastSuccess.toISOString());
  });

  it('falls back to users.last_login_at and counts zero for a fresh account', async () => {
    const id = await insertUser({ username: 'fresh', last_login_at: new Date('2021-06-01T00:00:00Z') });
    const stats = await scalar<Record<string, unknown>>('SELECT get_user_stats($1) AS value', [id]);
    expect(stats).toMatchObject({
      activeSessionsCount: 0,
      totalLogins: 0,
      failedLogins: 0,
      emailVerified: false,
    });
    expect(new Date(String(stats.lastLoginAt)).toISOString()).toBe('2021-06-01T00:00:00.000Z');
  });

  it('is NULL for an unknown account', async () => {
    expect(await scalar('SELECT get_user_stats(gen_random_uuid()) AS value')).toBeNull();
  });
});
