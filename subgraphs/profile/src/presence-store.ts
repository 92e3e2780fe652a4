import { notFound } from '@social/kit';
import type { Redis } from 'ioredis';
import type { ProfileDocument } from './data/collections.js';
import type { ProfileDeps } from './deps.js';
import type { PresenceStore } from './presence.js';

/**
 * Presence (seed 001: `presence:{userId}`, JSON, 5-minute TTL) and its stored half on the profile
 * (`isOnline`, `lastSeenAt`).
 *
 * A user is online while their key lives. Next to the keys, a sorted set holds each online user's
 * expiry time, so the sweep finds the users whose heartbeat lapsed without scanning keys (Redis
 * does not say when a key expires). Every operation is one Lua script, so the key and the set
 * change together, and `takeExpired` hands each lapsed user to exactly one instance. Times come
 * from the Redis server's clock, so instances with skewed clocks agree.
 *
 * "Was offline before" (heartbeat) and "was online before" (offline) are membership of the set:
 * a user whose key expired but whom no sweep has taken yet still counts as online for the
 * transitions, so every offline transition is reported once, by whoever removes the member.
 */

/** Entries taken per `takeExpired` script call (Lua `unpack` has a stack limit). */
const TAKE_BATCH = 500;

// KEYS[1] user key, KEYS[2] expiry set; ARGV[1] user id, ARGV[2] TTL in ms. Returns 1 when the
// user was not in the set (a transition to online).
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local was = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('SET', KEYS[1], cjson.encode({ online = true, heartbeatAt = now }), 'PX', ttl)
if was then return 0 end
return 1
`;

// KEYS[1] user key, KEYS[2] expiry set; ARGV[1] user id. Returns 1 when the user was in the set.
const OFFLINE = `
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return removed
`;

// KEYS[1] expiry set; ARGV[1] batch size. Removes and returns members whose expiry has passed.
const TAKE_EXPIRED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return ids
`;

export interface PresenceStoreOptions {
  /** The process's Redis connection; without it presence lives in this process. */
  readonly redis: Redis | undefined;
  /** How long a heartbeat keeps a user online. */
  readonly ttlSeconds: number;
  /** Prepended to every key (tests isolate themselves with it). */
  readonly keyPrefix?: string;
}

export function createPresenceStore(options: PresenceStoreOptions): PresenceStore {
  const ttlMs = options.ttlSeconds * 1000;
  return options.redis
    ? redisPresenceStore(options.redis, ttlMs, options.keyPrefix ?? '')
    : memoryPresenceStore(ttlMs);
}

function redisPresenceStore(redis: Redis, ttlMs: number, prefix: string): PresenceStore {
  const keyOf = (userId: string) => `${prefix}presence:${userId}`;
  const expirySet = `${prefix}presence-expiry`;
  return {
    async heartbeat(userId) {
      return (await redis.eval(HEARTBEAT, 2, keyOf(userId), expirySet, userId, ttlMs)) === 1;
    },
    async offline(userId) {
      return (await redis.eval(OFFLINE, 2, keyOf(userId), expirySet, userId)) === 1;
    },
    async areOnline(userIds) {
      if (userIds.length === 0) return [];
      const values = await redis.mget(userIds.map(keyOf));
      return values.map((value) => value !== null);
    },
    async takeExpired() {
      const taken: string[] = [];
      for (;;) {
        const batch = (await redis.eval(TAKE_EXPIRED, 1, expirySet, TAKE_BATCH)) as string[];
        taken.push(...batch);
        if (batch.length < TAKE_BATCH) return taken;
      }
    },
  };
}

/** The same contract in this process (one instance, no Redis). */
function memoryPresenceStore(ttlMs: number): PresenceStore {
  const expiries = new Map<string, number>();
  return {
    async heartbeat(userId) {
      const wasOffline = !expiries.has(userId);
      expiries.set(userId, Date.now() + ttlMs);
      return wasOffline;
    },
    async offline(userId) {
      return expiries.delete(userId);
    },
    async areOnline(userIds) {
      const now = Date.now();
      return userIds.map((id) => (expiries.get(id) ?? 0) > now);
    },
    async takeExpired() {
      const now = Date.now();
      const taken: string[] = [];
      for (const [id, expiresAt] of expiries) {
        if (expiresAt <= now) {
          expiries.delete(id);
          taken.push(id);
        }
      }
      return taken;
    },
  };
}

// -- The stored half: isOnline / lastSeenAt and PresenceChanged ---------------------------------

/** A heartbeat refreshes the stored lastSeenAt at most this often (one write a minute, not per call). */
const LAST_SEEN_RESOLUTION_MS = 60_000;

