/**
 * What the database itself enforces on the auth tables, beyond what Prisma describes: the seed's
 * two triggers, its CHECK constraints, case-insensitive uniqueness and the foreign keys' actions.
 * Every test runs in a transaction that is rolled back.
 */
import { PASSWORD_HASH, sqlError, useMigratedDatabasePerTestTransaction } from './support.js';

const database = useMigratedDatabasePerTestTransaction();

const INSERT_USER = `INSERT INTO users (username, email, email_normalized, password_hash, first_name, last_name)
  VALUES ($1, $2, $3, $4, 'Test', 'User') RETURNING user_id, email_normalized, created_at, updated_at`;

async function insertUser(username: string, email = `${username.toLowerCase()}@example.com`) {
  const { rows } = await database().query<{
    user_id: string;
    email_normalized: string;
    created_at: Date;
    updated_at: Date;
  }>(INSERT_USER, [username, email, email.toLowerCase(), PASSWORD_HASH]);
  return rows[0]!;
}

async function userRow(id: string) {
  const { rows } = await database().query<{ email: string; email_normalized: string; updated_at: Date }>(
    'SELECT email, email_normalized, updated_at FROM users WHERE user_id = $1',
    [id],
  );
  return rows[0]!;
}

async function transactionNow(): Promise<Date> {
  const { rows } = await database().query<{ now: Date }>('SELECT now() AS now');
  return rows[0]!.now;
}

describe('trigger update_users_timestamp', () => {
  async function backdatedUser(username: string): Promise<string> {
    const { rows } = await database().query<{ user_id: string; updated_at: Date }>(
      `INSERT INTO users (username, email, email_normalized, password_hash, first_name, last_name, updated_at)
       VALUES ($1::text, $1::text || '@example.com', $1::text || '@example.com', $2, 'B', 'D', '2001-01-01T00:00:00Z')
       RETURNING user_id, updated_at`,
      [username, PASSWORD_HASH],
    );
    // Insert does not fire it: the value written stays.
    expect(rows[0]!.updated_at.toISOString()).toBe('2001-01-01T00:00:00.000Z');
    return rows[0]!.user_id;
  }

  it('moves updated_at to the current time when a row changes', async () => {
    const id = await backdatedUser('timely');
    await database().query(`UPDATE users SET first_name = 'Changed' WHERE user_id = $1`, [id]);
    const now = await transactionNow();
    expect(Math.abs((await userRow(id)).updated_at.getTime() - now.getTime())).toBeLessThanOrEqual(1);
  });

  it('overrides an updated_at the writer sets', async () => {
    const id = await backdatedUser('overridden');
    await database().query(`UPDATE users SET updated_at = '1999-01-01T00:00:00Z' WHERE user_id = $1`, [id]);
    const now = await transactionNow();
    expect(Math.abs((await userRow(id)).updated_at.getTime() - now.getTime())).toBeLessThanOrEqual(1);
  });

  it('is a BEFORE UPDATE row trigger on users', async () => {
    const { rows } = await database().query(
      `SELECT event_manipulation, action_timing, action_orientation, action_statement
       FROM information_schema.triggers WHERE trigger_name = 'update_users_timestamp'`,
    );
    expect(rows).toEqual([
      {
        event_manipulation: 'UPDATE',
        action_timing: 'BEFORE',
        action_orientation: 'ROW',
        action_statement: 'EXECUTE FUNCTION update_timestamp()',
      },
    ]);
  });
});

