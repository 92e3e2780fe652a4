import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { closeRedisClient, createRedisClient, disconnectNow, duplicateRedisClient } from './redis.js';
import {
  DEAD_SUFFIX,
  assertName,
  positiveInt,
  settingsOf,
  createEnvelope,
  encodeEnvelope,
  decodeDeadLetter,
  deadLetterFields,
  messageOf,
  deliver,
  type EventEnvelope,
  type EventHandler,
  type EventSubscribeOptions,
  type EventSubscription,
  type DeadLetter,
  type EventBus,
  type Fields,
  type Settings,
  type Delivery,
  type DeliveryOutcomes,
} from './event-bus.js';

export interface RedisEventBusOptions {
  /** A URL (the bus opens and owns its connection) or the process's shared client (not closed by close()). */
  readonly redis: Redis | string;
  readonly logger: Logger;
  /** Prepended to stream keys (`<prefix>events:<producer>`), e.g. per environment or test run. */
  readonly prefix?: string;
  /** Approximate cap on each stream's length (XADD MAXLEN ~), default 100 000. */
  readonly maxLen?: number;
  /** Base of the connection names shown in `CLIENT LIST`. */
  readonly name?: string;
}

/** Consumers that have held nothing for this long are removed from their group when a subscription starts. */
const STALE_CONSUMER_MS = 24 * 60 * 60 * 1000;
/** Upper bound on the interval between XAUTOCLAIM sweeps, whatever retryIdleMs is. */
const MAX_CLAIM_INTERVAL_MS = 5_000;
const MAX_ERROR_BACKOFF_MS = 5_000;

type RawEntry = { streamId: string; fields: Fields | null };

function toFields(raw: unknown): Fields | null {
  if (!Array.isArray(raw)) return null;
  const fields: Fields = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[String(raw[i])] = String(raw[i + 1]);
  return fields;
}

/** `[[id, [field, value, …] | null], …]` as returned inside XREADGROUP, XAUTOCLAIM and XRANGE replies. */
function toEntries(raw: unknown): RawEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: RawEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    entries.push({ streamId: item[0], fields: toFields(item[1]) });
  }
  return entries;
}

function flatten(fields: Fields): string[] {
  return Object.entries(fields).flat();
}

function isNoGroupError(err: unknown): boolean {
  return messageOf(err).startsWith('NOGROUP');
}

/** A Redis-Streams event bus: XADD to publish, XREADGROUP/XACK/XAUTOCLAIM to consume. */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly prefix: string;
  private readonly maxLen: number;
  private readonly name: string;
  private readonly logger: Logger;
  private readonly rootLogger: Logger;
  private readonly subscriptions = new Set<RedisSubscription>();
  private closed = false;

  constructor(options: RedisEventBusOptions) {
    this.name = options.name ?? 'events';
    this.rootLogger = options.logger;
    this.logger = options.logger.child({ component: 'events', kind: 'redis' });
    this.prefix = options.prefix ?? '';
    this.maxLen = positiveInt('maxLen', options.maxLen ?? 100_000);
    if (typeof options.redis === 'string') {
      this.redis = createRedisClient(options.redis, options.logger, this.name);
      this.ownsConnection = true;
    } else {
      this.redis = options.redis;
      this.ownsConnection = false;
    }
  }

  /** The Redis key of a producer's stream; `<producer>:dead` names its dead-letter stream. */
  streamKey(producer: string): string {
    return `${this.prefix}events:${producer}`;
  }

  async publish<T>(
    producer: string,
    type: string,
    data: T,
    options?: { id?: string },
  ): Promise<EventEnvelope<T>> {
    if (this.closed) throw new Error('EventBus is closed');
    const event = createEnvelope(producer, type, data, options?.id);
    const fields = flatten(encodeEnvelope(event));
    await this.redis.xadd(this.streamKey(producer), 'MAXLEN', '~', this.maxLen, '*', ...fields);
    return event;
  }

  async subscribe(
    producer: string,
    group: string,
    handler: EventHandler,
    options?: EventSubscribeOptions,
  ): Promise<EventSubscription> {
    if (this.closed) throw new Error('EventBus is closed');
    assertName('producer', producer, true);
    assertName('group', group);
    const settings = settingsOf(options);
    const key = this.streamKey(producer);
    await this.ensureGroup(key, group);
    await this.pruneStaleConsumers(key, group, settings.consumer);
    const connection = duplicateRedisClient(this.redis, this.rootLogger, `${this.name}:${group}:${producer}`);
    const subscription = new RedisSubscription({
      bus: this,
      redis: this.redis,
      connection,
      key,
      producer,
      group,
      handler,
      settings,
      logger: this.logger.child({ stream: key, group, consumer: settings.consumer }),
      onStopped: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async readDeadLetters(producer: string, options?: { count?: number }): Promise<DeadLetter[]> {
    assertName('producer', producer);
    const count = positiveInt('count', options?.count ?? 100);
    const raw = await this.redis.xrange(this.streamKey(producer) + DEAD_SUFFIX, '-', '+', 'COUNT', count);
    return toEntries(raw).map(({ streamId, fields }) => decodeDeadLetter(fields ?? {}, streamId, producer));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.ownsConnection) await closeRedisClient(this.redis);
  }

  /** Creates the group at the start of the stream (creating the stream too); an existing group is kept. */
  async ensureGroup(key: string, group: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
    } catch (err) {
      if (!messageOf(err).startsWith('BUSYGROUP')) throw err;
    }
  }

  /** Atomically records the dead letter and acknowledges the original, so it is neither lost nor retried. */
  async deadLetter(
    key: string,
    group: string,
    consumer: string,
    delivery: Delivery,
    error: string,
  ): Promise<void> {
    const fields = deadLetterFields(delivery.fields ?? {}, group, consumer, error, delivery.deliveries);
    const results = await this.redis
      .multi()
      .xadd(key + DEAD_SUFFIX, 'MAXLEN', '~', this.maxLen, '*', ...flatten(fields))
      .xack(key, group, delivery.streamId)
      .exec();
    const failure = results?.find(([err]) => err)?.[0];
    if (failure) throw failure;
  }

  /**
   * Consumer names accumulate in a group as processes come and go (each process picks a fresh default
   * name). Dropping the ones that hold nothing and have been silent for a day loses nothing.
   */
  private async pruneStaleConsumers(key: string, group: string, self: string): Promise<void> {
    try {
      const reply = await this.redis.xinfo('CONSUMERS', key, group);
      if (!Array.isArray(reply)) return;
      for (const item of reply) {
        const info = toFields(item);
        if (!info?.name || info.name === self) continue;
        if (Number(info.pending) === 0 && Number(info.idle) > STALE_CONSUMER_MS) {
          await this.redis.xgroup('DELCONSUMER', key, group, info.name);
        }
      }
    } catch (err) {
      this.logger.debug({ err, stream: key, group }, 'could not prune stale consumers');
    }
  }
}

