import { createRedisClient, closeRedisClient, silentLogger } from '@social/kit';
import { connectGraphQL } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApqCache } from '../src/apq.js';
import { PersistedOperations, sha256Hex } from '../src/persisted.js';
import { readResponse, startTestStack, type TestStack } from './fixtures.js';

/** Automatic persisted queries (Apollo's protocol) and the persisted-operations allowlist. */

const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } });

/** A GET the way APQ clients send it (CDN-cacheable), with the CSRF-preflight header Apollo requires. */
async function get(url: string, params: Record<string, unknown>) {
  const search = new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  );
  return readResponse(await fetch(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true' } }));
}

describe('automatic persisted queries', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test('an unknown hash is not found; sent with its query it registers; then the hash alone runs', async () => {
    const query = `query UserName($id: ID!) { user(id: $id) { name } } # ${randomUUID()}`;
    const variables = { id: '7' };
    const miss = await stack.post({ extensions: persisted(query), variables });
    expect(miss.status).toBe(200);
    expect(miss.body.errors).toEqual([
      expect.objectContaining({
        message: 'PersistedQueryNotFound',
        extensions: expect.objectContaining({ code: 'PERSISTED_QUERY_NOT_FOUND' }),
      }),
    ]);
    const register = await stack.post({ query, extensions: persisted(query), variables });
    expect(register.body).toEqual({ data: { user: { name: 'User 7' } } });
    const hit = await stack.post({ extensions: persisted(query), variables: { id: '8' } });
    expect(hit.body).toEqual({ data: { user: { name: 'User 8' } } });
    const viaGet = await get(stack.url, { extensions: persisted(query), variables: { id: '9' } });
    expect(viaGet).toMatchObject({ status: 200, body: { data: { user: { name: 'User 9' } } } });

    const metrics = await (await fetch(stack.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/gateway_persisted_queries_total\{outcome="register"\} 1/);
    expect(metrics).toMatch(/gateway_persisted_queries_total\{outcome="hit"\} 2/);
  });

  test('a query whose hash does not match is refused', async () => {
    const response = await stack.post({ query: '{ me { id } }', extensions: persisted('{ me { name } }') });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]).toMatchObject({
      message: 'provided sha does not match query',
      extensions: { code: 'BAD_REQUEST' },
    });
  });

  test('an operation over a limit is refused and not registered', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const refused = await stack.post({ query, extensions: persisted(query) });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('OPERATION_LIMIT_EXCEEDED');
    const again = await stack.post({ extensions: persisted(query) });
    expect(again.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

test('with Redis, gateway replicas share registered operations', async () => {
  const prefix = `test-apq-${randomUUID()}:`;
  const redis = createRedisClient('redis://127.0.0.1:6379', silentLogger(), 'apq-test');
  const one = await startTestStack({
    persistedQueries: { cache: createApqCache({ redis, keyPrefix: prefix, maxBytes: 1e6 }) },
  });
  const two = await startTestStack({
    persistedQueries: { cache: createApqCache({ redis, keyPrefix: prefix, maxBytes: 1e6 }) },
  });
  try {
    const query = `{ me { name } } # ${randomUUID()}`;
    expect((await one.post({ query, extensions: persisted(query) })).body).toEqual({
      data: { me: { name: 'User 1' } },
    });
    expect((await two.post({ extensions: persisted(query) })).body).toEqual({
      data: { me: { name: 'User 1' } },
    });
    expect(await redis.get(`${prefix}gateway:apq:${sha256Hex(query)}`)).toBe(query);
  } finally {
    await one.stop();
    await two.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedisClient(redis);
  }
});

describe('persisted-operations allowlist', () => {
  const listed = 'query Me { me { id name } }';
  const listedWithVariables = 'query User($id: ID!) { user(id: $id) { name } }';
  let stack: TestStack;
  let manifestPath: string;

  beforeAll(async () => {
    manifestPath = join(tmpdir(), `persisted-${randomUUID()}.json`);
    // Apollo's manifest format; a plain { hash: document } object works too.
    writeFileSync(
      manifestPath,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [listed, listedWithVariables].map((body) => ({
          id: sha256Hex(body),
          body,
          type: 'query',
        })),
      }),
    );
    stack = await startTestStack({ persistedOperations: PersistedOperations.fromFile(manifestPath) });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(manifestPath, { force: true });
  });

  test('listed operations run, by full text or by hash alone (POST and GET)', async () => {
    expect((await stack.post({ query: listed })).body).toEqual({ data: { me: { id: '1', name: 'User 1' } } });
    // No PERSISTED_QUERY_NOT_FOUND round trip: the manifest knows every listed hash.
    expect(
      (await stack.post({ extensions: persisted(listedWithVariables), variables: { id: '4' } })).body,
    ).toEqual({
      data: { user: { name: 'User 4' } },
    });
    expect(await get(stack.url, { extensions: persisted(listed) })).toMatchObject({
      status: 200,
      body: { data: { me: { id: '1', name: 'User 1' } } },
    });
  });

  test('anything else is refused before parsing, by text or hash, POST or GET', async () => {
    const refusedText = {
      status: 400,
      body: {
        errors: [
          {
            message: 'This gateway only runs persisted operations, and this operation is not one of them',
            extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
          },
        ],
      },
    };
    expect(await stack.post({ query: '{ me { id } }' })).toEqual(expect.objectContaining(refusedText));
    expect(await get(stack.url, { query: '{ me { id } }' })).toEqual(expect.objectContaining(refusedText));
    const unknown = persisted('{ me { id } }');
    expect(await stack.post({ extensions: unknown })).toMatchObject({
      status: 400,
      body: {
        errors: [
          {
            message: `No persisted operation has the hash ${unknown.persistedQuery.sha256Hash}`,
            extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' },
          },
        ],
      },
    });
    // Registering through APQ does not get an operation into the list.
    expect((await stack.post({ query: '{ me { id } }', extensions: unknown })).status).toBe(400);
  });

  test('over graphql-ws too: listed operations run by text or hash, others are refused', async () => {
    const socket = connectGraphQL(stack.url);
    try {
      await expect(socket.subscribe(listed).next()).resolves.toEqual({
        data: { me: { id: '1', name: 'User 1' } },
      });
      await expect(socket.subscribe('', { id: '4' }, persisted(listedWithVariables)).next()).resolves.toEqual(
        { data: { user: { name: 'User 4' } } },
      );
      await expect(socket.subscribe('{ me { id } }').next()).rejects.toEqual([
        expect.objectContaining({ extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } }),
      ]);
    } finally {
      await socket.close();
    }
  });

  test('a manifest whose hashes do not match their documents is rejected at load', () => {
    expect(() => PersistedOperations.fromManifest({ [sha256Hex('{ a }')]: '{ b }' })).toThrow(
      /is not the sha256 of its document/,
    );
    expect(() => PersistedOperations.fromManifest({ [sha256Hex('{ a ')]: '{ a ' })).toThrow(/does not parse/);
    expect(PersistedOperations.fromManifest({ [sha256Hex(listed)]: listed }).size).toBe(1);
  });
});
