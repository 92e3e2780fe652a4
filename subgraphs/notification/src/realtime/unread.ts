import { randomUUID } from 'node:crypto';
import type { SharedResources } from '@social/kit';
import type { UnreadSummary } from '../data/inbox.js';

/**
 * The cache behind unreadNotificationCount (DESIGN: unread counts in Redis), exact at all times.
 *
 * The truth is MongoDB's count of the user's unread, unexpired notifications (one indexed
 * aggregation, which also gives the first expiry). Chat keeps a counter per conversation in its
 * documents and caches those; here the count also falls when notifications expire (the TTL index
 * deletes them without telling anyone), so the cache holds the counted value, versioned:
 *
 * - every committed change (new notification, read, delete, withdrawal) gives the user's cache a
 *   new random version after its commit, which invalidates the cached count at once;
 * - a reader that misses takes the current version first, counts in MongoDB, and stores the count
 *   only if the version is still the one it took: a change committed while it was counting has
 *   replaced the version, so a count that missed it is never stored;
 * - a cached count is valid until the first of its notifications expires, when it is counted anew;
 * - the hash has a TTL (renewed by every write), which bounds how long a count could stay wrong
 *   if an instance died between a commit and its invalidation.
 *
 * Redis: one hash per user, `v` (version) and `c` ("version|count|expiry ms", expiry 0 = none).
 * Without Redis, the same rules in this process.
 */
export interface UnreadCounter {
  /** The user's exact unread count, from the cache when it holds a valid one. */
  summary(userId: string): Promise<UnreadSummary>;
  /** Invalidates the cached counts of these users (call after the commit that changed them). */
  invalidate(userIds: Iterable<string>): Promise<void>;
}

// KEYS[1]: the user's hash; ARGV[1]: now (ms). A valid count: {1, count, expiry}; else {0, version}.
const READ = `
local v = redis.call('HGET', KEYS[1], 'v') or ''
local c = redis.call('HGET', KEYS[1], 'c')
if c then
  local cv, count, expiry = string.match(c, '^(.*)|(%d+)|(%d+)$')
  if cv == v and (expiry == '0' or tonumber(expiry) > tonumber(ARGV[1])) then
    return {1, tonumber(count), expiry}
  end
end
return {0, v}`;

// KEYS[1]: the user's hash; ARGV: version read before counting, count, expiry ms, ttl ms.
const FILL = `
local v = redis.call('HGET', KEYS[1], 'v') or ''
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', v, 'c', v .. '|' .. ARGV[2] .. '|' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

export function createUnreadCounter(options: {
  redis: SharedResources['redis'];
  /** The deployment's REDIS_KEY_PREFIX. */
  keyPrefix: string;
  ttlSeconds: number;
  /** Counts in MongoDB. */
  count: (userId: string) => Promise<UnreadSummary>;
}): UnreadCounter {
  const { redis, count } = options;
  const ttlMs = options.ttlSeconds * 1000;
  const key = (userId: string) => `${options.keyPrefix}notification:unread:${userId}`;
  const expiryMs = (summary: UnreadSummary) => String(summary.nextExpiry?.getTime() ?? 0);

  if (redis) {
    return {
      async summary(userId) {
        const reply = (await redis.eval(READ, 1, key(userId), Date.now())) as [
          number,
          number | string,
          string?,
        ];
        if (reply[0] === 1) {
          const expiry = Number(reply[2]);
          return { count: Number(reply[1]), nextExpiry: expiry === 0 ? null : new Date(expiry) };
        }
        const version = String(reply[1]);
        const counted = await count(userId);
        await redis.eval(FILL, 1, key(userId), version, counted.count, expiryMs(counted), ttlMs);
        return counted;
      },
      async invalidate(userIds) {
        const unique = [...new Set(userIds)];
        if (unique.length === 0) return;
        const pipeline = redis.pipeline();
        for (const userId of unique) {
          pipeline.hset(key(userId), 'v', randomUUID());
          pipeline.pexpire(key(userId), ttlMs);
        }
        const results = (await pipeline.exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed?.[0]) throw failed[0];
      },
    };
  }

  interface Entry {
    version: string;
    cached?: UnreadSummary & { version: string };
    expiresAt: number;
  }
  const memory = new Map<string, Entry>();
  const entry = (userId: string): Entry => {
    const current = memory.get(userId);
    if (current && current.expiresAt > Date.now()) return current;
    const fresh: Entry = { version: '', expiresAt: Date.now() + ttlMs };
    memory.set(userId, fresh);
    return fresh;
  };
  return {
    async summary(userId) {
      const { version, cached } = entry(userId);
      const valid =
        cached?.version === version &&
        (cached.nextExpiry === null || cached.nextExpiry.getTime() > Date.now());
      if (cached && valid) return { count: cached.count, nextExpiry: cached.nextExpiry };
      const counted = await count(userId);
      const latest = entry(userId);
      if (latest.version === version) {
        latest.cached = { ...counted, version };
        latest.expiresAt = Date.now() + ttlMs;
      }
      return counted;
    },
    async invalidate(userIds) {
      for (const userId of new Set(userIds)) {
        const current = entry(userId);
        current.version = randomUUID();
        delete current.cached;
        current.expiresAt = Date.now() + ttlMs;
      }
    },
  };
}