interface RedisSubscriptionInit {
  readonly bus: RedisEventBus;
  /** Shared connection for acks, claims and dead letters: they must not queue behind a blocking read. */
  readonly redis: Redis;
  /** Dedicated connection for XREADGROUP, disconnected by stop() to end a blocking read at once. */
  readonly connection: Redis;
  readonly key: string;
  readonly producer: string;
  readonly group: string;
  readonly handler: EventHandler;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly onStopped: (subscription: RedisSubscription) => void;
}

/**
 * One consumer's loop. After (re)starting, and again whenever its connection comes back after a
 * drop (a Redis restart: an XREADGROUP reply can be lost with the connection, leaving its entries
 * delivered to this consumer but never handled), it first works through the entries its consumer
 * name still holds (XREADGROUP from ID 0), then reads new ones ('>'), and every claim interval sweeps
 * the group with XAUTOCLAIM for entries idle longer than retryIdleMs: its own failed ones (the
 * retry) and those of consumers that died holding them (the takeover). Everything runs in one
 * sequential loop, so a subscription never runs two handlers at once.
 */
class RedisSubscription implements EventSubscription {
  readonly producer: string;
  readonly group: string;
  readonly consumer: string;
  private readonly init: RedisSubscriptionInit;
  private readonly claimIntervalMs: number;
  private readonly loop: Promise<void>;
  private stopping = false;
  /** Ends the read in flight, if any, with no entries: stop() abandons it (see read()). */
  private abandonRead: (() => void) | undefined;
  private wakeUp: (() => void) | undefined;
  private claimCursor = '0-0';
  /** Set when the reading connection is back after a drop: re-read this consumer's pending entries. */
  private reconnected = false;

  constructor(init: RedisSubscriptionInit) {
    this.init = init;
    this.producer = init.producer;
    this.group = init.group;
    this.consumer = init.settings.consumer;
    this.claimIntervalMs = Math.min(
      Math.max(Math.floor(init.settings.retryIdleMs / 2), 10),
      MAX_CLAIM_INTERVAL_MS,
    );
    let connectedBefore = false;
    init.connection.on('ready', () => {
      if (connectedBefore) {
        this.reconnected = true;
        // Cuts the error backoff short: Redis is back.
        this.wakeUp?.();
      }
      connectedBefore = true;
    });
    this.loop = this.run().finally(() => init.onStopped(this));
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.abandonRead?.();
      this.wakeUp?.();
      // Ends a blocking XREADGROUP now instead of after blockMs. Entries the server delivered to it
      // in that instant stay pending for this consumer and are retried like any unacked entry.
      disconnectNow(this.init.connection);
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    const { logger } = this.init;
    let historyCursor: string | null = '0';
    let nextClaimAt = Date.now() + this.claimIntervalMs;
    let failures = 0;
    while (!this.stopping) {
      if (this.reconnected) {
        this.reconnected = false;
        historyCursor = '0';
      }
      try {
        if (Date.now() >= nextClaimAt) {
          const more = await this.claimIdle();
          nextClaimAt = more ? Date.now() : Date.now() + this.claimIntervalMs;
        } else if (historyCursor !== null) {
          const entries = await this.read(historyCursor, undefined);
          historyCursor = entries.at(-1)?.streamId ?? null;
          if (entries.length > 0) await this.process(entries, await this.deliveryCounts(entries));
        } else {
          const blockMs = Math.max(1, Math.min(this.init.settings.blockMs, nextClaimAt - Date.now()));
          const entries = await this.read('>', blockMs);
          await this.process(entries, null);
        }
        if (failures > 0) logger.info({ failures }, 'event consumer recovered');
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures += 1;
        if (isNoGroupError(err)) {
          // The stream or group was deleted under us (an operator, a test cleanup): start over.
          logger.warn({ err }, 'consumer group vanished; recreating it');
          historyCursor = '0';
          await this.init.bus.ensureGroup(this.init.key, this.group).catch(() => undefined);
        } else if (failures === 1) logger.error({ err }, 'event consumer failed; retrying with backoff');
        else logger.debug({ err, failures }, 'event consumer still failing');
        await this.sleep(Math.min(100 * 2 ** (failures - 1), MAX_ERROR_BACKOFF_MS));
      }
    }
  }

