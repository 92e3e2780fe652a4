import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { closeRedisClient, createRedisClient, duplicateRedisClient } from './redis.js';

/**
 * Realtime fan-out for GraphQL subscriptions (DESIGN 8). Delivery is best-effort and at-most-once:
 * a subscriber sees what is published after its registration is acknowledged, in publish order per
 * channel. Anything that must not be lost travels on the event bus (events.ts) instead; clients
 * re-query state when a subscription ends or reconnects.
 *
 * Payloads cross the wire as JSON in every implementation (the in-memory one round-trips them
 * too), so a `Date` arrives as a string in development exactly as it does in production. A payload
 * object is shared by all local subscribers of a message: treat it as read-only.
 */
export interface PubSub {
  /**
   * Sends `payload` to every current subscriber of `channel`, in every process. Rejects when the
   * payload has no JSON form or Redis could not take it (after the client's bounded retries); a
   * mutation whose write already succeeded usually logs that and carries on.
   */
  publish<T>(channel: string, payload: T): Promise<void>;
  /**
   * An AsyncIterableIterator usable as a graphql-ws / graphql-js subscription source.
   *
   * Registration starts immediately but is asynchronous with Redis; await {@link PubSub.ready} before
   * publishing (or before returning the iterator from a resolver) when the events right after
   * subscribing matter. `return()` unsubscribes at once and settles a pending `next()` as done.
   *
   * Each iterator buffers up to `bufferSize` (default 1000) undelivered payloads. A consumer that
   * falls further behind is not silently skipped ahead: the iterator ends and its next `next()`
   * rejects with {@link PubSubOverflowError}, so the client knows to resubscribe and resync.
   * `filter` runs before buffering; payloads it rejects never count against the buffer.
   */
  subscribe<T>(
    channel: string,
    options?: { bufferSize?: number; filter?: (payload: T) => boolean },
  ): AsyncIterableIterator<T>;
  /**
   * Resolves once `iterator`'s subscription is registered with the server (Redis acknowledged the
   * SUBSCRIBE), after which no publish from any instance is missed. Rejects if registration failed
   * (the iterator then ends with the same error). Resolves at once for an iterator that has already
   * ended, for the in-memory implementation, or for iterators this PubSub did not create.
   */
  ready(iterator: AsyncIterableIterator<unknown>): Promise<void>;
  /** Ends every iterator (pending `next()` calls resolve done) and closes the connections it owns. */
  close(): Promise<void>;
  /**
   * How many live iterators of this process listen on `channel` (tests and metrics: graphql-ws has
   * no "subscribed" acknowledgement, so this is how a client's subscription is known to be live).
   */
  listenerCount(channel: string): number;
  readonly kind: 'redis' | 'memory';
}

/** Thrown from `next()` of an iterator whose consumer fell more than `bufferSize` payloads behind. */
export class PubSubOverflowError extends Error {
  override readonly name = 'PubSubOverflowError';
  constructor(
    readonly channel: string,
    readonly bufferSize: number,
  ) {
    super(`Subscriber to "${channel}" fell more than ${bufferSize} messages behind; resubscribe and resync`);
  }
}

export const DEFAULT_BUFFER_SIZE = 1_000;

type EndReason = 'return' | 'overflow' | 'error' | 'close';

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

/**
 * A push-to-pull adapter: the transport pushes payloads, the GraphQL executor pulls them.
 * `onEnd` fires exactly once, whichever way the iterator ends, so the owner can drop its listener.
 */
class SubscriptionIterator<T> implements AsyncIterableIterator<T> {
  // A queue with a moving head: O(1) dequeue without Array#shift copying up to bufferSize items.
  private buffer: T[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  private ended = false;
  private failure: unknown = undefined;

  constructor(
    readonly channel: string,
    private readonly bufferSize: number,
    private readonly filter: ((payload: T) => boolean) | undefined,
    private readonly onEnd: (reason: EndReason, iterator: SubscriptionIterator<T>) => void,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** Called by the transport for every payload published on the channel. */
  push(payload: T): void {
    if (this.ended) return;
    try {
      if (this.filter && !this.filter(payload)) return;
    } catch (err) {
      this.fail(err, 'error');
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value: payload, done: false });
      return;
    }
    if (this.buffer.length - this.head >= this.bufferSize) {
      this.fail(new PubSubOverflowError(this.channel, this.bufferSize), 'overflow');
      return;
    }
    this.buffer.push(payload);
  }

  /** Ends the iterator with `error`: the first pending or next `next()` rejects, later ones are done. */
  fail(error: unknown, reason: EndReason = 'error'): void {
    if (this.ended) return;
    this.failure = error;
    this.finish(reason);
    const first = this.waiters.shift();
    if (first) {
      this.failure = undefined;
      first.reject(error);
    }
    this.settleWaiters();
  }

