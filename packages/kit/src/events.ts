import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { EventBus } from './event-bus.js';
import { MemoryEventBus } from './events-memory.js';
import { RedisEventBus } from './events-redis.js';

export type {
  EventEnvelope,
  EventHandler,
  EventSubscribeOptions,
  EventSubscription,
  DeadLetter,
  EventBus,
} from './event-bus.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './events-memory.js';
export { RedisEventBus, type RedisEventBusOptions } from './events-redis.js';

export interface EventBusOptions {
  /** Redis URL; without it (and without `redis`) the in-process implementation is used. */
  readonly redisUrl?: string;
  /** An existing client to use instead of opening one from redisUrl (not closed by close()). */
  readonly redis?: Redis;
  readonly logger: Logger;
  /** Stream key prefix (Redis only), e.g. per environment or test run. */
  readonly prefix?: string;
  /** Approximate cap on each stream's length. */
  readonly maxLen?: number;
  /** Connection name base (Redis only), e.g. the service name. */
  readonly name?: string;
}

/** The event bus for a process: Redis Streams when Redis is configured, in-process otherwise. */
export function createEventBus(options: EventBusOptions): EventBus {
  const redis = options.redis ?? options.redisUrl;
  if (redis === undefined || redis === '') {
    return new MemoryEventBus({ logger: options.logger, maxLen: options.maxLen });
  }
  return new RedisEventBus({
    redis,
    logger: options.logger,
    prefix: options.prefix,
    maxLen: options.maxLen,
    name: options.name,
  });
}
