import http from 'node:http';
import { postGraphQL, subscribeGraphQL } from '@social/testing';
import {
  MemoryPubSub,
  createTokenSigner,
  createTokenVerifier,
  generateSigningKeys,
  silentLogger,
  type SubgraphServer,
  type TokenSigner,
} from '../src/index.js';
import { createEchoSubgraph } from './fixtures/echo-subgraph.js';

const issuer = 'social-supergraph';
let signer: TokenSigner;
let pubsub: MemoryPubSub;
let server: SubgraphServer;
let url: string;
let databaseUp = true;
const subscribed = new Map<string, () => void>();
const whenSubscribed = (channel: string) => new Promise<void>((resolve) => subscribed.set(channel, resolve));

beforeAll(async () => {
  const keys = await generateSigningKeys();
  signer = createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience: issuer });
  pubsub = new MemoryPubSub({ logger: silentLogger() });
  server = createEchoSubgraph({
    logger: silentLogger(),
    verifier: createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience: issuer }),
    pubsub,
    onSubscribed: (channel) => subscribed.get(channel)?.(),
    readiness: {
      database: async () => {
        if (!databaseUp) throw new Error('connection refused');
      },
    },
  });
  url = await server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await server.stop();
  await pubsub.close();
});

const token = (username = 'alice') =>
  signer.sign({ sub: `id-${username}`, sid: 's1', role: 'USER', username });

test('the viewer comes from the bearer token; a bad token is a 401 UNAUTHENTICATED', async () => {
  const ok = await postGraphQL(url, '{ whoami }', {}, { token: await token('alice') });
  expect(ok.data).toEqual({ whoami: 'alice' });
  const anonymous = await postGraphQL(url, '{ whoami }');
  expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const bad = await postGraphQL(url, '{ whoami }', {}, { token: 'garbage' });
  expect(bad.status).toBe(401);
  expect(bad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

test('the shared scalars are wired from the SDL', async () => {
  const response = await postGraphQL(url, '{ epoch }');
  expect(response).toMatchObject({ data: { epoch: '1970-01-01T00:00:00.000Z' } });
  expect(response.errors).toBeUndefined();
});

test('it is a federation subgraph: _service and _entities are served', async () => {
  const response = await postGraphQL<{ _service: { sdl: string } }>(url, '{ _service { sdl } }');
  expect(response.data?._service.sdl).toContain('type Tick');
  const entities = await postGraphQL(
    url,
    'query($r: [_Any!]!) { _entities(representations: $r) { ... on Tick { id value } } }',
    {
      r: [{ __typename: 'Tick', id: '1' }],
    },
  );
  expect(entities.data).toEqual({ _entities: [{ id: '1', value: 1 }] });
});

test('/health is liveness only; /ready reflects the dependencies', async () => {
  const base = url.replace(/\/graphql$/, '');
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect((await fetch(`${base}/ready`)).status).toBe(200);
  databaseUp = false;
  try {
    const notReady = await fetch(`${base}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ checks: { database: 'error: connection refused' } });
    expect((await fetch(`${base}/health`)).status).toBe(200);
  } finally {
    databaseUp = true;
  }
});

test('subscriptions run over graphql-ws on /graphql, with a fresh context for every event', async () => {
  const listening = whenSubscribed('t1');
  const subscription = subscribeGraphQL<{ ticks: { id: string; value: number; contextGeneration: number } }>(
    url,
    'subscription { ticks(channel: "t1") { id value contextGeneration } }',
    {},
    { token: await token() },
  );
  try {
    await listening;
    await pubsub.publish('t1', { id: 'a', value: 1 });
    const first = await subscription.next();
    expect(first.data?.ticks).toMatchObject({ id: 'a', value: 1 });
    await pubsub.publish('t1', { id: 'b', value: 2 });
    const second = await subscription.next();
    expect(second.data?.ticks).toMatchObject({ id: 'b', value: 2 });
    expect(second.data!.ticks.contextGeneration).toBeGreaterThan(first.data!.ticks.contextGeneration);
  } finally {
    await subscription.close();
  }
});

test('a websocket with an invalid token is refused before any subscription', async () => {
  const subscription = subscribeGraphQL(
    url,
    'subscription { ticks(channel: "t2") { id } }',
    {},
    { token: 'garbage' },
  );
  await expect(subscription.connected).rejects.toMatchObject({ code: 4403 });
  await subscription.close();
});

test('internal errors are masked in production and never leak their message', async () => {
  const keys = await generateSigningKeys();
  const production = createEchoSubgraph({
    logger: silentLogger(),
    verifier: createTokenVerifier({ publicKey: keys.publicKeyPem, issuer, audience: issuer }),
    pubsub,
    production: true,
  });
  const productionUrl = await production.listen(0, '127.0.0.1');
  try {
    const response = await postGraphQL(productionUrl, '{ boom }');
    expect(response.errors?.[0]).toEqual({
      message: 'Internal server error',
      path: ['boom'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(response)).not.toContain('hunter2');
  } finally {
    await production.stop();
  }
});

test('idle keep-alive connections outlive the pools of the clients in front (no reset on reuse)', async () => {
  // One socket, used, left idle past Node's old 5 s default, used again: still the same socket.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = () =>
    new Promise<{ reused: boolean; keepAlive: string | undefined }>((resolve, reject) => {
      const request = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (response) => {
          response.resume();
          response.on('end', () =>
            resolve({
              reused: request.reusedSocket,
              keepAlive: response.headers['keep-alive'] as string | undefined,
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ query: '{ epoch }' }));
    });
  try {
    expect(await post()).toEqual({ reused: false, keepAlive: 'timeout=65' });
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(await post()).toEqual({ reused: true, keepAlive: 'timeout=65' });
  } finally {
    agent.destroy();
  }
});
