import type { Redis } from 'ioredis';

/**
 * Who is typing where (seed 001: `typing:{chatId}:{userId}`, a string with a 3-second TTL): each
 * setTyping(true) renews the key, setTyping(false) removes it, and Redis expires it otherwise.
 * Without Redis the same rules hold in this process.
 */
export interface TypingStore {
  /** Records the indicator; resolves with when it lapses (null when stopped). */
  set(conversationId: string, userId: string, isTyping: boolean): Promise<Date | null>;
  /**
   * For each conversation, the users among its `userIds` typing there now, in `userIds` order;
   * one round trip for the whole batch (a page of conversations).
   */
  typingUsers(batch: readonly { conversationId: string; userIds: readonly string[] }[]): Promise<string[][]>;
}

/** `keyPrefix`: the deployment's REDIS_KEY_PREFIX. */
export function createTypingStore(options: {
  redis: Redis | undefined;
  keyPrefix?: string;
  ttlMs: number;
}): TypingStore {
  const { redis, ttlMs } = options;
  const prefix = options.keyPrefix ?? '';
  const key = (conversationId: string, userId: string) => `${prefix}chat:typing:${conversationId}:${userId}`;
  if (redis) {
    return {
      async set(conversationId, userId, isTyping) {
        if (!isTyping) {
          await redis.del(key(conversationId, userId));
          return null;
        }
        const expiresAt = new Date(Date.now() + ttlMs);
        await redis.set(key(conversationId, userId), expiresAt.toISOString(), 'PX', ttlMs);
        return expiresAt;
      },
      async typingUsers(batch) {
        const keys = batch.flatMap(({ conversationId, userIds }) =>
          userIds.map((userId) => key(conversationId, userId)),
        );
        const values = keys.length === 0 ? [] : await redis.mget(keys);
        let offset = 0;
        return batch.map(({ userIds }) => {
          const typing = userIds.filter((_, index) => values[offset + index] !== null);
          offset += userIds.length;
          return typing;
        });
      },
    };
  }
  const expiries = new Map<string, number>();
  return {
    async set(conversationId, userId, isTyping) {
      if (!isTyping) {
        expiries.delete(key(conversationId, userId));
        return null;
      }
      const expiresAt = Date.now() + ttlMs;
      expiries.set(key(conversationId, userId), expiresAt);
      return new Date(expiresAt);
    },
    async typingUsers(batch) {
      const now = Date.now();
      return batch.map(({ conversationId, userIds }) =>
        userIds.filter((userId) => {
          const k = key(conversationId, userId);
          const expiresAt = expiries.get(k);
          if (expiresAt !== undefined && expiresAt <= now) expiries.delete(k);
          return expiresAt !== undefined && expiresAt > now;
        }),
      );
    },
  };
}