  /** Ends the iterator normally (PubSub closing): buffered payloads are dropped, pulls resolve done. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.finish(reason);
    this.settleWaiters();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head] as T;
      this.head += 1;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.failure = undefined;
    this.end('return');
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.failure = undefined;
    this.end('return');
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(reason: EndReason): void {
    this.ended = true;
    this.buffer = [];
    this.head = 0;
    this.onEnd(reason, this);
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }
}

function bufferSizeOf(options: { bufferSize?: number } | undefined): number {
  const size = options?.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`bufferSize must be a positive integer, got ${size}`);
  return size;
}

function serialize(channel: string, payload: unknown): string {
  const json = JSON.stringify(payload);
  // JSON.stringify(undefined) and functions have no JSON form; refuse rather than publish nothing.
  if (json === undefined) throw new TypeError(`Cannot publish a non-JSON payload on "${channel}"`);
  return json;
}

function logOverflow(logger: Logger, channel: string, bufferSize: number): void {
  logger.warn({ channel, bufferSize }, 'subscriber fell behind; ending its subscription so it resyncs');
}

/**
 * In-process pub/sub for development and tests without Redis. Single instance only: two processes
 * using it do not see each other's messages (DESIGN 3).
 */
export class MemoryPubSub implements PubSub {
  readonly kind = 'memory' as const;
  private readonly channels = new Map<string, Set<SubscriptionIterator<unknown>>>();
  private readonly logger: Logger;
  private closed = false;

  constructor(options: { logger: Logger }) {
    this.logger = options.logger.child({ component: 'pubsub', kind: 'memory' });
  }

  async publish<T>(channel: string, payload: T): Promise<void> {
    if (this.closed) throw new Error('PubSub is closed');
    const json = serialize(channel, payload);
    const listeners = this.channels.get(channel);
    if (!listeners || listeners.size === 0) return;
    const copy: unknown = JSON.parse(json);
    // Copy the set: a listener may end (overflow, filter error) and remove itself while we iterate.
    for (const listener of [...listeners]) listener.push(copy);
  }

  subscribe<T>(
    channel: string,
    options?: { bufferSize?: number; filter?: (payload: T) => boolean },
  ): AsyncIterableIterator<T> {
    if (this.closed) throw new Error('PubSub is closed');
    const bufferSize = bufferSizeOf(options);
    const iterator = new SubscriptionIterator<T>(channel, bufferSize, options?.filter, (reason, it) => {
      const listeners = this.channels.get(channel);
      listeners?.delete(it as SubscriptionIterator<unknown>);
      if (listeners?.size === 0) this.channels.delete(channel);
      if (reason === 'overflow') logOverflow(this.logger, channel, bufferSize);
    });
    let listeners = this.channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.channels.set(channel, listeners);
    }
    listeners.add(iterator as SubscriptionIterator<unknown>);
    return iterator;
  }

  async ready(_iterator: AsyncIterableIterator<unknown>): Promise<void> {
    // Registration is synchronous in-process: a subscriber is live as soon as subscribe() returns.
  }

  listenerCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const listeners of [...this.channels.values()]) {
      for (const listener of [...listeners]) listener.end('close');
    }
    this.channels.clear();
  }
}

export interface RedisPubSubOptions {
  /**
   * A URL (the PubSub opens and owns both its connections) or the process's shared client, used to
   * publish and duplicated for the subscriber connection; a shared client is not closed by close().
   */
  readonly redis: Redis | string;
  readonly logger: Logger;
  /** Prepended to every channel name, so environments, tenants or test runs sharing a server stay apart. */
  readonly prefix?: string;
  /** Base of the connection names shown in `CLIENT LIST` (`<name>:pub`, `<name>:sub`). */
  readonly name?: string;
}

/** Local listeners of one Redis channel and the pending or completed SUBSCRIBE that feeds them. */
interface ChannelState {
  readonly listeners: Set<SubscriptionIterator<unknown>>;
  readonly subscribed: Promise<void>;
}

/**
 * Pub/sub across processes through Redis. One publisher and ONE subscriber connection per instance
 * whatever the number of GraphQL subscriptions: channels are reference-counted, so the first local
 * listener of a channel sends SUBSCRIBE, the last one leaving sends UNSUBSCRIBE, and each Redis
 * message is parsed once and handed to every local listener.
 *
 * If the subscriber connection drops, ioredis reconnects and re-subscribes every channel
 * (`autoResubscribe`); messages published during the outage are lost, as with any Redis pub/sub.
 */
export class RedisPubSub implements PubSub {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly ownsPublisher: boolean;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly channels = new Map<string, ChannelState>();
  private readonly registrations = new WeakMap<AsyncIterableIterator<unknown>, Promise<void>>();
  private closed = false;

