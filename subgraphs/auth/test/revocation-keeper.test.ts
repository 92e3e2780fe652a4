/**
 * Restoring the shared revocation store from PostgreSQL after it lost its data (Redis restarted
 * empty): which sessions must be refused (revoked, or of a suspended or deleted account, with a
 * token issued recently enough to be alive), the keeper noticing the loss by itself, and a
 * revocation that could not be cached being cached once the store answers again.
 */
import {
  AUTHENTICATION_UNAVAILABLE_MESSAGE,
  MemorySessionRevocations,
  RedisSessionRevocations,
  codeOf,
  createTokenSigner,
  createTokenVerifier,
  generateSigningKeys,
  isRedisReachable,
  silentLogger,
  type SessionRevocations,
  type TokenVerifier,
} from '@social/kit';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AuthDeps } from '../src/accounts/deps.js';
import { revokeEverywhere } from '../src/accounts/deps.js';
import {
  sessionsToRefuse,
  startRevocationKeeper,
  type RevocationKeeper,
} from '../src/accounts/revocation-keeper.js';
import { createPrismaClient, type PrismaClient } from '../src/data/prisma.js';
import { createTestDatabase, type TestDatabase } from './database/support.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await isRedisReachable(REDIS_URL, 1_000);
if (!redisAvailable && process.env.CI === 'true') throw new Error(`Redis is required in CI at ${REDIS_URL}`);
const TTL = 900;
const issuer = 'social-supergraph';
const audience = 'social-supergraph';

let db: TestDatabase;
let prisma: PrismaClient;
let redis: Redis | undefined;
let sign: (sid: string) => Promise<string>;
let publicKey: string;
const sessions: Record<string, string> = {};

