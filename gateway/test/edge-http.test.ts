import { GatewayMetrics } from '../src/metrics.js';
import { startTestStack, type TestStack } from './fixtures.js';

/** CORS, identity headers, access logs, metrics and health endpoints. */

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

describe('CORS', () => {
  test('in development, local tools may call from any localhost port, with credentials', async () => {
    const response = await preflight(stack.url, 'http://localhost:5173');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('vary')).toContain('Origin');
    const post = await stack.post({ query: '{ me { id } }' }, { origin: 'http://127.0.0.1:3000' });
    expect(post.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    expect(post.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  test('other origins get no CORS headers, and their preflight is refused', async () => {
    const response = await preflight(stack.url, 'https://evil.example');
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const post = await stack.post({ query: '{ me { id } }' }, { origin: 'https://evil.example' });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('production allows only the configured origins; `*` allows any without credentials', async () => {
    const production = await startTestStack({ production: true });
    const configured = await startTestStack({
      production: true,
      cors: { origins: ['https://app.example.com'], credentials: true },
    });
    const open = await startTestStack({ cors: { origins: ['*'], credentials: true } });
    try {
      expect((await preflight(production.url, 'http://localhost:5173')).status).toBe(403);
      const allowed = await preflight(configured.url, 'https://app.example.com');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect((await preflight(configured.url, 'https://app.example.com.evil.example')).status).toBe(403);
      const any = await preflight(open.url, 'https://anyone.example');
      expect(any.headers.get('access-control-allow-origin')).toBe('*');
      expect(any.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await Promise.all([production.stop(), configured.stop(), open.stop()]);
    }
  });
});

describe('identity headers', () => {
  const ECHO = '{ echo { authorization forwardedFor userId viewer internal cookie requestId headerNames } }';
  const injected = {
    authorization: 'Bearer the-real-token',
    'x-request-id': 'trace-42',
    'x-user-id': '00000000-0000-0000-0000-000000000001',
    'x-viewer': '{"id":"admin","role":"ADMIN"}',
    'x-internal-role': 'ADMIN',
    'x-forwarded-for': '203.0.113.66',
    'x-real-ip': '203.0.113.66',
    forwarded: 'for=203.0.113.66',
    cookie: 'session=stolen',
  };
  // What a subgraph request may carry: the gateway's own headers plus HTTP transport ones.
  const ALLOWED = [
    'accept',
    'accept-encoding',
    'accept-language',
    'apollo-federation-include-trace',
    'authorization',
    'connection',
    'content-length',
    'content-type',
    'host',
    'sec-fetch-mode',
    'user-agent',
    'x-forwarded-for',
    'x-request-id',
  ];

  test('a client cannot inject identity or spoof its IP: subgraphs get only what the gateway sets', async () => {
    const response = await stack.post({ query: ECHO }, injected);
    const echo = response.body.data?.echo as Record<string, unknown> & { headerNames: string[] };
    expect(echo).toMatchObject({
      authorization: 'Bearer the-real-token',
      forwardedFor: '127.0.0.1',
      userId: null,
      viewer: null,
      internal: null,
      cookie: null,
      requestId: 'trace-42',
    });
    expect(echo.headerNames.filter((name) => !ALLOWED.includes(name))).toEqual([]);
  });

  test('behind a trusted proxy, the client IP is the one the proxy reported, and only that', async () => {
    const proxied = await startTestStack({ trustProxy: 'loopback' });
    try {
      const response = await proxied.post(
        { query: ECHO },
        { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-user-id': 'someone' },
      );
      // The proxy (loopback) appended the client it saw; anything before it is the client's claim.
      expect(response.body.data?.echo).toMatchObject({ forwardedFor: '203.0.113.7', userId: null });
    } finally {
      await proxied.stop();
    }
  });
});

test('one access-log line per request with request id, operation, status, errors, duration and client', async () => {
  await stack.post(
    { query: 'query MeName { me { name } }' },
    { 'x-request-id': 'log-1', 'user-agent': 'log-test' },
  );
  await stack.post({ query: '{ me { nope } }' }, { 'x-request-id': 'log-2' });
  await stack.post({ query: 'query Boom { boom }' }, { 'x-request-id': 'log-3' });
  await fetch(stack.url.replace('/graphql', '/health'), { headers: { 'x-request-id': 'log-4' } });
  const line = (id: string) => stack.lines.filter((l) => l.msg === 'request' && l.requestId === id);
  expect(line('log-1')).toEqual([
    expect.objectContaining({
      level: 30,
      method: 'POST',
      path: '/graphql',
      status: 200,
      operationName: 'MeName',
      operationType: 'query',
      errorCount: 0,
      durationMs: expect.any(Number),
      clientIp: '127.0.0.1',
      userAgent: 'log-test',
    }),
  ]);
  expect(line('log-2')).toEqual([expect.objectContaining({ status: 400, errorCount: 1 })]);
  expect(line('log-3')).toEqual([
    expect.objectContaining({ status: 200, operationName: 'Boom', operationType: 'query', errorCount: 1 }),
  ]);
  // Probes log at debug level, so they do not drown the access log.
  expect(line('log-4')).toEqual([expect.objectContaining({ level: 20, path: '/health', status: 200 })]);
});

test('/metrics counts operations by name, type and outcome, and subgraph fetches', async () => {
  for (let i = 0; i < 3; i += 1)
    await stack.post({ query: 'query Counted { me { id } posts(first: 1) { id } }' });
  await stack.post({ query: 'query CountedBoom { boom }' });
  const response = await fetch(stack.url.replace('/graphql', '/metrics'));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();
  expect(text).toContain(
    'gateway_operations_total{operation_name="Counted",operation_type="query",outcome="success"} 3',
  );
  expect(text).toContain(
    'gateway_operations_total{operation_name="CountedBoom",operation_type="query",outcome="partial"} 1',
  );
  expect(text).toMatch(
    /gateway_operation_duration_seconds_count\{operation_name="Counted",operation_type="query",outcome="success"\} 3/,
  );
  expect(text).toMatch(
    /gateway_subgraph_fetch_duration_seconds_count\{subgraph="posts",outcome="ok"\} [1-9]/,
  );
  expect(text).toMatch(/gateway_http_responses_total\{status="200"\} [1-9]/);
  expect(text).toContain('gateway_http_requests_in_flight 1');
  expect(text).toContain('gateway_subscriptions_active 0');
  expect(text).toContain('gateway_websocket_connections_active 0');
  expect(text).toContain('gateway_process_cpu_seconds_total');
});

test('operation names past the cardinality cap are counted as "other"', () => {
  const metrics = new GatewayMetrics();
  for (let i = 0; i < 200; i += 1) expect(metrics.operationLabel(`Op${i}`)).toBe(`Op${i}`);
  expect(metrics.operationLabel('Op0')).toBe('Op0');
  expect(metrics.operationLabel('OneTooMany')).toBe('other');
  expect(metrics.operationLabel(undefined)).toBe('anonymous');
});

test('/metrics can require a scrape token', async () => {
  const guarded = await startTestStack({ metrics: { token: 's3cret' } });
  try {
    const metricsUrl = guarded.url.replace('/graphql', '/metrics');
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  } finally {
    await guarded.stop();
  }
});

test('/health is liveness; /ready reports every subgraph and fails when one is unreachable', async () => {
  const probed = await startTestStack();
  const base = probed.url.replace('/graphql', '');
  try {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'gateway' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      service: 'gateway',
      checks: { users: 'ok', posts: 'ok' },
    });
    await probed.posts.stop();
    const degraded = await fetch(`${base}/ready`);
    expect(degraded.status).toBe(503);
    const body = (await degraded.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.checks.users).toBe('ok');
    expect(body.checks.posts).toMatch(/^error: /);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  } finally {
    await probed.gateway.stop();
    await probed.users.stop();
  }
});