  constructor(options: RedisPubSubOptions) {
    const name = options.name ?? 'pubsub';
    this.logger = options.logger.child({ component: 'pubsub', kind: 'redis' });
    this.prefix = options.prefix ?? '';
    if (typeof options.redis === 'string') {
      this.publisher = createRedisClient(options.redis, options.logger, `${name}:pub`);
      this.ownsPublisher = true;
    } else {
      this.publisher = options.redis;
      this.ownsPublisher = false;
    }
    this.subscriber = duplicateRedisClient(this.publisher, options.logger, `${name}:sub`, {
      subscriber: true,
    });
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    let connectedBefore = false;
    this.subscriber.on('ready', () => {
      if (connectedBefore && this.channels.size > 0) {
        this.logger.warn(
          { channels: this.channels.size },
          'subscriber reconnected and re-subscribed; messages published while it was down were missed',
        );
      }
      connectedBefore = true;
    });
  }

  async publish<T>(channel: string, payload: T): Promise<void> {
    if (this.closed) throw new Error('PubSub is closed');
    await this.publisher.publish(this.prefix + channel, serialize(channel, payload));
  }

  subscribe<T>(
    channel: string,
    options?: { bufferSize?: number; filter?: (payload: T) => boolean },
  ): AsyncIterableIterator<T> {
    if (this.closed) throw new Error('PubSub is closed');
    const bufferSize = bufferSizeOf(options);
    const key = this.prefix + channel;
    const iterator = new SubscriptionIterator<T>(channel, bufferSize, options?.filter, (reason, it) => {
      this.removeListener(key, it as SubscriptionIterator<unknown>);
      if (reason === 'overflow') logOverflow(this.logger, channel, bufferSize);
    });
    let state = this.channels.get(key);
    if (!state) {
      state = { listeners: new Set(), subscribed: this.sendSubscribe(key) };
      this.channels.set(key, state);
    }
    state.listeners.add(iterator as SubscriptionIterator<unknown>);
    this.registrations.set(iterator, state.subscribed);
    return iterator;
  }

  async ready(iterator: AsyncIterableIterator<unknown>): Promise<void> {
    const registration = this.registrations.get(iterator);
    if (!registration) return;
    // An iterator returned before its SUBSCRIBE was acked has nothing left to wait for.
    if (iterator instanceof SubscriptionIterator && iterator.isEnded) return;
    await registration;
  }

  listenerCount(channel: string): number {
    return this.channels.get(this.prefix + channel)?.listeners.size ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const state of [...this.channels.values()]) {
      for (const listener of [...state.listeners]) listener.end('close');
    }
    this.channels.clear();
    await closeRedisClient(this.subscriber);
    if (this.ownsPublisher) await closeRedisClient(this.publisher);
  }

  /**
   * SUBSCRIBE for a channel's first local listener. The returned promise is what ready() awaits; on
   * failure the channel's listeners end with the error (they would otherwise wait forever).
   */
  private sendSubscribe(key: string): Promise<void> {
    const subscribed = this.subscriber.subscribe(key).then(() => undefined);
    subscribed.catch((err: unknown) => {
      const state = this.channels.get(key);
      if (!state || state.subscribed !== subscribed || this.closed) return;
      this.logger.error({ err, channel: key }, 'SUBSCRIBE failed; ending the subscriptions waiting on it');
      this.channels.delete(key);
      for (const listener of [...state.listeners]) listener.fail(err);
    });
    return subscribed;
  }

  private removeListener(key: string, listener: SubscriptionIterator<unknown>): void {
    const state = this.channels.get(key);
    if (!state?.listeners.delete(listener) || state.listeners.size > 0) return;
    this.channels.delete(key);
    if (this.closed) return;
    // Commands on one connection run in order, so a SUBSCRIBE for a listener arriving right after
    // this still takes effect after the UNSUBSCRIBE.
    this.subscriber.unsubscribe(key).catch((err: unknown) => {
      this.logger.warn(
        { err, channel: key },
        'UNSUBSCRIBE failed; the server drops it when the connection closes',
      );
    });
  }

  private dispatch(key: string, message: string): void {
    const state = this.channels.get(key);
    if (!state) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch (err) {
      this.logger.error({ err, channel: key }, 'dropping a message that is not JSON');
      return;
    }
    for (const listener of [...state.listeners]) listener.push(payload);
  }
}

export interface PubSubOptions {
  /** Redis URL; without it (and without `redis`) the in-process implementation is used. */
  readonly redisUrl?: string;
  /** An existing client to publish with (duplicated for subscribing); takes precedence over redisUrl. */
  readonly redis?: Redis;
  readonly logger: Logger;
  /** Channel name prefix (Redis only), e.g. per environment or per test run. */
  readonly prefix?: string;
  /** Connection name base (Redis only), e.g. the service name. */
  readonly name?: string;
}

/** The PubSub for a process: Redis when it is configured (multi-instance), in-process otherwise. */
export function createPubSub(options: PubSubOptions): PubSub {
  const redis = options.redis ?? options.redisUrl;
  if (redis === undefined || redis === '') return new MemoryPubSub({ logger: options.logger });
  return new RedisPubSub({ redis, logger: options.logger, prefix: options.prefix, name: options.name });
}