async function user(status: 'Active' | 'Suspended' | 'Deleted'): Promise<string> {
  const name = `k${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const [row] = await prisma.$queryRaw<{ user_id: string }[]>`
    INSERT INTO users (username, email, email_normalized, password_hash, first_name, last_name,
                       account_status, is_deleted)
    VALUES (${name}, ${`${name}@example.com`}, ${`${name}@example.com`}, ${'$2b$04$'.padEnd(60, 'x')}, 'K', 'T', ${status},
            ${status === 'Deleted'})
    RETURNING user_id::text AS user_id`;
  return row!.user_id;
}

async function session(userId: string, active: boolean, tokenIssuedSecondsAgo: number): Promise<string> {
  const [row] = await prisma.$queryRaw<{ session_id: string }[]>`
    INSERT INTO user_sessions (user_id, refresh_token_hash, is_active, expires_at, created_at, last_activity_at)
    VALUES (${userId}::uuid, ${randomUUID()}, ${active}, now() + interval '30 days',
            now() - make_interval(secs => ${tokenIssuedSecondsAgo + 3600}),
            now() - make_interval(secs => ${tokenIssuedSecondsAgo}))
    RETURNING session_id::text AS session_id`;
  return row!.session_id;
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  prisma = createPrismaClient(db.url);
  if (redisAvailable) redis = new Redis(REDIS_URL);
  const keys = await generateSigningKeys();
  publicKey = keys.publicKeyPem;
  const signer = createTokenSigner({ privateKey: keys.privateKeyPem, issuer, audience });
  sign = (sid) => signer.sign({ sub: randomUUID(), sid, role: 'USER', username: 'k' });

  const active = await user('Active');
  sessions.live = await session(active, true, 60);
  sessions.loggedOut = await session(active, false, 60); // revoked, its token still alive
  sessions.refreshedThenRevoked = await session(active, false, 5); // refreshed 5 s ago
  sessions.loggedOutLongAgo = await session(active, false, TTL + 3_600); // every token expired
  sessions.suspended = await session(await user('Suspended'), true, 60);
  sessions.deleted = await session(await user('Deleted'), true, 60);
}, 60_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await redis?.quit();
  await db?.drop();
});

test('the sessions to refuse are the revoked or barred ones whose tokens may still be alive', async () => {
  const ids = await sessionsToRefuse(prisma, TTL + 60);
  const mine = new Set(Object.values(sessions));
  expect(ids.filter((id) => mine.has(id)).sort()).toEqual(
    [sessions.loggedOut, sessions.refreshedThenRevoked, sessions.suspended, sessions.deleted].sort(),
  );
});

async function outcome(verifier: TokenVerifier, sid: string): Promise<string> {
  try {
    await verifier.verify(await sign(sid));
    return 'accepted';
  } catch (error) {
    return `${codeOf(error)}: ${(error as Error).message}`;
  }
}

async function eventually(probe: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('redis: the keeper notices the store lost its data and restores it; nothing revoked is accepted meanwhile', async () => {
  if (!redis) {
    console.warn('Redis not reachable: the revocation keeper check did not run');
    return;
  }
  const prefix = `test-${randomUUID().slice(0, 8)}:`;
  const store = new RedisSessionRevocations(redis, prefix);
  const verifier = createTokenVerifier({
    publicKey,
    issuer,
    audience,
    isSessionRevoked: (s) => store.isRevoked(s),
  });
  const keeper = startRevocationKeeper({
    prisma,
    revocations: store,
    logger: silentLogger(),
    accessTokenTtlSeconds: TTL,
    checkMs: 50,
  });
  try {
    await keeper.restore();
    expect(await outcome(verifier, sessions.loggedOut!)).toBe('UNAUTHENTICATED: Session has been revoked');
    expect(await outcome(verifier, sessions.live!)).toBe('accepted');

    // Redis loses everything (restart without persistence, FLUSHALL...).
    await redis.del(...(await redis.keys(`${prefix}*`)));
    const seen = new Set<string>();
    await eventually(async () => {
      const result = await outcome(verifier, sessions.loggedOut!);
      seen.add(result);
      return result === 'UNAUTHENTICATED: Session has been revoked';
    }, 'the keeper to restore the revocations');
    // Between the loss and the restore: refused as unavailable, never accepted.
    expect([...seen].filter((r) => !r.startsWith('UNAUTHENTICATED'))).toEqual(
      [...seen].filter((r) => r === `INTERNAL_SERVER_ERROR: ${AUTHENTICATION_UNAVAILABLE_MESSAGE}`),
    );
    expect(seen.has('accepted')).toBe(false);
    for (const sid of [sessions.refreshedThenRevoked, sessions.suspended, sessions.deleted])
      expect(await outcome(verifier, sid!)).toBe('UNAUTHENTICATED: Session has been revoked');
    expect(await outcome(verifier, sessions.live!)).toBe('accepted');
    expect(await redis.ttl(`${prefix}revoked-session:${sessions.loggedOut}`)).toBeGreaterThan(TTL);
  } finally {
    await keeper.stop();
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
  }
});

test('a revocation the store refused is cached once the store answers again', async () => {
  const memory = new MemorySessionRevocations();
  let down = true;
  const flaky: SessionRevocations = {
    revoke: (ids, ttl) =>
      down ? Promise.reject(new Error('Connection is closed.')) : memory.revoke(ids, ttl),
    isRevoked: (id) => memory.isRevoked(id),
    restore: (ids, ttl) =>
      down ? Promise.reject(new Error('Connection is closed.')) : memory.restore(ids, ttl),
    needsRestore: async () => false,
  };
  const keeper: RevocationKeeper = startRevocationKeeper({
    prisma,
    revocations: flaky,
    logger: silentLogger(),
    accessTokenTtlSeconds: TTL,
    checkMs: 50,
  });
  try {
    const deps = {
      revocations: flaky,
      revocationKeeper: keeper,
      logger: silentLogger(),
      config: { ACCESS_TOKEN_TTL_SECONDS: TTL },
    };
    // PostgreSQL holds the revocation (the session row is inactive); the cache write fails.
    await expect(
      revokeEverywhere(deps as unknown as AuthDeps, [sessions.loggedOut!]),
    ).resolves.toBeUndefined();
    expect(await memory.isRevoked(sessions.loggedOut!)).toBe(false);
    down = false;
    await eventually(() => memory.isRevoked(sessions.loggedOut!), 'the failed revocation to be cached');
  } finally {
    await keeper.stop();
  }
});