  private async read(id: string, blockMs: number | undefined): Promise<RawEntry[]> {
    const { connection, key, settings } = this.init;
    const args: (string | number)[] = ['GROUP', this.group, this.consumer, 'COUNT', settings.batchSize];
    if (blockMs !== undefined) args.push('BLOCK', blockMs);
    args.push('STREAMS', key, id);
    // Abandoned by stop(): ioredis never settles a command that was in flight when the connection
    // dropped, or queued since, if it is disconnected while waiting to reconnect (redis/ioredis
    // PRs 2169 and 2197); awaiting it alone would hang shutdown after a Redis outage. A promise
    // per read, not a race with one long-lived "stopped" promise, which would keep a reaction for
    // every read the consumer ever made.
    if (this.stopping) return [];
    const reply = await new Promise<unknown>((resolve, reject) => {
      this.abandonRead = () => resolve(null);
      connection.call('XREADGROUP', ...args).then(resolve, reject);
    }).finally(() => {
      this.abandonRead = undefined;
    });
    // [[key, entries]] or null when the block timed out.
    if (!Array.isArray(reply) || !Array.isArray(reply[0])) return [];
    return toEntries((reply[0] as unknown[])[1]);
  }

  /** One XAUTOCLAIM step; true when the sweep has more entries to look at right away. */
  private async claimIdle(): Promise<boolean> {
    const { redis, key, settings } = this.init;
    const reply = await redis.xautoclaim(
      key,
      this.group,
      this.consumer,
      settings.retryIdleMs,
      this.claimCursor,
      'COUNT',
      settings.batchSize,
    );
    const [cursor, claimed] = reply as [string, unknown];
    this.claimCursor = typeof cursor === 'string' ? cursor : '0-0';
    const entries = toEntries(claimed);
    if (entries.length > 0) {
      this.init.logger.debug({ count: entries.length }, 'claimed idle events for retry');
      await this.process(entries, await this.deliveryCounts(entries));
    }
    return this.claimCursor !== '0-0';
  }

  /**
   * Delivery counts of entries this consumer has just been (re)delivered, from XPENDING — XAUTOCLAIM
   * and history reads increment the count but do not return it. Entries no longer pending for this
   * consumer (acknowledged or claimed meanwhile) are absent and get skipped.
   */
  private async deliveryCounts(entries: RawEntry[]): Promise<Map<string, number>> {
    const { redis, key } = this.init;
    const pipeline = redis.pipeline();
    for (const { streamId } of entries)
      pipeline.xpending(key, this.group, streamId, streamId, 1, this.consumer);
    const results = (await pipeline.exec()) ?? [];
    const counts = new Map<string, number>();
    for (const [err, reply] of results) {
      if (err) throw err;
      const row = Array.isArray(reply) ? (reply[0] as unknown) : undefined;
      if (Array.isArray(row) && typeof row[0] === 'string') counts.set(row[0], Number(row[3]));
    }
    return counts;
  }

  /** Handles entries in order; `counts` null means fresh deliveries ('>'), delivered once. */
  private async process(entries: RawEntry[], counts: Map<string, number> | null): Promise<void> {
    const { bus, redis, key, handler, settings, logger } = this.init;
    const outcomes: DeliveryOutcomes = {
      ack: async (delivery) => {
        await redis.xack(key, this.group, delivery.streamId);
      },
      deadLetter: (delivery, error) => bus.deadLetter(key, this.group, this.consumer, delivery, error),
    };
    for (const entry of entries) {
      // Entries left unprocessed here stay pending and come back through the history read or a claim.
      if (this.stopping) return;
      const deliveries = counts === null ? 1 : counts.get(entry.streamId);
      if (deliveries === undefined) continue;
      await deliver({ ...entry, deliveries }, handler, settings, outcomes, logger);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// In-process
