/**
 * The revocation store losing its data (Redis restarted empty, FLUSHALL, a failover) must never
 * make a revoked session's token valid again: without the completeness marker that only a full
 * restore writes, verifiers refuse every token with a clean, transient error (not the raw Redis
 * text, not UNAUTHENTICATED) until auth restored the store.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  AUTHENTICATION_UNAVAILABLE_MESSAGE,
  createTokenSigner,
  createTokenVerifier,
  generateSigningKeys,
  type SigningKeyPair,
  type TokenVerifier,
} from '../src/auth.js';
import { createSocketReverifier } from '../src/auth-sockets.js';
import { codeOf } from '../src/errors.js';
import { silentLogger } from '../src/logger.js';
import { isRedisReachable } from '../src/redis.js';
import {
  MemorySessionRevocations,
  RedisSessionRevocations,
  RevocationStateUnknownError,
} from '../src/revocations.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await isRedisReachable(REDIS_URL, 1_000);
if (!redisAvailable && process.env.CI === 'true') throw new Error(`Redis is required in CI at ${REDIS_URL}`);
const issuer = 'social-supergraph';
const audience = 'social-supergraph';
let keys: SigningKeyPair;
let redis: Redis | undefined;
beforeAll(async () => {
  keys = await generateSigningKeys();
  if (redisAvailable) redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await redis?.quit();
});

async function outcome(verifier: TokenVerifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    return `${codeOf(error)}: ${(error as Error).message}`;
  }
}

const token = (sid: string) =>
  createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience }).sign({
    sub: randomUUID(),
    sid,
    role: 'USER',
    username: 'someone',
  });

test('redis: a store that lost its data refuses every token until it is restored', async () => {
  if (!redis) {
    console.warn('Redis not reachable: the revocation epoch check did not run');
    return;
  }
  const prefix = `test-${randomUUID().slice(0, 8)}:`;
  const store = new RedisSessionRevocations(redis, prefix);
  const verifier = createTokenVerifier({
    publicKey: keys.publicKeyPem,
    issuer,
    audience,
    isSessionRevoked: (sid) => store.isRevoked(sid),
  });
  const [revokedSid, liveSid] = [randomUUID(), randomUUID()];
  const [revokedToken, liveToken] = [await token(revokedSid), await token(liveSid)];
  const unavailable = `INTERNAL_SERVER_ERROR: ${AUTHENTICATION_UNAVAILABLE_MESSAGE}`;

  // Never restored (a fresh or wiped Redis): the state is unknown.
  expect(await store.needsRestore()).toBe(true);
  await expect(store.isRevoked(liveSid)).rejects.toBeInstanceOf(RevocationStateUnknownError);
  expect(await outcome(verifier, liveToken)).toBe(unavailable);

  await store.restore([], 60);
  await store.revoke([revokedSid], 60);
  expect(await store.needsRestore()).toBe(false);
  expect(await outcome(verifier, liveToken)).toBe('accepted');
  expect(await outcome(verifier, revokedToken)).toBe('UNAUTHENTICATED: Session has been revoked');

  // The data is lost: the revoked token is not accepted again, nothing is (fail closed)...
  const keysOfPrefix = await redis.keys(`${prefix}*`);
  await redis.del(...keysOfPrefix);
  expect(await outcome(verifier, revokedToken)).toBe(unavailable);
  expect(await outcome(verifier, liveToken)).toBe(unavailable);
  expect(await store.needsRestore()).toBe(true);

  // ...until auth restores what PostgreSQL says, entries and marker together.
  await store.restore([revokedSid], 60);
  expect(await outcome(verifier, revokedToken)).toBe('UNAUTHENTICATED: Session has been revoked');
  expect(await outcome(verifier, liveToken)).toBe('accepted');
  const ttl = await redis.ttl(`${prefix}revoked-session:${revokedSid}`);
  expect(ttl).toBeGreaterThan(55);
  expect(ttl).toBeLessThanOrEqual(60);
  await redis.del(...(await redis.keys(`${prefix}*`)));
});

test('a failing revocation check refuses with a clean message, the raw cause kept for logs only', async () => {
  const verifier = createTokenVerifier({
    publicKey: keys.publicKeyPem,
    issuer,
    audience,
    isSessionRevoked: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
    },
  });
  const error = (await verifier.verify(await token(randomUUID())).then(
    () => new Error('accepted'),
    (e: unknown) => e,
  )) as Error;
  expect(codeOf(error)).toBe('INTERNAL_SERVER_ERROR');
  expect(error.message).toBe(AUTHENTICATION_UNAVAILABLE_MESSAGE);
  expect(JSON.stringify(error)).not.toContain('ECONNREFUSED');
  expect((error as Error & { cause?: Error }).cause?.message).toContain('ECONNREFUSED');
});

test('open sockets are not closed while revocations cannot be checked, and are once a revocation shows', async () => {
  let state: 'unknown' | 'revoked' = 'unknown';
  const verifier = createTokenVerifier({
    publicKey: keys.publicKeyPem,
    issuer,
    audience,
    isSessionRevoked: async () => {
      if (state === 'unknown') throw new RevocationStateUnknownError();
      return true;
    },
  });
  const reverifier = createSocketReverifier(verifier, { intervalMs: 20, logger: silentLogger() });
  const ended: string[] = [];
  try {
    reverifier.track({}, `Bearer ${await token(randomUUID())}`, (why) => ended.push(why));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ended).toEqual([]);
    state = 'revoked';
    const until = Date.now() + 10_000;
    while (ended.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toEqual(['token revoked']);
  } finally {
    reverifier.stop();
  }
});

test('memory: the in-process store is never unknown, and restore adds entries', async () => {
  const store = new MemorySessionRevocations();
  expect(await store.needsRestore()).toBe(false);
  expect(await store.isRevoked('a')).toBe(false);
  await store.restore(['a'], 60);
  expect(await store.isRevoked('a')).toBe(true);
});
