/**
 * The auth service's edges: the JWKS other services verify with, rate limits on the public
 * mutations, and the scheduled cleanup.
 */
import { startSupergraph, type Supergraph } from '@social/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { LOGIN, REGISTER, registerInput } from './operations.js';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph({
    env: {
      RATE_LIMITS_ENABLED: 'true',
      RATE_LIMIT_LOGIN_PER_IP: '5',
      RATE_LIMIT_REGISTER_PER_IP: '6',
      RATE_LIMIT_PASSWORD_RESET_PER_IP: '2',
      CLEANUP_INTERVAL_MS: '300',
    },
  });
});
afterAll(async () => {
  await supergraph?.stop();
});

test('access tokens verify against the JWKS served by auth (HTTP and GraphQL)', async () => {
  const account = await supergraph.user();
  const jwksUrl = new URL('/.well-known/jwks.json', supergraph.subgraphUrls.auth);
  const response = await fetch(jwksUrl);
  expect(response.status).toBe(200);
  const jwks = (await response.json()) as { keys: { kid: string; alg: string; d?: string }[] };
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0]).toMatchObject({ alg: 'EdDSA', use: 'sig' });
  expect(jwks.keys[0]?.d).toBeUndefined();
  const { payload, protectedHeader } = await jwtVerify(account.token, createRemoteJWKSet(jwksUrl), {
    issuer: 'social-supergraph',
    audience: 'social-supergraph',
  });
  expect(protectedHeader.kid).toBe(jwks.keys[0]?.kid);
  expect(payload).toMatchObject({
    sub: account.id,
    sid: account.sessionId,
    role: 'USER',
    username: account.username,
  });
  const viaGraphQL = await supergraph.query<{ jwks: unknown }>('{ jwks }');
  expect(viaGraphQL.data?.jwks).toEqual(jwks);
});

test('login attempts per IP are limited with RATE_LIMITED and a retryAfter', async () => {
  // The first test's account used one of the 5 logins of this window.
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 4; i += 1) {
    const response = await supergraph.query(LOGIN, {
      input: { identifier: `nobody_${i}`, password: 'Whatever-123!' },
    });
    codes.push(response.errors?.[0]?.extensions?.code as string | undefined);
  }
  expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
  const limited = await supergraph.query(LOGIN, {
    input: { identifier: 'nobody_x', password: 'Whatever-123!' },
  });
  expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(limited.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
});

test('registrations and password resets per IP are limited', async () => {
  // One account of this file already registered (6 allowed per window).
  const results: (string | undefined)[] = [];
  for (let i = 0; i < 6; i += 1) {
    const response = await supergraph.query(REGISTER, { input: registerInput() });
    results.push(response.errors?.[0]?.extensions?.code as string | undefined);
  }
  expect(results.filter((code) => code === undefined)).toHaveLength(5);
  expect(results.at(-1)).toBe('RATE_LIMITED');

  const RESET = 'mutation ($e: String!) { requestPasswordReset(email: $e) }';
  const resets = [];
  for (let i = 0; i < 3; i += 1)
    resets.push((await supergraph.query(RESET, { e: 'x@example.com' })).errors?.[0]?.extensions?.code);
  expect(resets).toEqual([undefined, undefined, 'RATE_LIMITED']);
});

test('the scheduled cleanup removes expired sessions and codes', async () => {
  const [{ user_id: userId } = { user_id: '' }] = await supergraph.sql<{ user_id: string }>(
    'SELECT user_id FROM users ORDER BY created_at LIMIT 1',
  );
  await supergraph.sql(
    `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at) VALUES ($1, $2, now() - interval '1 minute')`,
    [userId, 'f'.repeat(64)],
  );
  const until = Date.now() + 5_000;
  let left = 1;
  while (left > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [row] = await supergraph.sql<{ n: string }>(
      'SELECT count(*) AS n FROM user_sessions WHERE refresh_token_hash = $1',
      ['f'.repeat(64)],
    );
    left = Number(row?.n);
  }
  expect(left).toBe(0);
});

test('a registration stands when its mail cannot be sent; the code can be requested again later', async () => {
  // A file where the outbox's directory should be: every mail write fails.
  const broken = await startSupergraph({ env: { MAIL_OUTBOX: '/etc/hostname/outbox.jsonl' } });
  try {
    const input = registerInput();
    const response = await broken.query<{ register: { user: { id: string } } }>(REGISTER, { input });
    expect(response.errors).toBeUndefined();
    const rows = await broken.sql('SELECT 1 FROM users WHERE user_id = $1', [
      response.data?.register.user.id,
    ]);
    expect(rows).toHaveLength(1);
    // Asking again for the code fails loudly: nothing was committed that a retry would duplicate.
    const resend = await broken.query('mutation ($e: String!) { resendVerificationCode(email: $e) }', {
      e: input.email,
    });
    expect(resend.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  } finally {
    await broken.stop();
  }
});
