/**
 * End to end through the gateway: all six subgraphs and the gateway booted in-process on port 0
 * by the shared harness, against a fresh PostgreSQL database.
 */
import { eventually, startSupergraph, type Supergraph } from '@social/testing';
import { isRedisReachable } from '@social/kit';
import { MongoClient } from 'mongodb';
import { SUBGRAPH_NAMES } from '../scripts/subgraphs.js';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph();
});

afterAll(async () => {
  await supergraph?.stop();
});

test('the gateway and all six subgraphs answer /health and the gateway is /ready', async () => {
  const base = (url: string) => url.replace(/\/graphql$/, '');
  const gateway = await fetch(`${base(supergraph.gatewayUrl)}/health`);
  expect(gateway.status).toBe(200);
  for (const name of SUBGRAPH_NAMES) {
    const response = await fetch(`${base(supergraph.subgraphUrls[name])}/health`);
    expect({ name, status: response.status }).toEqual({ name, status: 200 });
  }
  const ready = await fetch(`${base(supergraph.gatewayUrl)}/ready`);
  const body = (await ready.json()) as { status: string; checks: Record<string, string> };
  expect(ready.status).toBe(200);
  expect(Object.keys(body.checks).sort()).toEqual([...SUBGRAPH_NAMES].sort());
  expect(Object.values(body.checks).every((check) => check === 'ok')).toBe(true);
});

test('a query crossing auth, profile and media goes through the gateway with the caller forwarded', async () => {
  const alice = await supergraph.user({ username: 'alice', firstName: 'Alice', lastName: 'Liddell' });
  type Me = {
    me: { id: string; username: string; displayName: string | null; media: { edges: unknown[] } };
  };
  const ask = () =>
    supergraph.query<Me>(
      '{ me { id username displayName media(first: 5) { edges { cursor } } } }',
      {},
      {
        token: alice.token,
      },
    );
  // profile creates the profile from auth's UserRegistered event, a moment after registration.
  const response = await eventually(ask, (answer) => answer.data?.me.displayName != null);
  expect(response.errors).toBeUndefined();
  // auth resolved `me` from the forwarded token; profile and media resolved the same User
  // through `_entities` fetches that carried the caller's Authorization too.
  expect(response.data?.me).toEqual({
    id: alice.id,
    username: 'alice',
    displayName: 'Alice Liddell',
    media: { edges: [] },
  });
});

test('anonymous callers are refused where a viewer is required, and bad tokens fail at the edge', async () => {
  const anonymous = await supergraph.query('{ sessions { id } }');
  expect(anonymous.data).toBeNull();
  expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  // `me` is the one viewer field that answers null for anonymous callers instead of failing.
  expect(await supergraph.query('{ me { id } }')).toMatchObject({ data: { me: null } });

  const forged = await supergraph.query('{ me { id } }', {}, { token: 'not-a-jwt' });
  expect(forged.status).toBe(401);
  expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

  const expired = await supergraph.signToken({}, { ttlSeconds: -60 });
  const late = await supergraph.query('{ me { id } }', {}, { token: expired });
  expect(late.status).toBe(401);
  expect(late.errors?.[0]?.message).toBe('Access token has expired');
});

test('the last subgraph to land answers too: a new account has no notifications yet', async () => {
  const alice = await supergraph.user();
  const response = await supergraph.query(
    '{ notifications(first: 5) { edges { cursor } } unreadNotificationCount }',
    {},
    { token: alice.token },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data).toEqual({ notifications: { edges: [] }, unreadNotificationCount: 0 });
});

test('the Mongo-backed subgraphs get a MongoDB the official driver talks to (embedded unless MONGO_URL)', async () => {
  const client = new MongoClient(supergraph.mongoUrl);
  try {
    const db = client.db(`${supergraph.mongoDbPrefix}social_e2e`);
    await db.collection('probe').insertOne({ hello: 'world' });
    expect(await db.collection('probe').findOne({}, { projection: { _id: 0 } })).toEqual({ hello: 'world' });
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
  } finally {
    await client.close();
  }
});

test('a client-supplied request id is echoed back for log correlation', async () => {
  const response = await supergraph.query(
    '{ __typename }',
    {},
    { headers: { 'x-request-id': 'trace-me-123' } },
  );
  expect(response.headers.get('x-request-id')).toBe('trace-me-123');
  expect(response.data).toEqual({ __typename: 'Query' });
});

describe('on real Redis', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let onRedis: Supergraph | undefined;
  let reachable = false;

  beforeAll(async () => {
    reachable = await isRedisReachable(redisUrl, 1_000);
    if (!reachable && process.env.CI === 'true') throw new Error(`Redis is required in CI at ${redisUrl}`);
    if (reachable) onRedis = await startSupergraph({ redisUrl });
  });
  afterAll(async () => {
    await onRedis?.stop();
  });

  test('every subgraph reports Redis in /ready and the gateway serves queries', async () => {
    if (!reachable) {
      console.warn(`Redis not reachable at ${redisUrl}: stack-on-Redis check not run`);
      return;
    }
    for (const name of SUBGRAPH_NAMES) {
      const ready = await fetch(onRedis!.subgraphUrls[name].replace(/\/graphql$/, '/ready'));
      expect({ name, status: ready.status, body: await ready.json() }).toMatchObject({
        name,
        status: 200,
        body: { checks: { redis: 'ok' } },
      });
    }
    const alice = await onRedis!.user({ username: 'alice_on_redis' });
    const response = await onRedis!.query('{ me { id username } }', {}, { token: alice.token });
    expect(response.data).toEqual({ me: { id: alice.id, username: 'alice_on_redis' } });
    // Revocation goes through Redis: after logout the token fails on another subgraph at once.
    await onRedis!.query('mutation { logout }', {}, { token: alice.token });
    const profile = await onRedis!.query('{ __typename }', {}, { token: alice.token, target: 'profile' });
    expect(profile.status).toBe(401);
    expect(profile.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