function presenceChanged(profile: ProfileDocument) {
  return {
    userId: profile._id,
    isOnline: profile.isOnline,
    lastSeenAt: profile.lastSeenAt ? profile.lastSeenAt.toISOString() : null,
    showOnlineStatus: profile.privacySettings.showOnlineStatus,
    showLastSeen: profile.privacySettings.showLastSeen,
  };
}

/**
 * setPresence: a heartbeat (online) or signing off (offline). The profile's `isOnline` decides
 * the transitions, with conditional updates, so PresenceChanged goes out once per transition
 * whatever the instance, and a profile that missed one (a crash after the Redis write) is put
 * right by the next call. Resolves with the new online state.
 */
export async function setPresence(deps: ProfileDeps, userId: string, online: boolean): Promise<boolean> {
  const { store, presence } = deps;
  const now = new Date();
  if (online) {
    const profile = await store.profiles.findOne(
      { _id: userId },
      { projection: { isOnline: 1, lastSeenAt: 1 } },
    );
    if (!profile) throw notFound('User', userId);
    const wasOffline = await presence.heartbeat(userId);
    if (wasOffline || !profile.isOnline) {
      await store.transaction(async (session) => {
        const after = await store.profiles.findOneAndUpdate(
          { _id: userId, isOnline: { $ne: true } },
          { $set: { isOnline: true, lastSeenAt: now } },
          { session, returnDocument: 'after' },
        );
        if (after) await store.outbox.enqueue(session, 'PresenceChanged', presenceChanged(after));
      });
    } else if (
      !profile.lastSeenAt ||
      now.getTime() - profile.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS
    ) {
      await store.profiles.updateOne({ _id: userId, isOnline: true }, { $set: { lastSeenAt: now } });
    }
    return true;
  }
  await presence.offline(userId);
  await store.transaction(async (session) => {
    const before = await store.profiles.findOneAndUpdate(
      { _id: userId },
      { $set: { isOnline: false, lastSeenAt: now } },
      { session, returnDocument: 'before' },
    );
    if (!before) throw notFound('User', userId);
    if (before.isOnline) {
      await store.outbox.enqueue(
        session,
        'PresenceChanged',
        presenceChanged({ ...before, isOnline: false, lastSeenAt: now }),
      );
    }
  });
  return false;
}

/** Marks a user offline on the profile (keeping the last heartbeat's lastSeenAt); true on a transition. */
async function markOffline(deps: ProfileDeps, userId: string): Promise<boolean> {
  const { store } = deps;
  return store.transaction(async (session) => {
    const after = await store.profiles.findOneAndUpdate(
      { _id: userId, isOnline: true },
      { $set: { isOnline: false } },
      { session, returnDocument: 'after' },
    );
    if (!after) return false;
    await store.outbox.enqueue(session, 'PresenceChanged', presenceChanged(after));
    return true;
  });
}

/**
 * One sweep: users whose heartbeat lapsed go offline. Besides what the presence store hands over,
 * profiles still marked online long after their last heartbeat are checked too (the sweep that
 * took them crashed, or Redis lost its data). Resolves with how many went offline.
 */
export async function sweepPresence(deps: ProfileDeps): Promise<number> {
  const { store, presence, config } = deps;
  const expired = await presence.takeExpired();
  const staleBefore = new Date(
    Date.now() - config.PRESENCE_TTL_SECONDS * 1000 - LAST_SEEN_RESOLUTION_MS - config.PRESENCE_SWEEP_MS,
  );
  const stale = await store.profiles
    .find({ isOnline: true, lastSeenAt: { $lt: staleBefore } }, { projection: { _id: 1 } })
    .limit(TAKE_BATCH)
    .toArray();
  const candidates = [...new Set([...expired, ...stale.map((profile) => profile._id)])];
  if (candidates.length === 0) return 0;
  // A heartbeat that arrived since the member was taken wins.
  const online = await presence.areOnline(candidates);
  let changed = 0;
  for (const [index, userId] of candidates.entries()) {
    if (online[index]) continue;
    if (await markOffline(deps, userId)) changed += 1;
  }
  return changed;
}

/**
 * Runs the sweep every PRESENCE_SWEEP_MS (timer unref'd, one pass at a time). Safe with several
 * instances: each lapsed user is taken by one of them, and the profile update is conditional.
 */
export function startPresenceSweep(deps: ProfileDeps): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || running) return;
    running = sweepPresence(deps)
      .then(() => undefined)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'presence sweep failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, deps.config.PRESENCE_SWEEP_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
