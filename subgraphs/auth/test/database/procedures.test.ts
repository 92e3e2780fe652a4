/**
 * The auth schema's seven procedures, called in SQL on a migrated database: the happy path and
 * every error branch. Every test runs in a transaction that is rolled back; the procedures never
 * end the caller's transaction themselves.
 */
import { PASSWORD_HASH, connect, sqlError, useMigratedDatabasePerTestTransaction } from './support.js';

const database = useMigratedDatabasePerTestTransaction();

async function call<T extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T> {
  const { rows } = await database().query<T>(sql, values);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function one<T extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T> {
  const { rows } = await database().query<T>(sql, values);
  return rows[0]!;
}

/** Whether a timestamp column holds the transaction's now() (the columns keep milliseconds). */
async function isNow(table: string, column: string, where: string, values: unknown[]): Promise<boolean> {
  const row = await one<{ fresh: boolean }>(
    `SELECT abs(extract(epoch FROM ${column} - now())) < 0.001 AS fresh FROM ${table} WHERE ${where}`,
    values,
  );
  return row.fresh;
}

const count = async (table: string, where = 'TRUE', values: unknown[] = []) =>
  Number((await one<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, values)).n);

type CreateResult = { p_user_id: string | null; p_error: string | null };

async function createUser(username: string, options: { codeHash?: string } = {}): Promise<string> {
  const result = await call<CreateResult>(`CALL create_user($1, $2, $3, 'Test', 'User', p_code_hash => $4)`, [
    username,
    `${username}@example.com`,
    PASSWORD_HASH,
    options.codeHash ?? null,
  ]);
  expect(result.p_error).toBeNull();
  return result.p_user_id!;
}

async function createSession(userId: string, hash: string, values: { expiresAt?: Date } = {}) {
  const result = await call<{ p_session_id: string }>(
    `CALL create_user_session($1, $2, 'Web', 'Firefox on Linux', '203.0.113.7', 'Berlin', 'Mozilla/5.0', $3)`,
    [userId, hash, values.expiresAt ?? new Date(Date.now() + 86_400_000)],
  );
  return result.p_session_id;
}

