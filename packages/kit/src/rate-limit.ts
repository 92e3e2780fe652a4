import type { Redis } from 'ioredis';
import rateLimiterFlexible from 'rate-limiter-flexible';
import { rateLimited } from './errors.js';

const { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } = rateLimiterFlexible;

export interface RateLimitRule {
  /** Names the limit in keys and messages, e.g. `login-ip`. */
  readonly name: string;
  /** Requests allowed per window. */
  readonly points: number;
  /** Window length in seconds. */
  readonly durationSeconds: number;
}

export interface RateLimiter {
  /**
   * Counts one request for `key` (an IP, an email...) and throws RATE_LIMITED with `retryAfter`
   * once the window's allowance is used up.
   */
  consume(key: string, points?: number): Promise<void>;
  /** Forgets `key`'s count, e.g. after a successful login. */
  reset(key: string): Promise<void>;
}

/**
 * A fixed-window limiter (DESIGN 11): counted in Redis when the process has it, so every instance
 * shares the count, else in this process. `keyPrefix` is the deployment's REDIS_KEY_PREFIX.
 *
 * While Redis is unreachable the count moves to this process (rate-limiter-flexible's insurance
 * limiter, used at once when the connection is not ready): each instance still enforces the
 * allowance on its own, and a registration or login does not fail because of the counter.
 */
export function createRateLimiter(rule: RateLimitRule, redis?: Redis, keyPrefix = ''): RateLimiter {
  const options = {
    keyPrefix: `${keyPrefix}rate-limit:${rule.name}`,
    points: rule.points,
    duration: rule.durationSeconds,
  };
  const limiter = redis
    ? new RateLimiterRedis({
        ...options,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(options),
      })
    : new RateLimiterMemory(options);
  return {
    async consume(key, points = 1) {
      try {
        await limiter.consume(key, points);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) throw rateLimited(rejection.msBeforeNext / 1000);
        throw rejection;
      }
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}
