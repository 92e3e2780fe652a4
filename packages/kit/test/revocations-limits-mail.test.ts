import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { silentLogger } from '../src/logger.js';
import { createMailer } from '../src/mailer.js';
import { createRateLimiter } from '../src/rate-limit.js';
import { isRedisReachable } from '../src/redis.js';
import {
  MemorySessionRevocations,
  RedisSessionRevocations,
  type SessionRevocations,
} from '../src/revocations.js';

/**
 * Session revocations, rate limits and the dev mail outbox, each on its in-process implementation
 * and (revocations, rate limits) on real Redis, which CI must have.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await isRedisReachable(REDIS_URL, 1_000);
if (!redisAvailable && process.env.CI === 'true') throw new Error(`Redis is required in CI at ${REDIS_URL}`);
let redis: Redis | undefined;
beforeAll(() => {
  if (redisAvailable) redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await redis?.quit();
});

describe('session revocations', () => {
  test('memory: a revoked session stays revoked until its entry expires', async () => {
    let now = 1_000_000;
    const revocations = new MemorySessionRevocations(() => now);
    await revocations.revoke(['a', 'b'], 60);
    expect(await revocations.isRevoked('a')).toBe(true);
    expect(await revocations.isRevoked('c')).toBe(false);
    now += 59_000;
    expect(await revocations.isRevoked('b')).toBe(true);
    now += 2_000;
    expect(await revocations.isRevoked('b')).toBe(false);
  });

  test('redis: revocations made by one instance are seen by another, with an expiry', async () => {
    if (!redis) {
      console.warn('Redis not reachable: the Redis revocation check did not run');
      return;
    }
    const prefix = `test-${randomUUID().slice(0, 8)}:`;
    const writer: SessionRevocations = new RedisSessionRevocations(redis, prefix);
    const other = new Redis(REDIS_URL);
    try {
      const reader = new RedisSessionRevocations(other, prefix);
      const id = randomUUID();
      await writer.restore([], 30); // what auth does at start (revocations-epoch.test.ts)
      expect(await reader.isRevoked(id)).toBe(false);
      await writer.revoke([id], 30);
      expect(await reader.isRevoked(id)).toBe(true);
      const ttl = await other.ttl(`${prefix}revoked-session:${id}`);
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
    } finally {
      await other.quit();
    }
  });

  test('redis: a deployment prefix keeps revocations of deployments sharing one Redis apart', async () => {
    if (!redis) {
      console.warn('Redis not reachable: the Redis revocation check did not run');
      return;
    }
    const prefix = `test-${randomUUID().slice(0, 8)}:`;
    const otherPrefix = `test-${randomUUID().slice(0, 8)}:`;
    const id = randomUUID();
    await new RedisSessionRevocations(redis, prefix).restore([], 30);
    await new RedisSessionRevocations(redis, otherPrefix).restore([], 30);
    await new RedisSessionRevocations(redis, prefix).revoke([id], 30);
    expect(await new RedisSessionRevocations(redis, prefix).isRevoked(id)).toBe(true);
    expect(await new RedisSessionRevocations(redis, otherPrefix).isRevoked(id)).toBe(false);
    expect(await redis.exists(`${prefix}revoked-session:${id}`)).toBe(1);
  });
});

describe('rate limits', () => {
  const check = async (create: (name: string) => ReturnType<typeof createRateLimiter>) => {
    const limiter = create(`test-${randomUUID()}`);
    await limiter.consume('1.2.3.4');
    await limiter.consume('1.2.3.4');
    const error = await limiter.consume('1.2.3.4').catch((e: unknown) => e);
    expect(error).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect((error as { extensions: { retryAfter: number } }).extensions.retryAfter).toBeGreaterThan(0);
    // Other keys have their own allowance; a reset gives the key its allowance back.
    await expect(limiter.consume('5.6.7.8')).resolves.toBeUndefined();
    await limiter.reset('1.2.3.4');
    await expect(limiter.consume('1.2.3.4')).resolves.toBeUndefined();
  };

  test('memory: the allowance per key and window is enforced', async () => {
    await check((name) => createRateLimiter({ name, points: 2, durationSeconds: 60 }));
  });

  test('redis: the allowance is shared through Redis', async () => {
    if (!redis) {
      console.warn('Redis not reachable: the Redis rate-limit check did not run');
      return;
    }
    await check((name) => createRateLimiter({ name, points: 2, durationSeconds: 60 }, redis));
  });

  test('redis unreachable: the allowance is still enforced, counted in this process', async () => {
    // A port nothing listens on: the client never becomes ready.
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    down.on('error', () => undefined);
    try {
      await check((name) => createRateLimiter({ name, points: 2, durationSeconds: 60 }, down));
    } finally {
      down.disconnect();
    }
  });

  test('redis: deployments with different key prefixes count separately', async () => {
    if (!redis) {
      console.warn('Redis not reachable: the Redis rate-limit check did not run');
      return;
    }
    const rule = { name: `test-${randomUUID()}`, points: 1, durationSeconds: 60 };
    const first = createRateLimiter(rule, redis, 'deployment-a:');
    await first.consume('1.2.3.4');
    await expect(first.consume('1.2.3.4')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await expect(createRateLimiter(rule, redis, 'deployment-b:').consume('1.2.3.4')).resolves.toBeUndefined();
  });
});

test('the mail outbox gets one whole JSON line per message, even when sent concurrently', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mail-'));
  try {
    const outboxPath = join(dir, 'nested', 'outbox.jsonl');
    const mailer = createMailer({ outboxPath, from: 'x@example.com', logger: silentLogger() });
    expect(mailer.transport).toBe('outbox');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mailer.send({ to: `u${i}@example.com`, subject: 's', text: 't', kind: 'k', data: { i: String(i) } }),
      ),
    );
    const lines = (await readFile(outboxPath, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(20);
    const messages = lines.map(
      (line) => JSON.parse(line) as { to: string; data: { i: string }; from: string },
    );
    expect(new Set(messages.map((m) => m.data.i)).size).toBe(20);
    expect(messages[0]?.from).toBe('x@example.com');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
