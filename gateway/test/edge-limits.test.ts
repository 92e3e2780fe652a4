import { startTestStack, type TestStack } from './fixtures.js';

/** The limits as an HTTP client meets them: a 400 naming the limit, or the data. */

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ limits: { maxDepth: 5, maxCost: 200, maxAliases: 3, maxRootFields: 3 } });
});
afterAll(async () => {
  await stack?.stop();
});

const refusal = (limit: string, value: number, max: number) => ({
  status: 400,
  body: {
    errors: [
      expect.objectContaining({
        message: expect.any(String),
        extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit, value, max },
      }),
    ],
  },
});

test('depth: too deep is refused before any subgraph is called; within the limit answers', async () => {
  const before = stack.posts.received.length;
  const deep = await stack.post({
    query: '{ posts(first: 1) { author { posts(first: 1) { author { posts(first: 1) { id } } } } } }',
  });
  expect(deep).toMatchObject(refusal('depth', 6, 5));
  expect(deep.body.errors?.[0]?.message).toBe('Operation depth 6 exceeds the limit of 5');
  expect(deep.body).not.toHaveProperty('data');
  expect(stack.posts.received.length).toBe(before);

  const ok = await stack.post({
    query: '{ posts(first: 1) { title author { name posts(first: 1) { id } } } }',
  });
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({
    data: { posts: [{ title: 'Post p0', author: { name: 'User 1', posts: [{ id: '1-p0' }] } }] },
  });
});

test('cost: the list sizes in the variables count', async () => {
  const list = (alias: string) => `${alias}: posts(first: $n) { id author { name } }`;
  const query = `query Posts($n: Int!) { ${list('a')} ${list('b')} ${list('c')} }`;
  // 3 lists × n × (1 + author 1)
  expect(await stack.post({ query, variables: { n: 50 } })).toMatchObject(refusal('cost', 300, 200));
  const ok = await stack.post({ query, variables: { n: 3 } });
  expect(ok.status).toBe(200);
  expect((ok.body.data?.a as unknown[]).length).toBe(3);
  // A page size over the API's largest (50) costs what 50 does: refusing it is the subgraph's
  // BAD_USER_INPUT to give, naming the argument (this test subgraph has no such check).
  const single = 'query Posts($n: Int!) { posts(first: $n) { id author { name } } }';
  expect((await stack.post({ query: single, variables: { n: 101 } })).status).toBe(200);
});

test('aliases and root fields', async () => {
  expect(
    await stack.post({ query: '{ a: me { id } b: me { id } c: me { id } d: me { id } }' }),
  ).toMatchObject(refusal('aliases', 4, 3));
  expect(
    await stack.post({ query: '{ me { id } user(id: "2") { id } users(ids: ["3"]) { id } posts { id } }' }),
  ).toMatchObject(refusal('rootFields', 4, 3));
  const ok = await stack.post({ query: '{ me { id } a: user(id: "2") { id } b: user(id: "3") { name } }' });
  expect(ok.body).toEqual({ data: { me: { id: '1' }, a: { id: '2' }, b: { name: 'User 3' } } });
});

test('directives', async () => {
  const directives = Array.from({ length: 51 }, () => 'id @skip(if: false)').join(' ');
  const response = await stack.post({ query: `{ me { ${directives} } }` });
  expect(response).toMatchObject(refusal('directives', 51, 50));
  expect((await stack.post({ query: '{ me { id name @include(if: true) } }' })).body).toEqual({
    data: { me: { id: '1', name: 'User 1' } },
  });
});

test('tokens: an oversized document is refused by the parser', async () => {
  const response = await stack.post({
    query: `{ me { ${Array.from({ length: 600 }, () => 'id name').join(' ')} } }`,
  });
  expect(response.status).toBe(400);
  expect(response.body.errors?.[0]).toMatchObject({
    message: expect.stringMatching(/Document contains more th.t 1000 tokens/),
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  });
});

test('body size: a body over the limit gets 413 with a clear message; malformed JSON gets 400', async () => {
  const response = await stack.post({
    query: '{ me { id } }',
    variables: { padding: 'x'.repeat(1_100_000) },
  });
  expect(response).toMatchObject({
    status: 413,
    body: {
      errors: [
        {
          message: 'Request body is larger than the 1mb limit',
          extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 'bodySize', max: '1mb' },
        },
      ],
    },
  });
  const malformed = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query": "{ me { id } }"',
  });
  expect(malformed.status).toBe(400);
  expect(await malformed.json()).toEqual({
    errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
  });
});

test('batching is off by default, with a clear error', async () => {
  const response = await stack.post([{ query: '{ me { id } }' }, { query: '{ me { name } }' }]);
  expect(response).toMatchObject({
    status: 400,
    body: {
      errors: [
        {
          message: 'Batched requests are disabled on this gateway: send one operation per request',
          extensions: { code: 'BAD_REQUEST', limit: 'batchSize' },
        },
      ],
    },
  });
});

describe('with batching bounded to 2', () => {
  let batching: TestStack;
  beforeAll(async () => {
    batching = await startTestStack({ maxBatchSize: 2, limits: { maxAliases: 1 } });
  });
  afterAll(async () => {
    await batching?.stop();
  });

  test('a batch within the bound runs, each operation under the limits; a bigger one is refused', async () => {
    const batch = (operations: unknown[]) =>
      fetch(batching.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(operations),
      });
    const ok = await batch([{ query: '{ me { id } }' }, { query: '{ a: me { name } }' }]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual([{ data: { me: { id: '1' } } }, { data: { a: { name: 'User 1' } } }]);

    const partly = await batch([{ query: '{ me { id } }' }, { query: '{ a: me { id } b: me { id } }' }]);
    expect(await partly.json()).toEqual([
      { data: { me: { id: '1' } } },
      {
        errors: [
          {
            message: 'Operation has 2 aliases; the limit is 1',
            extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: 'aliases', value: 2, max: 1 },
          },
        ],
      },
    ]);
    const tooMany = await batching.post([1, 2, 3].map(() => ({ query: '{ me { id } }' })));
    expect(tooMany).toMatchObject({
      status: 400,
      body: {
        errors: [
          {
            message: 'Batch of 3 operations exceeds the limit of 2',
            extensions: { code: 'OPERATION_LIMIT_EXCEEDED', limit: 'batchSize', value: 3, max: 2 },
          },
        ],
      },
    });
  });
});
