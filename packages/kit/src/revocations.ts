import type { Redis } from 'ioredis';

/**
 * Revoked session ids (DESIGN 7): auth records a session here when it is logged out, revoked, or
 * its account is suspended, deleted or has its password changed; every subgraph's token verifier
 * checks the `sid` claim against it, so the session's access tokens stop working at once
 * everywhere instead of living out their 15 minutes. An entry only has to outlive the longest
 * access token of the session, so entries expire on their own.
 *
 * PostgreSQL (auth's `user_sessions`) is the source of truth; this is a cache of it that can be
 * lost (Redis restarted without persistence, a failover to a replica that missed writes, a
 * FLUSHALL). Losing it must never revive a revoked session, so the Redis store carries a
 * completeness marker, the **epoch** key, which only auth writes, in the same MULTI/EXEC as a
 * full restore of every revocation whose tokens can still be alive (`restore`). Verifiers read
 * the epoch with the session's key in one MGET: no epoch means the revocation state is unknown
 * and the check fails closed (`RevocationStateUnknownError`) until an auth instance restored it.
 * Auth restores at start, on every Redis reconnect, when a revocation write failed, and whenever
 * its periodic check finds the epoch gone (subgraphs/auth/src/accounts/revocation-keeper.ts).
 */
export interface SessionRevocations {
  /** Marks the sessions revoked for `ttlSeconds` (at least the access-token lifetime). */
  revoke(sessionIds: readonly string[], ttlSeconds: number): Promise<void>;
  /**
   * Whether `sid` is revoked; throws (`RevocationStateUnknownError`, or the store's connection
   * error) when that cannot be known: callers must then refuse the token.
   */
  isRevoked(sessionId: string): Promise<boolean>;
  /**
   * Auth only: the complete set of revocations whose access tokens may still be valid, read from
   * PostgreSQL, written atomically with the completeness marker (verifiers stop failing closed).
   */
  restore(sessionIds: readonly string[], ttlSeconds: number): Promise<void>;
  /** Auth only: whether the store lost its state (no completeness marker) and needs `restore`. */
  needsRestore(): Promise<boolean>;
}

/** The revocation store lost its state and auth has not restored it yet: refuse, do not accept. */
export class RevocationStateUnknownError extends Error {
  constructor() {
    super('session revocation state unknown: waiting for auth to restore it');
    this.name = 'RevocationStateUnknownError';
  }
}

const KEY_PREFIX = 'revoked-session:';
/** The completeness marker: present exactly when every live revocation is in the store. */
const EPOCH_KEY = 'revocations:epoch';

/** Shared by every instance through Redis: a key per revoked session, expiring with its tokens. */
export class RedisSessionRevocations implements SessionRevocations {
  private readonly prefix: string;
  private readonly epochKey: string;

  /** `keyPrefix`: the deployment's REDIS_KEY_PREFIX; auth and every verifier must use the same. */
  constructor(
    private readonly redis: Redis,
    keyPrefix = '',
  ) {
    this.prefix = keyPrefix + KEY_PREFIX;
    this.epochKey = keyPrefix + EPOCH_KEY;
  }

  async revoke(sessionIds: readonly string[], ttlSeconds: number): Promise<void> {
    if (sessionIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds)
      pipeline.set(this.prefix + id, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    // One atomic read: the marker and the entry come from the same dataset.
    const [epoch, entry] = await this.redis.mget(this.epochKey, this.prefix + sessionId);
    if (epoch === null || epoch === undefined) throw new RevocationStateUnknownError();
    return entry !== null && entry !== undefined;
  }

  async restore(sessionIds: readonly string[], ttlSeconds: number): Promise<void> {
    // MULTI/EXEC: the marker never lands without every entry (a connection lost half way through,
    // or a Redis that restarted empty in between, applies nothing).
    const multi = this.redis.multi();
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    for (const id of sessionIds) multi.set(this.prefix + id, '1', 'EX', ttl);
    multi.set(this.epochKey, `${Date.now()}`);
    const results = await multi.exec();
    if (!results) throw new Error('revocation restore was aborted');
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async needsRestore(): Promise<boolean> {
    return (await this.redis.exists(this.epochKey)) === 0;
  }
}

/**
 * The single-process fallback (no Redis): every service of the process shares one instance. It
 * lives and dies with the process, auth included, so its state is never unknown; auth still
 * restores it at start (a restarted dev stack must keep refusing recently revoked sessions).
 */
export class MemorySessionRevocations implements SessionRevocations {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async revoke(sessionIds: readonly string[], ttlSeconds: number): Promise<void> {
    const until = this.now() + ttlSeconds * 1000;
    for (const id of sessionIds) this.expiries.set(id, Math.max(until, this.expiries.get(id) ?? 0));
    this.prune();
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const until = this.expiries.get(sessionId);
    return until !== undefined && until > this.now();
  }

  restore(sessionIds: readonly string[], ttlSeconds: number): Promise<void> {
    return this.revoke(sessionIds, ttlSeconds);
  }

  async needsRestore(): Promise<boolean> {
    return false;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, until] of this.expiries) if (until <= now) this.expiries.delete(id);
  }
}