describe('create_user', () => {
  it('creates an active, unverified User and returns its id', async () => {
    const result = await call<CreateResult>(
      `CALL create_user('New_User', 'New.User@Example.com', $1, 'New', 'User', '+49 30 1234567')`,
      [PASSWORD_HASH],
    );
    expect(result).toEqual({ p_user_id: expect.stringMatching(/^[0-9a-f-]{36}$/), p_error: null });
    expect(await one('SELECT * FROM users WHERE user_id = $1', [result.p_user_id])).toMatchObject({
      username: 'New_User',
      email: 'New.User@Example.com',
      email_normalized: 'new.user@example.com',
      password_hash: PASSWORD_HASH,
      first_name: 'New',
      last_name: 'User',
      phone_number: '+49 30 1234567',
      role: 'User',
      account_status: 'Active',
      is_email_verified: false,
      is_deleted: false,
    });
    expect(await count('verification_codes')).toBe(0);
  });

  it('stores the verification code hash (never a code) with the given lifetime', async () => {
    const { p_user_id: id } = await call<CreateResult>(
      `CALL create_user('coded', 'coded@example.com', $1, 'C', 'D', NULL, 'hmac-of-code', INTERVAL '10 minutes')`,
      [PASSWORD_HASH],
    );
    const code = await one(
      `SELECT code_hash, code_type, is_used, attempts,
              abs(extract(epoch FROM expires_at - (now() + interval '10 minutes'))) < 0.001 AS expiry_ok
       FROM verification_codes WHERE user_id = $1`,
      [id],
    );
    expect(code).toEqual({
      code_hash: 'hmac-of-code',
      code_type: 'Email',
      is_used: false,
      attempts: 0,
      expiry_ok: true,
    });
  });

  it('defaults the code lifetime to 15 minutes', async () => {
    const id = await createUser('default_ttl', { codeHash: 'h' });
    const code = await one<{ ok: boolean }>(
      `SELECT abs(extract(epoch FROM expires_at - (now() + interval '15 minutes'))) < 0.001 AS ok
       FROM verification_codes WHERE user_id = $1`,
      [id],
    );
    expect(code.ok).toBe(true);
  });

  it('accepts NULL placeholders for its outputs, like OUT parameters', async () => {
    const result = await call<CreateResult>(
      `CALL create_user('placeholder', 'p@example.com', $1, 'P', 'H', NULL, NULL, NULL, NULL, NULL)`,
      [PASSWORD_HASH],
    );
    expect(result.p_error).toBeNull();
    expect(result.p_user_id).toEqual(expect.any(String));
  });

  it.each([
    ['Email already exists', 'someone_new', 'EXISTING@example.com', PASSWORD_HASH],
    ['Username already taken', 'EXISTING', 'someone.new@example.com', PASSWORD_HASH],
    ['Invalid email format', 'someone_new', 'not-an-email', PASSWORD_HASH],
    ['Invalid email format', 'someone_new', null, PASSWORD_HASH],
    ['Invalid username format', 'some one', 'someone.new@example.com', PASSWORD_HASH],
    ['Invalid username format', 'ab', 'someone.new@example.com', PASSWORD_HASH],
    ['Invalid username format', 'a'.repeat(51), 'someone.new@example.com', PASSWORD_HASH],
    ['Invalid password hash', 'short_hash', 'someone.new@example.com', 'x'.repeat(59)],
    ['Invalid password hash', 'long_hash', 'someone.new@example.com', 'x'.repeat(61)],
  ])('reports %j and changes nothing (%s, %s)', async (message, username, email, hash) => {
    await createUser('existing');
    const before = await count('users');
    const result = await call<CreateResult>(`CALL create_user($1, $2, $3, 'A', 'B', p_code_hash => 'h')`, [
      username,
      email,
      hash,
    ]);
    expect(result).toEqual({ p_user_id: null, p_error: message });
    expect(await count('users')).toBe(before);
    expect(await count('verification_codes')).toBe(0);
  });

  it('raises on integrity errors instead of reporting them', async () => {
    const error = await sqlError(database(), `CALL create_user('no_name', 'n@example.com', $1, NULL, 'X')`, [
      PASSWORD_HASH,
    ]);
    expect(error.code).toBe('23502');
  });

  it("does not commit: the user exists only once the caller's transaction commits", async () => {
    await createUser('uncommitted');
    const other = await connect(database.url());
    try {
      const { rows } = await other.query(`SELECT 1 FROM users WHERE username = 'uncommitted'`);
      expect(rows).toHaveLength(0);
    } finally {
      await other.end();
    }
  });
});

