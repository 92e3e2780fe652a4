/**
 * Login, lockout, refresh rotation, logout and session revocation through the gateway; revoked
 * tokens are checked on another subgraph too (every subgraph verifies tokens itself).
 */
import { startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import { LOGIN, LOGOUT, ME, REFRESH, SESSIONS, type LoginData } from './operations.js';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(async () => {
  await supergraph?.stop();
});

const loginAs = (
  account: TestAccount,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) =>
  supergraph.query<LoginData>(
    LOGIN,
    { input: { identifier: account.username, password: account.password, ...extra } },
    { headers },
  );

/** A request to the profile subgraph directly: it verifies the token itself. */
const profileAccepts = async (token: string) =>
  (await supergraph.query('{ __typename }', {}, { token, target: 'profile' })).status === 200;

test('login by username or email in any case returns working tokens and records the attempt', async () => {
  const account = await supergraph.user();
  const response = await supergraph.query<LoginData>(
    LOGIN,
    {
      input: {
        identifier: account.email.toUpperCase(),
        password: account.password,
        deviceType: 'MOBILE',
        deviceInfo: 'Pixel 9',
      },
    },
    { headers: { 'user-agent': 'SocialApp/1.0 (Android)' } },
  );
  expect(response.errors).toBeUndefined();
  const { login } = response.data!;
  expect(login.tokenType).toBe('Bearer');
  expect(login.user).toMatchObject({ id: account.id, username: account.username, email: account.email });
  expect(login.session).toMatchObject({
    deviceType: 'MOBILE',
    deviceInfo: 'Pixel 9',
    userAgent: 'SocialApp/1.0 (Android)',
  });
  expect(login.session.ipAddress).toMatch(/127\.0\.0\.1/);
  expect((Date.parse(login.expiresAt) - Date.now()) / 60_000).toBeCloseTo(15, 0);
  const me = await supergraph.query<{ me: { id: string; email: string } }>(
    ME,
    {},
    { token: login.accessToken },
  );
  expect(me.data?.me).toMatchObject({ id: account.id, email: account.email });

  const history = await supergraph.sql<{ login_status: string; ip_address: string; user_agent: string }>(
    'SELECT login_status, ip_address, user_agent FROM user_login_history WHERE user_id = $1 ORDER BY login_id',
    [account.id],
  );
  expect(history.at(-1)).toMatchObject({ login_status: 'Success', user_agent: 'SocialApp/1.0 (Android)' });
  expect(history.at(-1)?.ip_address).toMatch(/127\.0\.0\.1/);
});

test('a wrong password or unknown account is UNAUTHENTICATED with the same message', async () => {
  const account = await supergraph.user();
  const wrong = await loginAs({ ...account, password: 'Not-The-Password-1' });
  const unknown = await supergraph.query(LOGIN, {
    input: { identifier: 'no_such_user_x', password: 'Whatever-123!' },
  });
  expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
});

test('5 failures lock the account for 15 minutes, even for the right password; it unlocks after', async () => {
  const account = await supergraph.user();
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const response = await loginAs({ ...account, password: `Wrong-Password-${attempt}` });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  }
  const locked = await loginAs(account);
  expect(locked.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ACCOUNT_LOCKED' });
  const [row] = await supergraph.sql<{ minutes: number }>(
    `SELECT extract(epoch FROM account_locked_until - now()) / 60 AS minutes FROM users WHERE user_id = $1`,
    [account.id],
  );
  expect(Number(row?.minutes)).toBeGreaterThan(14);
  expect(Number(row?.minutes)).toBeLessThanOrEqual(15);
  const statuses = await supergraph.sql<{ login_status: string }>(
    `SELECT login_status FROM user_login_history WHERE user_id = $1 AND login_at > now() - interval '1 minute'
     ORDER BY login_id`,
    [account.id],
  );
  expect(statuses.map((s) => s.login_status).slice(-6)).toEqual([
    'Failed',
    'Failed',
    'Failed',
    'Failed',
    'Failed',
    'Locked',
  ]);

  // Fifteen minutes pass.
  await supergraph.sql(
    `UPDATE users SET account_locked_until = now() - interval '1 second' WHERE user_id = $1`,
    [account.id],
  );
  const unlocked = await loginAs(account);
  expect(unlocked.errors).toBeUndefined();
  const [reset] = await supergraph.sql<{ failed_login_attempts: number }>(
    'SELECT failed_login_attempts FROM users WHERE user_id = $1',
    [account.id],
  );
  expect(reset?.failed_login_attempts).toBe(0);
});

test('refresh rotates; reusing a rotated token revokes the whole session', async () => {
  const account = await supergraph.user();
  const first = await supergraph.query<{
    refreshToken: { accessToken: string; refreshToken: string; session: { id: string } };
  }>(REFRESH, { token: account.refreshToken });
  expect(first.errors).toBeUndefined();
  const rotated = first.data!.refreshToken;
  expect(rotated.session.id).toBe(account.sessionId);
  expect(rotated.refreshToken).not.toBe(account.refreshToken);
  expect((await supergraph.query(ME, {}, { token: rotated.accessToken })).data?.me).toBeTruthy();

  // Someone replays the old token: the session dies for everyone holding it.
  const replay = await supergraph.query(REFRESH, { token: account.refreshToken });
  expect(replay.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const afterReplay = await supergraph.query(REFRESH, { token: rotated.refreshToken });
  expect(afterReplay.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(await profileAccepts(rotated.accessToken)).toBe(false);
  expect(await profileAccepts(account.token)).toBe(false);
});

test('an unknown or malformed refresh token is UNAUTHENTICATED', async () => {
  for (const token of ['', 'garbage', 'x'.repeat(500)]) {
    const response = await supergraph.query(REFRESH, { token });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  }
});

test('logout ends the current session at once on every subgraph; other sessions live on', async () => {
  const account = await supergraph.user();
  const other = (await loginAs(account)).data!.login;
  expect(await profileAccepts(account.token)).toBe(true);

  const out = await supergraph.query<{ logout: number }>(LOGOUT, {}, { token: account.token });
  expect(out.data?.logout).toBe(1);
  expect(await profileAccepts(account.token)).toBe(false);
  const meAfter = await supergraph.query(ME, {}, { token: account.token });
  expect(meAfter.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(await profileAccepts(other.accessToken)).toBe(true);
  const refreshed = await supergraph.query(REFRESH, { token: account.refreshToken });
  expect(refreshed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

test('logout on all devices revokes every session and makes old access tokens fail at once elsewhere', async () => {
  const account = await supergraph.user();
  const second = (await loginAs(account)).data!.login;
  const third = (await loginAs(account)).data!.login;
  const out = await supergraph.query<{ logout: number }>(
    LOGOUT,
    { all: true },
    { token: second.accessToken },
  );
  expect(out.data?.logout).toBe(3);
  for (const token of [account.token, second.accessToken, third.accessToken]) {
    expect(await profileAccepts(token)).toBe(false);
  }
});

test('sessions lists the live sessions with the current one marked; revokeSession ends another', async () => {
  const account = await supergraph.user();
  const phone = (await loginAs(account, { deviceType: 'MOBILE' })).data!.login;
  const list = await supergraph.query<{
    sessions: { id: string; isCurrent: boolean; deviceType: string | null }[];
  }>(SESSIONS, {}, { token: account.token });
  expect(list.data?.sessions).toHaveLength(2);
  expect(list.data?.sessions.find((s) => s.isCurrent)?.id).toBe(account.sessionId);
  expect(list.data?.sessions.find((s) => !s.isCurrent)).toMatchObject({
    id: phone.session.id,
    deviceType: 'MOBILE',
  });

  const revoked = await supergraph.query<{ revokeSession: boolean }>(
    'mutation ($id: ID!) { revokeSession(id: $id) }',
    { id: phone.session.id },
    { token: account.token },
  );
  expect(revoked.data?.revokeSession).toBe(true);
  expect(await profileAccepts(phone.accessToken)).toBe(false);

  const stranger = await supergraph.user();
  const foreign = await supergraph.query(
    'mutation ($id: ID!) { revokeSession(id: $id) }',
    { id: account.sessionId },
    { token: stranger.token },
  );
  expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  expect(await profileAccepts(account.token)).toBe(true);
});

test('sessions and logout need a token', async () => {
  expect((await supergraph.query(SESSIONS)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect((await supergraph.query(LOGOUT)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});
