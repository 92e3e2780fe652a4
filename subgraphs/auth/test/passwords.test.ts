/** Password reset by mail and password change: single-use tokens, expiry, and who gets logged out. */
import { startSupergraph, type Supergraph } from '@social/testing';
import { LOGIN } from './operations.js';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(async () => {
  await supergraph?.stop();
});

const REQUEST_RESET = 'mutation ($email: String!) { requestPasswordReset(email: $email) }';
const RESET = 'mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }';
const CHANGE = 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }';
const profileAccepts = async (token: string) =>
  (await supergraph.query('{ __typename }', {}, { token, target: 'profile' })).status === 200;
const canLogin = async (identifier: string, password: string) =>
  !(await supergraph.query(LOGIN, { input: { identifier, password } })).errors;

async function resetTokenFor(email: string): Promise<string> {
  const response = await supergraph.query<{ requestPasswordReset: boolean }>(REQUEST_RESET, { email });
  expect(response.data?.requestPasswordReset).toBe(true);
  const token = (await supergraph.latestMail(email, 'password-reset'))?.data?.token;
  if (!token) throw new Error('no reset mail');
  return token;
}

test('a reset token works once, sets the new password and revokes every session', async () => {
  const account = await supergraph.user();
  const token = await resetTokenFor(account.email);
  const [stored] = await supergraph.sql<{ token_hash: string }>(
    'SELECT token_hash FROM password_reset_tokens WHERE user_id = $1',
    [account.id],
  );
  expect(stored?.token_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(stored?.token_hash).not.toBe(token);

  const reset = await supergraph.query<{ resetPassword: boolean }>(RESET, {
    input: { token, newPassword: 'Fresh-Lantern-77!' },
  });
  expect(reset.data?.resetPassword).toBe(true);
  expect(await profileAccepts(account.token)).toBe(false);
  expect(await canLogin(account.username, account.password)).toBe(false);
  expect(await canLogin(account.username, 'Fresh-Lantern-77!')).toBe(true);

  const again = await supergraph.query(RESET, { input: { token, newPassword: 'Another-Lantern-78!' } });
  expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.token' });
});

test('a successful reset invalidates the other outstanding tokens', async () => {
  const account = await supergraph.user();
  const older = await resetTokenFor(account.email);
  const newer = await resetTokenFor(account.email);
  expect(
    (await supergraph.query(RESET, { input: { token: newer, newPassword: 'Copper-Meadow-41!' } })).errors,
  ).toBeUndefined();
  const stale = await supergraph.query(RESET, { input: { token: older, newPassword: 'Copper-Meadow-42!' } });
  expect(stale.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});

test('an expired reset token is refused and the password stays', async () => {
  const account = await supergraph.user();
  const token = await resetTokenFor(account.email);
  await supergraph.sql(
    `UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
    [account.id],
  );
  const response = await supergraph.query(RESET, { input: { token, newPassword: 'Silver-Orchard-55!' } });
  expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(await canLogin(account.username, account.password)).toBe(true);
});

test('a weak new password is refused and the token stays usable', async () => {
  const account = await supergraph.user();
  const token = await resetTokenFor(account.email);
  const weak = await supergraph.query(RESET, { input: { token, newPassword: 'short' } });
  expect(weak.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.newPassword' });
  const strong = await supergraph.query(RESET, { input: { token, newPassword: 'Velvet-Compass-63!' } });
  expect(strong.errors).toBeUndefined();
});

test('requesting a reset for an unknown address answers true and mails nothing', async () => {
  const response = await supergraph.query<{ requestPasswordReset: boolean }>(REQUEST_RESET, {
    email: 'ghost@example.com',
  });
  expect(response.data?.requestPasswordReset).toBe(true);
  expect(await supergraph.latestMail('ghost@example.com')).toBeUndefined();
});

test('changePassword checks the current password and logs out the other sessions only', async () => {
  const account = await supergraph.user();
  const other = await supergraph.login(account.username, account.password);
  const wrong = await supergraph.query(
    CHANGE,
    { input: { currentPassword: 'Not-My-Password-1', newPassword: 'Granite-Falcon-29!' } },
    { token: account.token },
  );
  expect(wrong.errors?.[0]?.extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    field: 'input.currentPassword',
  });
  const same = await supergraph.query(
    CHANGE,
    { input: { currentPassword: account.password, newPassword: account.password } },
    { token: account.token },
  );
  expect(same.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

  const changed = await supergraph.query<{ changePassword: boolean }>(
    CHANGE,
    { input: { currentPassword: account.password, newPassword: 'Granite-Falcon-29!' } },
    { token: account.token },
  );
  expect(changed.data?.changePassword).toBe(true);
  expect(await profileAccepts(account.token)).toBe(true);
  expect(await profileAccepts(other.token)).toBe(false);
  expect(await canLogin(account.username, 'Granite-Falcon-29!')).toBe(true);
});
