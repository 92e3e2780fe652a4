import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { unauthenticated, type TokenVerifier } from '@social/kit';
import { parse } from 'graphql';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';
import {
  capturingLogger,
  composeSupergraph,
  postsResolvers,
  postsTypeDefs,
  startSubgraph,
  usersResolvers,
  usersTypeDefs,
  type TestSubgraph,
} from './fixtures.js';

/**
 * The edge's fast path for plain POST queries (src/fast-path.ts): identical concurrent callers
 * share one execution and one body, different callers never do, and every answer — successes,
 * refusals, masked errors, headers, access log, metrics — is the one Apollo Server's pipeline gives.
 */

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

let users: TestSubgraph;
let posts: TestSubgraph;
let slow: TestSubgraph;
let supergraphSdl: string;

beforeAll(async () => {
  users = await startSubgraph('users', usersTypeDefs, usersResolvers);
  posts = await startSubgraph('posts', postsTypeDefs(false), postsResolvers);
  slow = await startSubgraph(
    'slow',
    parse(`${LINK}
      type Query { whoami(tag: String): Whoami! }
      type Whoami { authorization: String forwardedFor: String userAgent: String tag: String }
    `),
    {
      Query: {
        whoami: async (_: unknown, { tag }: { tag?: string }, context: unknown) => {
          await new Promise((resolve) => setTimeout(resolve, 400));
          const { headers } = context as { headers: Record<string, string | undefined> };
          return {
            authorization: headers.authorization ?? null,
            forwardedFor: headers['x-forwarded-for'] ?? null,
            userAgent: headers['user-agent'] ?? null,
            tag: tag ?? null,
          };
        },
      },
    },
  );
  supergraphSdl = composeSupergraph([users, posts, slow]);
});

afterAll(async () => {
  await Promise.all([users?.stop(), posts?.stop(), slow?.stop()]);
});

async function withGateway<T>(
  options: Partial<GatewayOptions>,
  run: (gateway: Gateway, url: string, lines: Array<Record<string, unknown>>) => Promise<T>,
): Promise<T> {
  const { logger, lines } = capturingLogger();
  const gateway = createGateway({
    supergraphSdl,
    logger,
    watchSupergraph: false,
    trustProxy: true,
    ...options,
  });
  const url = await gateway.listen(0, '127.0.0.1');
  try {
    return await run(gateway, url, lines);
  } finally {
    await gateway.stop();
  }
}

async function send(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const requestLines = (lines: Array<Record<string, unknown>>) =>
  lines.filter((line) => line.msg === 'request' && line.path === '/graphql');

const WHOAMI = 'query Who($tag: String) { whoami(tag: $tag) { authorization forwardedFor userAgent tag } }';

describe('sharing', () => {
  test('identical concurrent callers: one upstream fetch, byte-identical bodies, each logged and counted', async () => {
    await withGateway({}, async (gateway, url, lines) => {
      const before = slow.received.length;
      const headers = { authorization: 'Bearer alice', 'user-agent': 'app/1', 'x-forwarded-for': '10.0.0.1' };
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => send(url, { query: WHOAMI, variables: { tag: 't' } }, headers)),
      );
      expect(slow.received.length - before).toBe(1);
      const expected = `${JSON.stringify({
        data: {
          whoami: { authorization: 'Bearer alice', forwardedFor: '10.0.0.1', userAgent: 'app/1', tag: 't' },
        },
      })}\n`;
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.text).toBe(expected);
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      }
      const ids = responses.map((r) => r.headers.get('x-request-id'));
      expect(new Set(ids).size).toBe(6);
      // One access-log line per caller, under its own request id.
      const logged = requestLines(lines);
      expect(logged.map((line) => line.requestId).sort()).toEqual([...ids].sort());
      for (const line of logged) {
        expect(line).toMatchObject({
          status: 200,
          operationName: 'Who',
          operationType: 'query',
          errorCount: 0,
        });
      }
      const metrics = await gateway.metrics.registry.metrics();
      expect(metrics).toMatch(
        /gateway_operations_total\{operation_name="Who",operation_type="query",outcome="success"\} 6/,
      );
      expect(metrics).toMatch(/gateway_inbound_deduplicated_total 5/);
    });
  });

  test('callers differing in token, client IP, user agent or variables never share', async () => {
    await withGateway({}, async (_gateway, url) => {
      const before = slow.received.length;
      const base = { authorization: 'Bearer alice', 'user-agent': 'app/1', 'x-forwarded-for': '10.0.0.1' };
      const callers: Array<{ headers: Record<string, string>; tag: string }> = [
        { headers: base, tag: 't' },
        { headers: { ...base, authorization: 'Bearer bob' }, tag: 't' },
        { headers: { ...base, 'x-forwarded-for': '10.0.0.2' }, tag: 't' },
        { headers: { ...base, 'user-agent': 'app/2' }, tag: 't' },
        { headers: base, tag: 'u' },
        { headers: { 'user-agent': 'app/1', 'x-forwarded-for': '10.0.0.1' }, tag: 't' },
        { headers: base, tag: 't' },
      ];
      const responses = await Promise.all(
        callers.map(({ headers, tag }) => send(url, { query: WHOAMI, variables: { tag } }, headers)),
      );
      responses.forEach((response, i) => {
        const { headers, tag } = callers[i]!;
        expect(JSON.parse(response.text)).toEqual({
          data: {
            whoami: {
              authorization: headers.authorization ?? null,
              forwardedFor: headers['x-forwarded-for'] ?? null,
              userAgent: headers['user-agent'] ?? null,
              tag,
            },
          },
        });
      });
      // Six distinct callers; only the last one repeats the first.
      expect(slow.received.length - before).toBe(6);
    });
  });
});