describe('trigger validate_email_format', () => {
  it('rejects a malformed email on insert', async () => {
    for (const email of ['not-an-email', 'a@b', 'a b@example.com', '@example.com', 'ann@example.c']) {
      const error = await sqlError(database(), INSERT_USER, ['bad_email', email, email, PASSWORD_HASH]);
      expect(error.message).toBe(`Invalid email format: ${email}`);
    }
  });

  it('rejects a malformed email on update', async () => {
    const { user_id: id } = await insertUser('updater');
    const error = await sqlError(database(), `UPDATE users SET email = 'broken' WHERE user_id = $1`, [id]);
    expect(error.message).toBe('Invalid email format: broken');
    expect((await userRow(id)).email).toBe('updater@example.com');
  });

  it('sets email_normalized to the lower-cased email, whatever the writer passed', async () => {
    const { rows } = await database().query<{ user_id: string; email_normalized: string }>(INSERT_USER, [
      'mixed',
      'Mixed.Case+Tag@Example.COM',
      'wrong@example.com',
      PASSWORD_HASH,
    ]);
    expect(rows[0]!.email_normalized).toBe('mixed.case+tag@example.com');

    await database().query(`UPDATE users SET email = 'New.Address@Example.ORG' WHERE user_id = $1`, [
      rows[0]!.user_id,
    ]);
    expect(await userRow(rows[0]!.user_id)).toMatchObject({
      email: 'New.Address@Example.ORG',
      email_normalized: 'new.address@example.org',
    });
  });

  it('is a BEFORE INSERT OR UPDATE row trigger on users', async () => {
    const { rows } = await database().query(
      `SELECT event_manipulation, action_timing, action_statement
       FROM information_schema.triggers WHERE trigger_name = 'validate_email_format'
       ORDER BY event_manipulation`,
    );
    expect(rows).toEqual([
      {
        event_manipulation: 'INSERT',
        action_timing: 'BEFORE',
        action_statement: 'EXECUTE FUNCTION validate_email()',
      },
      {
        event_manipulation: 'UPDATE',
        action_timing: 'BEFORE',
        action_statement: 'EXECUTE FUNCTION validate_email()',
      },
    ]);
  });
});

describe('case-insensitive uniqueness', () => {
  it('rejects a username that differs only in case', async () => {
    await insertUser('Frank');
    const error = await sqlError(database(), INSERT_USER, [
      'fRANK',
      'other@example.com',
      'other@example.com',
      PASSWORD_HASH,
    ]);
    expect(error).toMatchObject({ code: '23505', constraint: 'users_username_lower_key' });
  });

  it('rejects an email that differs only in case', async () => {
    await insertUser('grace', 'Grace@Example.com');
    const error = await sqlError(database(), INSERT_USER, [
      'grace2',
      'GRACE@example.COM',
      'grace@example.com',
      PASSWORD_HASH,
    ]);
    expect(error).toMatchObject({ code: '23505', constraint: 'users_email_normalized_key' });
  });

  it('rejects exact duplicates through the Prisma-declared unique indexes', async () => {
    await insertUser('heidi');
    expect(
      await sqlError(database(), INSERT_USER, ['heidi', 'h2@example.com', 'h2@example.com', PASSWORD_HASH]),
    ).toMatchObject({ code: '23505' });
    expect(
      await sqlError(database(), INSERT_USER, [
        'heidi2',
        'heidi@example.com',
        'heidi@example.com',
        PASSWORD_HASH,
      ]),
    ).toMatchObject({ code: '23505' });
  });
});

