import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Logger } from '@social/kit';

/**
 * Which users hold a conversationEvents subscription to a conversation, across instances: the
 * notification service skips recipients who are looking at the conversation (MessageSent's
 * `viewing`). Each subscription is an entry with an expiry that its instance renews on a
 * heartbeat, so the entries of an instance that crashed lapse on their own instead of leaving
 * users "viewing" forever.
 *
 * Redis: one sorted set per conversation (`chat:viewing:{conversationId}`), member
 * `{userId}|{registration}`, score = expiry in epoch ms. Without Redis, the same in this process.
 */
export interface ViewingRegistry {
  /** Marks the user as viewing until `release()` (renewed meanwhile). */
  register(conversationId: string, userId: string): Promise<ViewingRegistration>;
  /** The users viewing the conversation now. */
  viewers(conversationId: string): Promise<Set<string>>;
  /**
   * Stops renewing this instance's entries. Subscriptions release theirs when the server drains
   * them; whatever is left lapses after the TTL, exactly as after a crash.
   */
  stop(): void;
}

export interface ViewingRegistration {
  release(): Promise<void>;
}

interface Entry {
  readonly conversationId: string;
  readonly member: string;
}

const SEPARATOR = '|';
const userOf = (member: string) => member.slice(0, member.lastIndexOf(SEPARATOR));

export function createViewingRegistry(options: {
  redis: Redis | undefined;
  /** The deployment's REDIS_KEY_PREFIX. */
  keyPrefix?: string;
  ttlMs: number;
  heartbeatMs: number;
  logger: Logger;
}): ViewingRegistry {
  const { redis, ttlMs, logger } = options;
  const key = (conversationId: string) => `${options.keyPrefix ?? ''}chat:viewing:${conversationId}`;
  const local = new Set<Entry>();
  const memory = new Map<string, Map<string, number>>();

  async function renew(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const expiresAt = Date.now() + ttlMs;
    if (!redis) {
      for (const entry of entries) {
        let members = memory.get(entry.conversationId);
        if (!members) memory.set(entry.conversationId, (members = new Map()));
        members.set(entry.member, expiresAt);
      }
      return;
    }
    const pipeline = redis.pipeline();
    for (const entry of entries) {
      pipeline.zadd(key(entry.conversationId), expiresAt, entry.member);
      // The set itself goes once nobody renews it.
      pipeline.pexpire(key(entry.conversationId), ttlMs * 2);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }

  const timer = setInterval(() => {
    renew([...local]).catch((err: unknown) => logger.warn({ err }, 'viewing heartbeat failed'));
  }, options.heartbeatMs);
  timer.unref();

  return {
    async register(conversationId, userId) {
      const entry: Entry = { conversationId, member: `${userId}${SEPARATOR}${randomUUID()}` };
      local.add(entry);
      await renew([entry]);
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          local.delete(entry);
          if (!redis) {
            memory.get(conversationId)?.delete(entry.member);
            return;
          }
          await redis
            .zrem(key(conversationId), entry.member)
            .catch((err: unknown) => logger.warn({ err }, 'viewing release failed; the entry lapses'));
        },
      };
    },
    async viewers(conversationId) {
      const now = Date.now();
      if (!redis) {
        const members = memory.get(conversationId);
        const users = new Set<string>();
        for (const [member, expiresAt] of members ?? []) {
          if (expiresAt > now) users.add(userOf(member));
          else members?.delete(member);
        }
        return users;
      }
      const [[, members]] = (await redis
        .pipeline()
        .zrangebyscore(key(conversationId), now, '+inf')
        .zremrangebyscore(key(conversationId), '-inf', now)
        .exec()) as [[Error | null, string[]]];
      return new Set((members ?? []).map(userOf));
    },
    stop() {
      clearInterval(timer);
    },
  };
}
