import type { Redis } from 'ioredis';

/**
 * Revoked session ids (DESIGN 7): auth records a session here when it is logged out, revoked, or
 * its account is suspended, deleted or has its password changed; every subgraph's token verifier
 * checks the `sid` claim against it, so the session's access tokens stop working at once
 * everywhere instead of living out their 15 minutes. An entry only has to outlive the longest
 * access token of the session, so entries expire on their own.
 */
export interface SessionRevocations {
  /** Marks the sessions revoked for `ttlSeconds` (at least the access-token lifetime). */
  revoke(sessionIds: readonly string[], ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

const KEY_PREFIX = 'revoked-session:';

/** Shared by every instance through Redis: a key per revoked session, expiring with its tokens. */
export class RedisSessionRevocations implements SessionRevocations {
  private readonly prefix: string;

  /** `keyPrefix`: the deployment's REDIS_KEY_PREFIX; auth and every verifier must use the same. */
  constructor(
    private readonly redis: Redis,
    keyPrefix = '',
  ) {
    this.prefix = keyPrefix + KEY_PREFIX;
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
    return (await this.redis.exists(this.prefix + sessionId)) === 1;
  }
}

/** The single-process fallback (no Redis): every service of the process shares one instance. */
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

  private prune(): void {
    const now = this.now();
    for (const [id, until] of this.expiries) if (until <= now) this.expiries.delete(id);
  }
}