describe('CHECK constraints', () => {
  it.each([
    ['ab', 'users_username_length_check'],
    ['has space', 'users_username_format_check'],
    ['dash-name', 'users_username_format_check'],
    ['émile', 'users_username_format_check'],
  ])('rejects the username %j (%s)', async (username, constraint) => {
    const error = await sqlError(database(), INSERT_USER, [
      username,
      'x@example.com',
      'x@example.com',
      PASSWORD_HASH,
    ]);
    expect(error).toMatchObject({ code: '23514', constraint });
  });

  it('rejects a password hash shorter than 60 characters', async () => {
    const error = await sqlError(database(), INSERT_USER, [
      'shorty',
      's@example.com',
      's@example.com',
      'x'.repeat(59),
    ]);
    expect(error).toMatchObject({ code: '23514', constraint: 'users_password_hash_check' });
  });

  it.each([
    ['role', `'Root'`, 'users_role_check'],
    ['account_status', `'Gone'`, 'users_account_status_check'],
    ['failed_login_attempts', '-1', 'users_failed_login_attempts_check'],
  ])('rejects users.%s = %s', async (column, value, constraint) => {
    const { user_id: id } = await insertUser('checked');
    const error = await sqlError(database(), `UPDATE users SET ${column} = ${value} WHERE user_id = $1`, [
      id,
    ]);
    expect(error).toMatchObject({ code: '23514', constraint });
  });

  it('accepts every role and account status of the seed', async () => {
    const { user_id: id } = await insertUser('allowed');
    for (const role of ['User', 'Admin', 'Moderator']) {
      await database().query('UPDATE users SET role = $2 WHERE user_id = $1', [id, role]);
    }
    for (const status of ['Active', 'Inactive', 'Suspended', 'Deleted']) {
      await database().query('UPDATE users SET account_status = $2 WHERE user_id = $1', [id, status]);
    }
  });

  it('checks verification code types and attempts, login statuses and outbox attempts', async () => {
    const { user_id: id } = await insertUser('codes');
    const code = `INSERT INTO verification_codes (user_id, code_hash, code_type, expires_at, attempts)
      VALUES ($1, 'h', $2, now() + interval '1 hour', $3)`;
    for (const type of ['Email', 'Phone', 'PasswordReset']) await database().query(code, [id, type, 0]);
    expect(await sqlError(database(), code, [id, 'Sms', 0])).toMatchObject({
      code: '23514',
      constraint: 'verification_codes_code_type_check',
    });
    expect(await sqlError(database(), code, [id, 'Email', -1])).toMatchObject({
      code: '23514',
      constraint: 'verification_codes_attempts_check',
    });

    const login = `INSERT INTO user_login_history (user_id, login_identifier, login_status, ip_address)
      VALUES ($1, 'codes', $2, '10.0.0.1')`;
    for (const status of ['Success', 'Failed', 'Locked', 'Unverified'])
      await database().query(login, [id, status]);
    expect(await sqlError(database(), login, [id, 'Maybe'])).toMatchObject({
      code: '23514',
      constraint: 'user_login_history_login_status_check',
    });

    const outbox = `INSERT INTO event_outbox (id, type, payload, attempts) VALUES (gen_random_uuid(), 't', '{}', $1)`;
    expect(await sqlError(database(), outbox, [-1])).toMatchObject({
      code: '23514',
      constraint: 'event_outbox_attempts_check',
    });
  });
});

describe('foreign keys', () => {
  it('deleting an account cascades to its sessions, codes and reset tokens and keeps its history', async () => {
    const { user_id: id } = await insertUser('leaving');
    const { rows } = await database().query<{ session_id: string }>(
      `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at)
       VALUES ($1, 'leaving-hash', now() + interval '1 day') RETURNING session_id`,
      [id],
    );
    await database().query(`INSERT INTO rotated_refresh_tokens (token_hash, session_id) VALUES ('old', $1)`, [
      rows[0]!.session_id,
    ]);
    await database().query(
      `INSERT INTO verification_codes (user_id, code_hash, code_type, expires_at)
       VALUES ($1, 'h', 'Email', now() + interval '1 hour')`,
      [id],
    );
    await database().query(
      `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, 'reset', now() + interval '1 hour')`,
      [id],
    );
    await database().query(
      `INSERT INTO user_login_history (user_id, login_identifier, login_status, ip_address)
       VALUES ($1, 'leaving', 'Success', '10.0.0.1')`,
      [id],
    );

    await database().query('DELETE FROM users WHERE user_id = $1', [id]);

    const { rows: counts } = await database().query(
      `SELECT (SELECT count(*)::int FROM user_sessions) AS sessions,
              (SELECT count(*)::int FROM rotated_refresh_tokens) AS rotated,
              (SELECT count(*)::int FROM verification_codes) AS codes,
              (SELECT count(*)::int FROM password_reset_tokens) AS resets,
              (SELECT count(*)::int FROM user_login_history WHERE user_id IS NULL) AS detached_history`,
    );
    expect(counts[0]).toEqual({ sessions: 0, rotated: 0, codes: 0, resets: 0, detached_history: 1 });
  });

  it('refuses rows that point at a missing account or session', async () => {
    expect(
      await sqlError(
        database(),
        `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES (gen_random_uuid(), 'x', now())`,
      ),
    ).toMatchObject({ code: '23503', constraint: 'user_sessions_user_id_fkey' });
    expect(
      await sqlError(
        database(),
        `INSERT INTO rotated_refresh_tokens (token_hash, session_id) VALUES ('x', gen_random_uuid())`,
      ),
    ).toMatchObject({ code: '23503', constraint: 'rotated_refresh_tokens_session_id_fkey' });
  });
});
