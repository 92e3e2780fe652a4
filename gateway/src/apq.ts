import {
  ErrorsAreMissesCache,
  InMemoryLRUCache,
  type KeyValueCache,
  type KeyValueCacheSetOptions,
} from '@apollo/utils.keyvaluecache';

/** The Redis commands the APQ cache needs (an ioredis client from the kit's createRedisClient). */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
}

/** Apollo's KeyValueCache over Redis, so every gateway replica shares registered operations. */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(
    private readonly redis: RedisCommands,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl;
    if (typeof ttl === 'number' && ttl > 0)
      await this.redis.set(this.prefix + key, value, 'EX', Math.ceil(ttl));
    else await this.redis.set(this.prefix + key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(this.prefix + key)) > 0;
  }
}

/**
 * The automatic persisted queries cache: Redis when the gateway has one (shared by replicas; a
 * Redis outage turns lookups into misses, clients then resend the full query), else an in-memory
 * LRU bounded by the byte size of the stored documents.
 */
export function createApqCache(options: {
  readonly redis?: RedisCommands;
  readonly keyPrefix?: string;
  readonly maxBytes: number;
}): KeyValueCache<string> {
  if (options.redis) {
    return new ErrorsAreMissesCache(
      new RedisKeyValueCache(options.redis, `${options.keyPrefix ?? ''}gateway:`),
    );
  }
  return new InMemoryLRUCache<string>({
    maxSize: options.maxBytes,
    sizeCalculation: (value) => value.length + 64,
  });
}
