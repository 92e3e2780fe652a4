import { getIntrospectionQuery } from 'graphql';
import { startTestStack, type TestStack } from './fixtures.js';

/** Production masking and schema hiding, against development's openness. */

describe('in production', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ production: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('an internal error in a subgraph reaches the client as INTERNAL_SERVER_ERROR with only a request id', async () => {
    const response = await stack.post({ query: '{ me { id } boom }' }, { 'x-request-id': 'req-boom-1' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: { me: { id: '1' }, boom: null },
      errors: [
        {
          message: 'Internal server error',
          path: ['boom'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-boom-1' },
        },
      ],
    });
    expect(JSON.stringify(response.body)).not.toMatch(/hunter2|stacktrace|users/);
    // The full detail is in the gateway's log, under the same request id.
    const logged = stack.lines.find(
      (line) => line.msg === 'internal error' && line.requestId === 'req-boom-1',
    );
    expect(logged).toMatchObject({ level: 50, operationType: 'query', path: ['boom'] });
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  test('subgraph error codes pass through unchanged, without stack or service name', async () => {
    const response = await stack.post({ query: '{ badInput forbiddenThing me { name } }' });
    expect(response.body).toEqual({
      data: { badInput: null, forbiddenThing: null, me: { name: 'User 1' } },
      errors: expect.arrayContaining([
        {
          message: 'name must not be empty',
          path: ['badInput'],
          extensions: { code: 'BAD_USER_INPUT', field: 'name' },
        },
        {
          message: 'Not yours',
          path: ['forbiddenThing'],
          extensions: { code: 'FORBIDDEN', reason: 'NOT_OWNER' },
        },
      ]),
    });
    expect(response.body.errors).toHaveLength(2);
    // Client errors are not logged as internal ones.
    expect(
      stack.lines.filter(
        (line) => line.msg === 'internal error' && JSON.stringify(line).includes('Not yours'),
      ),
    ).toEqual([]);
  });

  test('introspection is off', async () => {
    const response = await stack.post({ query: '{ __schema { types { name } } }' });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.errors?.[0]?.message).toMatch(/introspection is not allowed/i);
  });

  test('field suggestions are off: no "Did you mean"', async () => {
    const response = await stack.post({ query: '{ me { nam } }' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        message: 'Cannot query field "nam" on type "User".',
        locations: [{ line: 1, column: 8 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
  });

  test('a subgraph that is down is an internal error that says to retry, naming no service or address', async () => {
    const down = await startTestStack({ production: true });
    await down.posts.stop();
    try {
      const response = await down.post({ query: '{ posts { id } }' });
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          message: 'A service this field needs is temporarily unavailable, try again shortly',
          extensions: {
            code: 'INTERNAL_SERVER_ERROR',
            reason: 'SUBGRAPH_UNAVAILABLE',
            requestId: response.headers.get('x-request-id'),
          },
        }),
      ]);
      expect(JSON.stringify(response.body)).not.toMatch(/posts|ECONNREFUSED|127\.0\.0\.1|stacktrace/);
    } finally {
      await down.gateway.stop();
      await down.users.stop();
    }
  });
});

describe('in development', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ production: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('internal errors keep their message (with the request id) for the developer', async () => {
    const response = await stack.post({ query: '{ boom }' });
    const error = response.body.errors?.[0];
    expect(error?.message).toContain('hunter2');
    expect(error?.extensions).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      requestId: response.headers.get('x-request-id'),
    });
  });

  test("GraphiQL's introspection query answers, and suggestions help", async () => {
    const introspection = await stack.post({ query: getIntrospectionQuery({ inputValueDeprecation: true }) });
    expect(introspection.status).toBe(200);
    const types = (introspection.body.data?.__schema as { types: Array<{ name: string }> }).types.map(
      (t) => t.name,
    );
    expect(types).toEqual(expect.arrayContaining(['User', 'Post']));
    const typo = await stack.post({ query: '{ me { nam } }' });
    expect(typo.body.errors?.[0]?.message).toBe(
      'Cannot query field "nam" on type "User". Did you mean "name"?',
    );
  });
});
