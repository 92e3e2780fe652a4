/**
 * Inputs the gateway fuzzer (test/reliability/fuzz.test.ts) found answered with
 * INTERNAL_SERVER_ERROR, each now a clear client error.
 */
import { gatewayOperations, startSupergraph, type Supergraph } from '@social/testing';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(async () => {
  await supergraph?.stop();
});

test('revokeSession with an id that is not a UUID is NOT_FOUND, and the session stays alive', async () => {
  const { failureCode, run } = gatewayOperations(supergraph);
  const alice = await supergraph.user();
  // PostgreSQL refuses a malformed uuid; that was an internal error before.
  for (const id of ['conversation:1', 'not-an-id', '507f1f77bcf86cd799439011', '']) {
    expect({
      id,
      code: await failureCode('mutation ($id: ID!) { revokeSession(id: $id) }', { id }, alice),
    }).toEqual({
      id,
      code: 'NOT_FOUND',
    });
  }
  const { sessions } = await run<{ sessions: Array<{ id: string; isCurrent: boolean }> }>(
    '{ sessions { id isCurrent } }',
    {},
    alice,
  );
  expect(sessions).toEqual([{ id: alice.sessionId, isCurrent: true }]);
});

test('text with a NUL character (which PostgreSQL cannot store) is BAD_USER_INPUT, not a failed query', async () => {
  const { failureCode } = gatewayOperations(supergraph);
  const alice = await supergraph.user();
  const admin = await supergraph.user({ role: 'ADMIN' });
  const login = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
  expect(
    await failureCode(login, { input: { identifier: `${alice.username}\u0000`, password: alice.password } }),
  ).toBe('BAD_USER_INPUT');
  expect(
    await failureCode(login, {
      input: { identifier: alice.username, password: alice.password, deviceInfo: 'a\u0000b' },
    }),
  ).toBe('BAD_USER_INPUT');
  expect(
    await failureCode('mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }', {
      input: {
        username: 'nul_name',
        email: 'nul_name@example.com',
        password: 'Sturdy-Nul-Pass-42!',
        firstName: 'A\u0000',
        lastName: 'B',
      },
    }),
  ).toBe('BAD_USER_INPUT');
  expect(
    await failureCode(
      'query ($f: UserAccountFilter) { users(filter: $f) { edges { cursor } } }',
      { f: { search: '\u0000' } },
      admin,
    ),
  ).toBe('BAD_USER_INPUT');
  // Nothing was recorded for the refused attempts: the only login is the harness's own.
  const history = await supergraph.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM user_login_history WHERE user_id = $1',
    [alice.id],
  );
  expect(history[0]?.n).toBe(1);
});

test('a login-history cursor beyond the bigint range is BAD_USER_INPUT', async () => {
  const { firstError } = gatewayOperations(supergraph);
  const alice = await supergraph.user();
  const after = Buffer.from(JSON.stringify(['9999999999999999999']), 'utf8').toString('base64url');
  const error = await firstError(
    'query ($id: ID!, $after: String) { user(id: $id) { loginHistory(first: 2, after: $after) { edges { cursor } } } }',
    { id: alice.id, after },
    alice,
  );
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
});
