/**
 * Registration and email verification through the gateway, against the real auth database: what a
 * person signing up sees, and what is (and is not) stored.
 */
import { startSupergraph, type Supergraph } from '@social/testing';
import { GOOD_PASSWORD, LOGIN, REGISTER, RESEND_CODE, VERIFY_EMAIL, registerInput } from './operations.js';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(async () => {
  await supergraph?.stop();
});

const userCount = async () =>
  Number((await supergraph.sql<{ n: string }>('SELECT count(*) AS n FROM users'))[0]?.n);

test('register creates an unverified USER, mails a 6-digit code and stores only its hash', async () => {
  const input = registerInput({ phoneNumber: '+14155550123' });
  const response = await supergraph.query<{
    register: { user: Record<string, unknown>; verificationCodeExpiresAt: string };
  }>(REGISTER, { input });
  expect(response.errors).toBeUndefined();
  const { user, verificationCodeExpiresAt } = response.data!.register;
  expect(user).toMatchObject({
    username: input.username,
    emailVerified: false,
    role: 'USER',
    accountStatus: 'ACTIVE',
  });
  // Anonymous callers never see an email address, not even in the register payload's user.
  expect(user.email).toBeNull();
  const minutes = (Date.parse(verificationCodeExpiresAt) - Date.now()) / 60_000;
  expect(minutes).toBeGreaterThan(14);
  expect(minutes).toBeLessThanOrEqual(15);

  const mail = await supergraph.latestMail(input.email as string, 'email-verification');
  expect(mail?.data?.code).toMatch(/^[0-9]{6}$/);
  expect(mail?.text).toContain(mail?.data?.code);
  const rows = await supergraph.sql<{ code_hash: string; password_hash: string; phone_number: string }>(
    `SELECT v.code_hash, u.password_hash, u.phone_number FROM verification_codes v JOIN users u USING (user_id)
     WHERE u.user_id = $1`,
    [user.id],
  );
  expect(rows).toHaveLength(1);
  expect(rows[0]?.code_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(rows[0]?.code_hash).not.toContain(mail?.data?.code);
  expect(rows[0]?.password_hash).toMatch(/^\$2[aby]\$12\$/);
  expect(rows[0]?.phone_number).toBe('+14155550123');
});

test('a duplicate email or username, in any letter case, is a CONFLICT and stores nothing', async () => {
  const first = registerInput();
  expect((await supergraph.query(REGISTER, { input: first })).errors).toBeUndefined();
  const before = await userCount();
  const sameEmail = registerInput({ email: (first.email as string).toUpperCase() });
  const sameUsername = registerInput({ username: (first.username as string).toUpperCase() });
  for (const input of [sameEmail, sameUsername]) {
    const response = await supergraph.query(REGISTER, { input });
    expect(response.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  }
  expect(await userCount()).toBe(before);
});

test.each([
  ['a short username', { username: 'ab' }, 'input.username'],
  ['a username with a dash', { username: 'bad-name' }, 'input.username'],
  ['a 51-character username', { username: 'a'.repeat(51) }, 'input.username'],
  ['an invalid email', { email: 'not-an-email' }, 'input.email'],
  ['a 9-character password', { password: 'Ab1!Ab1!x' }, 'input.password'],
  ['a password without enough character classes', { password: 'alllowercaseletters' }, 'input.password'],
  ['a common password', { password: 'Password123!' }, 'input.password'],
  ['a password over 72 bytes', { password: `Aa1!${'é'.repeat(40)}` }, 'input.password'],
  ['an empty first name', { firstName: '   ' }, 'input.firstName'],
  ['a 101-character last name', { lastName: 'x'.repeat(101) }, 'input.lastName'],
  ['a malformed phone number', { phoneNumber: '555-1234' }, 'input.phoneNumber'],
])('%s is BAD_USER_INPUT naming the field, and no account is stored', async (_label, override, field) => {
  const before = await userCount();
  const response = await supergraph.query(REGISTER, { input: registerInput(override) });
  expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(await userCount()).toBe(before);
});

test('a password containing the username is refused', async () => {
  const input = registerInput({ username: 'marigold_fan' });
  input.password = 'Marigold_Fan-2031!';
  const response = await supergraph.query(REGISTER, { input });
  expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password' });
});

test('login before verification is FORBIDDEN (EMAIL_NOT_VERIFIED); the code verifies once', async () => {
  const input = registerInput();
  await supergraph.query(REGISTER, { input });
  const early = await supergraph.query(LOGIN, {
    input: { identifier: input.username, password: GOOD_PASSWORD },
  });
  expect(early.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'EMAIL_NOT_VERIFIED' });
  const history = await supergraph.sql<{ login_status: string }>(
    `SELECT login_status FROM user_login_history h JOIN users u USING (user_id) WHERE u.username = $1`,
    [input.username],
  );
  expect(history.map((row) => row.login_status)).toEqual(['Unverified']);

  const code = (await supergraph.latestMail(input.email as string, 'email-verification'))?.data?.code;
  const verified = await supergraph.query<{ verifyEmail: boolean }>(VERIFY_EMAIL, {
    input: { email: input.email, code },
  });
  expect(verified.data?.verifyEmail).toBe(true);
  const again = await supergraph.query(VERIFY_EMAIL, { input: { email: input.email, code } });
  expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  const login = await supergraph.query(LOGIN, {
    input: { identifier: input.email, password: GOOD_PASSWORD },
  });
  expect(login.errors).toBeUndefined();
});

test('wrong codes count: after 5 the right code no longer works until a new one is sent', async () => {
  const input = registerInput();
  await supergraph.query(REGISTER, { input });
  const code = (await supergraph.latestMail(input.email as string, 'email-verification'))!.data!.code!;
  const wrong = code === '123456' ? '654321' : '123456';
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const response = await supergraph.query(VERIFY_EMAIL, { input: { email: input.email, code: wrong } });
    expect(response.errors?.[0]?.message).toBe('Invalid verification code');
  }
  const blocked = await supergraph.query(VERIFY_EMAIL, { input: { email: input.email, code } });
  expect(blocked.errors?.[0]?.message).toMatch(/Too many attempts/);

  const resent = await supergraph.query<{ resendVerificationCode: boolean }>(RESEND_CODE, {
    email: input.email,
  });
  expect(resent.data?.resendVerificationCode).toBe(true);
  const fresh = (await supergraph.latestMail(input.email as string, 'email-verification'))!.data!.code!;
  if (fresh !== code) {
    // The earlier code stopped working when the new one was issued.
    const old = await supergraph.query(VERIFY_EMAIL, { input: { email: input.email, code } });
    expect(old.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  }
  const ok = await supergraph.query<{ verifyEmail: boolean }>(VERIFY_EMAIL, {
    input: { email: input.email, code: fresh },
  });
  expect(ok.data?.verifyEmail).toBe(true);
});

test('an expired code is refused with its reason', async () => {
  const input = registerInput();
  await supergraph.query(REGISTER, { input });
  const code = (await supergraph.latestMail(input.email as string, 'email-verification'))!.data!.code!;
  await supergraph.sql(
    `UPDATE verification_codes SET expires_at = now() - interval '1 second'
     WHERE user_id = (SELECT user_id FROM users WHERE username = $1)`,
    [input.username],
  );
  const response = await supergraph.query(VERIFY_EMAIL, { input: { email: input.email, code } });
  expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(response.errors?.[0]?.message).toMatch(/expired/);
});

test('resending to an unknown address answers true and mails nothing', async () => {
  const response = await supergraph.query<{ resendVerificationCode: boolean }>(RESEND_CODE, {
    email: 'nobody-here@example.com',
  });
  expect(response.data?.resendVerificationCode).toBe(true);
  expect(await supergraph.latestMail('nobody-here@example.com')).toBeUndefined();
});