describe('verify_email', () => {
  type VerifyResult = { p_success: boolean; p_error: string | null };
  const verify = (id: string, hash: string | null) =>
    call<VerifyResult>('CALL verify_email($1, $2)', [id, hash]);
  const attempts = async (id: string) =>
    (await one<{ attempts: number }>('SELECT attempts FROM verification_codes WHERE user_id = $1', [id]))
      .attempts;

  it('verifies the account with the right code and uses the code up', async () => {
    const id = await createUser('verify_me', { codeHash: 'right' });
    expect(await verify(id, 'right')).toEqual({ p_success: true, p_error: null });
    expect(await one('SELECT is_email_verified FROM users WHERE user_id = $1', [id])).toEqual({
      is_email_verified: true,
    });
    expect(await isNow('users', 'email_verified_at', 'user_id = $1', [id])).toBe(true);
    expect(await one('SELECT is_used FROM verification_codes WHERE user_id = $1', [id])).toEqual({
      is_used: true,
    });
    expect(await isNow('verification_codes', 'used_at', 'user_id = $1', [id])).toBe(true);
    // A used code cannot be used again.
    expect(await verify(id, 'right')).toEqual({ p_success: false, p_error: 'Invalid verification code' });
  });

  it('counts wrong codes and refuses every code after five', async () => {
    const id = await createUser('guesser', { codeHash: 'right' });
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect(await verify(id, `wrong-${attempt}`)).toEqual({
        p_success: false,
        p_error: 'Invalid verification code',
      });
      expect(await attempts(id)).toBe(attempt);
    }
    expect(await verify(id, 'right')).toEqual({ p_success: false, p_error: 'Too many attempts' });
    expect(await attempts(id)).toBe(5);
    expect(await one('SELECT is_email_verified FROM users WHERE user_id = $1', [id])).toEqual({
      is_email_verified: false,
    });
  });

  it('refuses an expired code, even the right one, without counting an attempt', async () => {
    const id = await createUser('too_late', { codeHash: 'right' });
    await database().query(
      `UPDATE verification_codes SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [id],
    );
    expect(await verify(id, 'right')).toEqual({ p_success: false, p_error: 'Verification code expired' });
    expect(await attempts(id)).toBe(0);
  });

  it('reports an invalid code when the account has no unused code', async () => {
    const id = await createUser('no_code');
    expect(await verify(id, 'anything')).toEqual({ p_success: false, p_error: 'Invalid verification code' });
  });

  it('checks against the latest unused code only', async () => {
    const id = await createUser('resent', { codeHash: 'first' });
    await database().query(
      `UPDATE verification_codes SET created_at = now() - interval '5 minutes' WHERE user_id = $1`,
      [id],
    );
    await database().query(
      `INSERT INTO verification_codes (user_id, code_hash, code_type, expires_at)
       VALUES ($1, 'second', 'Email', now() + interval '15 minutes'),
              ($1, 'phone', 'Phone', now() + interval '15 minutes')`,
      [id],
    );
    expect(await verify(id, 'first')).toEqual({ p_success: false, p_error: 'Invalid verification code' });
    expect(await verify(id, 'phone')).toEqual({ p_success: false, p_error: 'Invalid verification code' });
    expect(await verify(id, 'second')).toEqual({ p_success: true, p_error: null });
  });
});

describe('create_user_session', () => {
  it('opens a session, resets failed logins and records a successful login', async () => {
    const id = await createUser('login_ok');
    await database().query(
      `UPDATE users SET failed_login_attempts = 4, account_locked_until = now() + interval '1 hour' WHERE user_id = $1`,
      [id],
    );
    const expiresAt = new Date('2031-01-01T00:00:00.000Z');
    const { p_session_id: sessionId } = await call<{ p_session_id: string }>(
      `CALL create_user_session($1, 'refresh-hash', 'Mobile', 'iOS 18', '2001:db8::1', 'Paris', 'App/1.0', $2,
                                'Login_OK@Example.com')`,
      [id, expiresAt],
    );
    expect(await one('SELECT * FROM user_sessions WHERE session_id = $1', [sessionId])).toMatchObject({
      user_id: id,
      refresh_token_hash: 'refresh-hash',
      device_type: 'Mobile',
      device_info: 'iOS 18',
      ip_address: '2001:db8::1',
      location: 'Paris',
      user_agent: 'App/1.0',
      is_active: true,
      expires_at: expiresAt,
    });
    expect(
      await one('SELECT failed_login_attempts, account_locked_until FROM users WHERE user_id = $1', [id]),
    ).toEqual({ failed_login_attempts: 0, account_locked_until: null });
    expect(await isNow('users', 'last_login_at', 'user_id = $1', [id])).toBe(true);
    expect(await one('SELECT * FROM user_login_history WHERE user_id = $1', [id])).toMatchObject({
      login_identifier: 'Login_OK@Example.com',
      login_status: 'Success',
      failure_reason: null,
      device_type: 'Mobile',
      device_info: 'iOS 18',
      ip_address: '2001:db8::1',
      location: 'Paris',
      user_agent: 'App/1.0',
    });
  });

  it("logs the username when no identifier is given, and 'unknown' without an IP address", async () => {
    const id = await createUser('plain_login');
    await call(`CALL create_user_session($1, 'h', NULL, NULL, NULL, NULL, NULL, now() + interval '1 day')`, [
      id,
    ]);
    expect(
      await one('SELECT login_identifier, ip_address FROM user_login_history WHERE user_id = $1', [id]),
    ).toEqual({
      login_identifier: 'plain_login',
      ip_address: 'unknown',
    });
    expect(await one('SELECT ip_address FROM user_sessions WHERE user_id = $1', [id])).toEqual({
      ip_address: null,
    });
  });

  it('raises for an unknown account and for a refresh token hash already in use', async () => {
    expect(
      await sqlError(
        database(),
        `CALL create_user_session(gen_random_uuid(), 'h', NULL, NULL, NULL, NULL, NULL, now() + interval '1 day')`,
      ),
    ).toMatchObject({ code: '23503' });
    const id = await createUser('twice');
    await createSession(id, 'same-hash');
    expect(
      await sqlError(
        database(),
        `CALL create_user_session($1, 'same-hash', NULL, NULL, NULL, NULL, NULL, now() + interval '1 day')`,
        [id],
      ),
    ).toMatchObject({ code: '23505' });
  });
});

describe('revoke_user_sessions', () => {
  const revoke = (sql: string, values: unknown[]) =>
    call<{ p_sessions_revoked: number }>(sql, values).then((row) => row.p_sessions_revoked);

  it('revokes one session and counts only sessions it actually deactivated', async () => {
    const id = await createUser('one_device');
    const first = await createSession(id, 'h1');
    const second = await createSession(id, 'h2');
    const stranger = await createUser('stranger');
    const strangers = await createSession(stranger, 'h3');

    expect(await revoke('CALL revoke_user_sessions($1, $2)', [id, first])).toBe(1);
    expect(await revoke('CALL revoke_user_sessions($1, $2)', [id, first])).toBe(0);
    expect(await revoke('CALL revoke_user_sessions($1, $2)', [id, strangers])).toBe(0);
    expect(await revoke('CALL revoke_user_sessions($1)', [id])).toBe(0);

    const { rows } = await database().query(
      'SELECT session_id, is_active FROM user_sessions ORDER BY refresh_token_hash',
    );
    expect(rows).toEqual([
      { session_id: first, is_active: false },
      { session_id: second, is_active: true },
      { session_id: strangers, is_active: true },
    ]);
  });

  it("revokes all of one account's active sessions", async () => {
    const id = await createUser('everywhere');
    const sessions = [
      await createSession(id, 'a1'),
      await createSession(id, 'a2'),
      await createSession(id, 'a3'),
    ];
    await revoke('CALL revoke_user_sessions($1, $2)', [id, sessions[0]]);
    const stranger = await createUser('bystander');
    await createSession(stranger, 'b1');

    expect(await revoke('CALL revoke_user_sessions($1, p_revoke_all => TRUE)', [id])).toBe(2);
    expect(await count('user_sessions', 'user_id = $1 AND is_active', [id])).toBe(0);
    expect(await count('user_sessions', 'user_id = $1 AND is_active', [stranger])).toBe(1);
    expect(await revoke('CALL revoke_user_sessions($1, NULL, TRUE)', [id])).toBe(0);
  });
});

describe('store_refresh_token', () => {
  it('rotates the hash, keeping the previous ones for reuse detection', async () => {
    const id = await createUser('rotator');
    const session = await createSession(id, 'hash-1');
    await database().query(
      `UPDATE user_sessions SET last_activity_at = now() - interval '1 hour' WHERE session_id = $1`,
      [session],
    );
    const expiresAt = new Date('2032-02-02T00:00:00.000Z');
    await database().query('CALL store_refresh_token($1, $2, $3)', [session, 'hash-2', expiresAt]);
    expect(
      await one('SELECT refresh_token_hash, expires_at FROM user_sessions WHERE session_id = $1', [session]),
    ).toEqual({ refresh_token_hash: 'hash-2', expires_at: expiresAt });
    expect(await isNow('user_sessions', 'last_activity_at', 'session_id = $1', [session])).toBe(true);

    await database().query('CALL store_refresh_token($1, $2, $3)', [session, 'hash-3', expiresAt]);
    const { rows } = await database().query(
      'SELECT token_hash, session_id FROM rotated_refresh_tokens ORDER BY token_hash',
    );
    expect(rows).toEqual([
      { token_hash: 'hash-1', session_id: session },
      { token_hash: 'hash-2', session_id: session },
    ]);
    expect(await isNow('rotated_refresh_tokens', 'rotated_at', `token_hash = 'hash-1'`, [])).toBe(true);
  });

  it('raises for a missing or revoked session and changes nothing', async () => {
    const id = await createUser('revoked_rotator');
    const session = await createSession(id, 'current');
    await database().query('CALL revoke_user_sessions($1, $2)', [id, session]);
    expect(
      await sqlError(database(), `CALL store_refresh_token($1, 'next', now() + interval '1 day')`, [session]),
    ).toMatchObject({ code: 'P0002' });
    expect(
      await sqlError(
        database(),
        `CALL store_refresh_token(gen_random_uuid(), 'next', now() + interval '1 day')`,
      ),
    ).toMatchObject({ code: 'P0002' });
    expect(await count('rotated_refresh_tokens')).toBe(0);
    expect(
      await one('SELECT refresh_token_hash FROM user_sessions WHERE session_id = $1', [session]),
    ).toEqual({
      refresh_token_hash: 'current',
    });
  });

  it('raises when the new hash is the current one', async () => {
    const id = await createUser('same_again');
    const session = await createSession(id, 'same');
    expect(
      await sqlError(database(), `CALL store_refresh_token($1, 'same', now() + interval '1 day')`, [session]),
    ).toMatchObject({ code: '22023' });
  });
});

describe('update_user_profile', () => {
  type UpdateResult = { p_success: boolean; p_error: string | null };

  it('changes the given fields and leaves the others', async () => {
    const id = await createUser('profiled');
    await database().query(`UPDATE users SET phone_number = '+1 555 0100' WHERE user_id = $1`, [id]);
    expect(await call<UpdateResult>(`CALL update_user_profile($1, p_first_name => 'Renamed')`, [id])).toEqual(
      {
        p_success: true,
        p_error: null,
      },
    );
    expect(
      await one(
        'SELECT first_name, last_name, phone_number, profile_picture_url FROM users WHERE user_id = $1',
        [id],
      ),
    ).toEqual({
      first_name: 'Renamed',
      last_name: 'User',
      phone_number: '+1 555 0100',
      profile_picture_url: null,
    });
    expect(await isNow('users', 'updated_at', 'user_id = $1', [id])).toBe(true);

    await call(`CALL update_user_profile($1, 'A', 'B', '+1 555 0199', 'https://cdn.example.com/p.png')`, [
      id,
    ]);
    expect(
      await one(
        'SELECT first_name, last_name, phone_number, profile_picture_url FROM users WHERE user_id = $1',
        [id],
      ),
    ).toEqual({
      first_name: 'A',
      last_name: 'B',
      phone_number: '+1 555 0199',
      profile_picture_url: 'https://cdn.example.com/p.png',
    });
  });

  it("reports 'User not found' for a missing or deleted account", async () => {
    const notFound = { p_success: false, p_error: 'User not found' };
    expect(await call(`CALL update_user_profile(gen_random_uuid(), 'X')`)).toEqual(notFound);
    const id = await createUser('gone_profile');
    await call('CALL soft_delete_user($1)', [id]);
    expect(await call(`CALL update_user_profile($1, 'X')`, [id])).toEqual(notFound);
    expect(await one('SELECT first_name FROM users WHERE user_id = $1', [id])).toEqual({
      first_name: 'Test',
    });
  });
});

describe('soft_delete_user', () => {
  it('marks the account deleted and revokes all its sessions', async () => {
    const id = await createUser('deleting');
    await createSession(id, 'd1');
    await createSession(id, 'd2');
    expect(await call('CALL soft_delete_user($1)', [id])).toEqual({ p_success: true, p_error: null });
    expect(await one('SELECT is_deleted, account_status FROM users WHERE user_id = $1', [id])).toEqual({
      is_deleted: true,
      account_status: 'Deleted',
    });
    expect(await isNow('users', 'deleted_at', 'user_id = $1', [id])).toBe(true);
    expect(await count('user_sessions', 'user_id = $1 AND is_active', [id])).toBe(0);
  });

  it("reports 'User not found' for a missing or already deleted account", async () => {
    const notFound = { p_success: false, p_error: 'User not found' };
    expect(await call('CALL soft_delete_user(gen_random_uuid())')).toEqual(notFound);
    const id = await createUser('deleted_twice');
    await call('CALL soft_delete_user($1)', [id]);
    await database().query(`UPDATE users SET deleted_at = '2020-01-01T00:00:00Z' WHERE user_id = $1`, [id]);
    expect(await call('CALL soft_delete_user($1, NULL, NULL)', [id])).toEqual(notFound);
    // The grace period keeps counting from the first deletion.
    expect(await one('SELECT deleted_at FROM users WHERE user_id = $1', [id])).toEqual({
      deleted_at: new Date('2020-01-01T00:00:00Z'),
    });
  });
});
