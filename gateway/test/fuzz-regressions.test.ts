/**
 * Requests the gateway fuzzer (test/reliability/fuzz.test.ts) found answered with
 * INTERNAL_SERVER_ERROR, each now a clear client error.
 */
import { startSupergraph, type Supergraph } from '@social/testing';
import { startTestStack, type TestStack } from './fixtures.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

test('an automatic persisted query of an unsupported version is BAD_REQUEST, not an internal error', async () => {
  // Apollo Server raises it with HTTP 400 but no code, which it then labels INTERNAL_SERVER_ERROR.
  for (const persistedQuery of [
    { version: 99, sha256Hash: 'deadbeef' },
    { version: '1', sha256Hash: { $gt: '' } },
  ]) {
    const response = await stack.post({ extensions: { persistedQuery } });
    expect({ status: response.status, errors: response.body.errors }).toEqual({
      status: 400,
      errors: [
        expect.objectContaining({
          message: 'Unsupported persisted query version',
          extensions: expect.objectContaining({ code: 'BAD_REQUEST' }),
        }),
      ],
    });
  }
});

describe('through the real supergraph', () => {
  let supergraph: Supergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph();
  });
  afterAll(async () => {
    await supergraph?.stop();
  });

  test('an invalid DateTime (checked only by the subgraph) is the subgraph’s coded client error, not a 500', async () => {
    const alice = await supergraph.user();
    const ADD = 'mutation ($input: AddProfileExperienceInput!) { addExperience(input: $input) { id } }';
    const inline = await supergraph.query(
      'mutation { addExperience(input: {company: "Acme", position: "Dev", startDate: "2026-11-21T25:61:61Z"}) { id } }',
      {},
      { token: alice.token },
    );
    expect(inline.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    for (const startDate of ['', 'not-a-date', '2026-02-30T00:00:00Z', true]) {
      const response = await supergraph.query(
        ADD,
        { input: { company: 'Acme', position: 'Dev', startDate } },
        { token: alice.token },
      );
      expect({
        startDate,
        codes: response.errors?.map((e) => e.extensions?.code),
      }).toEqual({
        startDate,
        codes: ['BAD_USER_INPUT'],
      });
    }
  });

  test('a subscription sent over HTTP is BAD_REQUEST (graphql-ws serves them), not a 500', async () => {
    const response = await fetch(supergraph.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'subscription { notificationAdded { id } }',
      }),
    });
    const body = (await response.json()) as {
      errors?: Array<{ extensions?: { code?: string } }>;
    };
    expect({
      status: response.status,
      codes: body.errors?.map((e) => e.extensions?.code),
    }).toEqual({
      status: 400,
      codes: ['BAD_REQUEST'],
    });
  });
});