/** The same requests through the fast path and through Apollo Server alone must read the same. */
describe('answers are those of the normal path', () => {
  const limits = { maxDepth: 4, maxAliases: 2, maxCost: 200 };
  const apqQuery = '{ me { id name } }';
  const apqHash = createHash('sha256').update(apqQuery).digest('hex');
  const persisted = (withQuery: boolean) => ({
    ...(withQuery ? { query: apqQuery } : {}),
    extensions: { persistedQuery: { version: 1, sha256Hash: apqHash } },
  });
  const CASES: ReadonlyArray<{ name: string; body: unknown; headers?: Record<string, string> }> = [
    {
      name: 'entities across subgraphs',
      body: { query: '{ me { id name } posts(first: 2) { id title author { name } } }' },
    },
    {
      name: 'variables',
      body: { query: 'query P($n: Int) { posts(first: $n) { id } }', variables: { n: 3 } },
    },
    {
      name: 'operation chosen by name',
      body: { query: 'query A { me { id } } query B { posts(first: 1) { title } }', operationName: 'B' },
    },
    { name: 'unknown operation name', body: { query: 'query A { me { id } }', operationName: 'Z' } },
    { name: 'several operations, no name', body: { query: 'query A { me { id } } query B { me { name } }' } },
    { name: 'validation error', body: { query: '{ me { nope } }' } },
    { name: 'parse error', body: { query: '{ me { id ' } },
    { name: 'depth limit', body: { query: '{ me { friends { friends { friends { id } } } } }' } },
    { name: 'alias limit', body: { query: '{ a: me { id } b: me { id } c: me { id } }' } },
    {
      name: 'cost limit from variables',
      body: {
        query: 'query F($n: Int) { posts(first: $n) { author { friends { id } } } }',
        variables: { n: 50 },
      },
    },
    {
      name: 'within the cost limit',
      body: { query: 'query F($n: Int) { posts(first: $n) { author { name } } }', variables: { n: 2 } },
    },
    { name: 'masked internal error', body: { query: '{ me { id } boom }' } },
    { name: 'subgraph error, partial data', body: { query: '{ me { id } badInput forbiddenThing }' } },
    { name: 'introspection in production', body: { query: '{ __schema { queryType { name } } }' } },
    { name: 'only __typename', body: { query: '{ __typename }' } },
    {
      name: 'bad variable value',
      body: { query: 'query P($n: Int) { posts(first: $n) { id } }', variables: { n: 'x' } },
    },
    { name: 'missing required variable', body: { query: 'query U($id: ID!) { user(id: $id) { name } }' } },
    {
      name: 'skip and include',
      body: {
        query:
          'query S($a: Boolean!) { me { id name @include(if: $a) } posts(first: 1) @skip(if: $a) { id } }',
        variables: { a: true },
      },
    },
    { name: 'variables as a string', body: { query: '{ me { id } }', variables: '{}' } },
    { name: 'not an object', body: '"{ me { id } }"' },
    { name: 'APQ miss', body: persisted(false) },
    { name: 'APQ register', body: persisted(true) },
    { name: 'APQ hit', body: persisted(false) },
    {
      name: 'graphql-response+json accepted',
      body: { query: '{ me { id } }' },
      headers: { accept: 'application/graphql-response+json, application/json;q=0.9' },
    },
    { name: 'accept */*', body: { query: '{ me { id } }' }, headers: { accept: '*/*' } },
    { name: 'CORS origin', body: { query: '{ me { id } }' }, headers: { origin: 'https://app.example' } },
    { name: 'unknown mutation', body: { query: 'mutation { nope }' } },
    {
      name: 'token refused at the edge',
      body: { query: '{ me { id } }' },
      headers: { authorization: 'Bearer bad' },
    },
    {
      name: 'token accepted at the edge',
      body: { query: '{ me { id } }' },
      headers: { authorization: 'Bearer good' },
    },
  ];
  // The edge verifier: `Bearer good` is a viewer, anything else presented is refused.
  const verifier: TokenVerifier = {
    verify: async (token) => {
      if (token !== 'good') throw unauthenticated('Invalid token');
      return { id: 'u1', sessionId: 's1', role: 'USER', username: 'ann' } as Awaited<
        ReturnType<TokenVerifier['verify']>
      >;
    },
    viewerFromAuthorization: async (header) =>
      header ? verifier.verify(header.replace(/^Bearer /, '')) : null,
  };
  const HEADERS = [
    'content-type',
    'content-length',
    'cache-control',
    'x-request-id',
    'vary',
    'access-control-allow-origin',
    'access-control-allow-credentials',
  ];

  async function runAll(fastPath: boolean) {
    return withGateway(
      {
        production: true,
        limits,
        fastPath,
        verifier,
        cors: { origins: ['https://app.example'], credentials: true },
      },
      async (gateway, url, lines) => {
        const apollo = jest.spyOn(gateway.apollo, 'executeHTTPGraphQLRequest');
        const responses: RawResponse[] = [];
        for (const [i, { body, headers }] of CASES.entries())
          responses.push(await send(url, body, { 'x-request-id': `case-${i}`, ...headers }));
        const log = requestLines(lines).map(
          ({ requestId, status, operationName, operationType, errorCount }) => ({
            requestId,
            status,
            operationName,
            operationType,
            errorCount,
          }),
        );
        const internal = lines
          .filter((line) => line.msg === 'internal error')
          .map(({ requestId, operationName }) => ({ requestId, operationName }));
        const metrics = await gateway.metrics.registry.getSingleMetricAsString('gateway_operations_total');
        return { responses, log, internal, metrics, apolloCalls: apollo.mock.calls.length };
      },
    );
  }

  test('status, body, headers, access log, internal-error log and metrics are equal', async () => {
    const fast = await runAll(true);
    const normal = await runAll(false);
    CASES.forEach(({ name }, i) => {
      const a = fast.responses[i]!;
      const b = normal.responses[i]!;
      const view = (r: RawResponse) => ({
        name,
        status: r.status,
        text: r.text,
        headers: Object.fromEntries(HEADERS.map((h) => [h, r.headers.get(h)])),
      });
      expect(view(a)).toEqual(view(b));
    });
    expect(fast.log).toEqual(normal.log);
    expect(fast.internal).toEqual(normal.internal);
    expect(fast.internal.length).toBeGreaterThan(0);
    expect(fast.metrics).toEqual(normal.metrics);
    // Apollo Server saw every request of the normal run but the non-object body (refused by the JSON
    // parser), and of the other all but the successful plain queries (entities, variables, named
    // operation, cost within, __typename, skip/include, */*, CORS, accepted token).
    expect(normal.apolloCalls).toBe(CASES.length - 1);
    expect(fast.apolloCalls).toBe(CASES.length - 1 - 9);
    // The cases do cover successes, refusals and masked errors.
    const statuses = new Set(fast.responses.map((r) => r.status));
    expect(statuses).toEqual(new Set([200, 400, 401]));
    // Operations that cannot be resolved are the client's error (they were a 500 TypeError).
    const codeOf = (i: number) =>
      (
        JSON.parse(fast.responses[i]!.text) as {
          errors: Array<{ message: string; extensions: { code: string } }>;
        }
      ).errors[0];
    expect(codeOf(3)).toEqual({
      message: 'Unknown operation named "Z".',
      extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
    });
    expect(codeOf(4)?.extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
    expect(codeOf(26)).toMatchObject({
      message: 'Schema is not configured to execute mutation operation.',
      extensions: { code: 'BAD_REQUEST' },
    });
    expect(fast.responses[11]!.text).toContain('"requestId":"case-11"');
    expect(fast.responses[11]!.text).not.toContain('hunter2');
  });
});
