import type { Redis } from 'ioredis';
import type { ConversationDocument } from '../data/collections.js';

/**
 * The cache behind totalUnreadCount (seed 001: unread counts in Redis). The truth is in MongoDB:
 * each participant's `unreadCount`, changed with `$inc` in the transaction of every message, read
 * and deletion, and always equal to the count of messages from others after the read position
 * that the participant has not deleted. The cache holds, per user, one hash field per conversation
 * with that count and the conversation's `rev` (its change counter) when it was read:
 *
 * - every committed change writes the new counts of the conversation's participants, tagged with
 *   the new rev, and a value only ever replaces one with a lower rev, so writes arriving out of
 *   order cannot leave an old count behind;
 * - a reader that misses (no `_complete` marker) sums the counts from MongoDB and fills the hash
 *   with the same rule, so a change committed while it was reading is not overwritten;
 * - every write renews the hash's TTL, which bounds how long a count could stay wrong if an
 *   instance died between a commit and its cache write.
 *
 * Without Redis the same rules hold in this process.
 */
export interface UnreadEntry {
  readonly conversationId: string;
  readonly rev: number;
  readonly count: number;
}

export interface UnreadCache {
  /** The user's total, or null when it is not cached. */
  total(userId: string): Promise<number | null>;
  /** Caches every conversation of the user (read from MongoDB) and marks the cache complete. */
  fill(userId: string, entries: readonly UnreadEntry[]): Promise<void>;
  /** Records the counts a committed change left in one conversation, for each of its participants. */
  update(conversation: Pick<ConversationDocument, '_id' | 'rev' | 'participants'>): Promise<void>;
}

const COMPLETE = '_complete';

// ARGV: ttlMs, complete ('1' marks the hash complete), then (field, rev, count) triples.
const SET_NEWER = `
for i = 3, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local currentRev = -1
  if current then currentRev = tonumber(string.match(current, '^(%-?%d+):')) end
  if tonumber(ARGV[i + 1]) > currentRev then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ':' .. ARGV[i + 2])
  end
end
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], '${COMPLETE}', '1') end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

const SUM = `
if redis.call('HGET', KEYS[1], '${COMPLETE}') ~= '1' then return -1 end
local values = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #values, 2 do
  if values[i] ~= '${COMPLETE}' then sum = sum + tonumber(string.match(values[i + 1], ':(%-?%d+)$')) end
end
return sum`;

/** Each participant's count after a change: zero for those who left. */
function entriesOf(
  conversation: Pick<ConversationDocument, '_id' | 'rev' | 'participants'>,
): Array<{ userId: string } & UnreadEntry> {
  const conversationId = conversation._id.toHexString();
  return conversation.participants.map((participant) => ({
    userId: participant.userId,
    conversationId,
    rev: conversation.rev,
    count: participant.isActive ? participant.unreadCount : 0,
  }));
}

/** `keyPrefix`: the deployment's REDIS_KEY_PREFIX. */
export function createUnreadCache(options: {
  redis: Redis | undefined;
  keyPrefix?: string;
  ttlSeconds: number;
}): UnreadCache {
  const { redis } = options;
  const cacheKey = (userId: string) => `${options.keyPrefix ?? ''}chat:unread:${userId}`;
  const ttlMs = options.ttlSeconds * 1000;
  if (redis) {
    const setNewer = (userId: string, complete: boolean, entries: readonly UnreadEntry[]) =>
      redis.eval(
        SET_NEWER,
        1,
        cacheKey(userId),
        ttlMs,
        complete ? '1' : '0',
        ...entries.flatMap((entry) => [entry.conversationId, entry.rev, entry.count]),
      );
    return {
      async total(userId) {
        const sum = Number(await redis.eval(SUM, 1, cacheKey(userId)));
        return sum < 0 ? null : sum;
      },
      async fill(userId, entries) {
        await setNewer(userId, true, entries);
      },
      async update(conversation) {
        await Promise.all(entriesOf(conversation).map((entry) => setNewer(entry.userId, false, [entry])));
      },
    };
  }

  const memory = new Map<
    string,
    { complete: boolean; expiresAt: number; fields: Map<string, UnreadEntry> }
  >();
  const hashOf = (userId: string) => {
    let hash = memory.get(userId);
    if (!hash || hash.expiresAt <= Date.now()) {
      hash = { complete: false, expiresAt: 0, fields: new Map() };
      memory.set(userId, hash);
    }
    return hash;
  };
  const setNewer = (userId: string, complete: boolean, entries: readonly UnreadEntry[]) => {
    const hash = hashOf(userId);
    for (const entry of entries) {
      const current = hash.fields.get(entry.conversationId);
      if (!current || entry.rev > current.rev) hash.fields.set(entry.conversationId, entry);
    }
    if (complete) hash.complete = true;
    hash.expiresAt = Date.now() + ttlMs;
  };
  return {
    async total(userId) {
      const hash = memory.get(userId);
      if (!hash?.complete || hash.expiresAt <= Date.now()) return null;
      let sum = 0;
      for (const entry of hash.fields.values()) sum += entry.count;
      return sum;
    },
    async fill(userId, entries) {
      setNewer(userId, true, entries);
    },
    async update(conversation) {
      for (const entry of entriesOf(conversation)) setNewer(entry.userId, false, [entry]);
    },
  };
}
