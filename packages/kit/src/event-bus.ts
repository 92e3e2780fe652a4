import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from './logger.js';

/**
 * The event bus between services (DESIGN 9): one stream per producing service, one consumer group
 * per consuming service, at-least-once delivery.
 *
 * At-least-once means a handler can see the same event more than once (a crash between handling
 * and acknowledging, a handler outliving `retryIdleMs`): handlers must be idempotent, keyed on
 * `event.id`. Events are handled one at a time per subscription, in stream order; a redelivered
 * event arrives after the events that followed it.
 */
export interface EventEnvelope<T = unknown> {
  /** Unique per event (a UUID unless the producer supplied one); the idempotency key for consumers. */
  readonly id: string;
  /** e.g. `UserRegistered`. */
  readonly type: string;
  /** ISO-8601 timestamp taken when the event was published. */
  readonly occurredAt: string;
  /** The producing service, which is also the stream the event lives in. */
  readonly producer: string;
  /** JSON data: it arrives JSON-decoded in every implementation (a `Date` becomes a string). */
  readonly data: T;
}

export type EventHandler = (event: EventEnvelope) => Promise<void>;

export interface EventSubscribeOptions {
  /**
   * This consumer's name within the group. Give a name that survives restarts (e.g. the pod name) to
   * have a restarted consumer resume the events it held when it stopped before anything else; the
   * default (host, pid and a random suffix) is unique per process, and what a crashed process held is
   * then taken over by another consumer once it has been idle for `retryIdleMs`.
   */
  readonly consumer?: string;
  /** Entries fetched per read (default 10). Small batches keep unhandled-but-delivered work short. */
  readonly batchSize?: number;
  /** Longest wait for new entries per read, in ms (default 5000). stop() does not wait for it. */
  readonly blockMs?: number;
  /** Attempts before an event that keeps failing is moved to the dead-letter stream (default 5). */
  readonly maxDeliveries?: number;
  /**
   * How long an unacknowledged event stays with the consumer that got it before any consumer of the
   * group may retry it, in ms (default 30 000). It is the retry delay after a handler failure and the
   * takeover delay after a crash; keep it longer than a handler normally runs, or a slow handler's
   * event is retried concurrently.
   */
  readonly retryIdleMs?: number;
  /**
   * Only these event types reach the handler; others are acknowledged unseen. A group has one
   * cursor per stream, so one service subscribes to a producer once, listing every type it needs.
   */
  readonly types?: readonly string[];
}

export interface EventSubscription {
  readonly producer: string;
  readonly group: string;
  readonly consumer: string;
  /** Stops fetching and resolves after the handler in flight (if any) has finished. */
  stop(): Promise<void>;
}

/** An event that could not be handled, as recorded in its stream's dead-letter stream. */
export interface DeadLetter {
  readonly event: EventEnvelope;
  /** The consumer group that gave up on the event. */
  readonly group: string;
  readonly consumer: string;
  /** Message of the last handler error, or why the event was not handled at all. */
  readonly error: string;
  readonly deliveries: number;
  readonly failedAt: string;
}

export interface EventBus {
  /** Appends to the producer's stream; resolves when durably accepted (XADD returned). Returns the envelope (id = uuid unless given). */
  publish<T>(producer: string, type: string, data: T, options?: { id?: string }): Promise<EventEnvelope<T>>;
  /**
   * Consumes `producer`'s stream as consumer group `group` (e.g. 'profile'). Handler resolves → ack;
   * throws → redelivered once idle for `retryIdleMs`; after `maxDeliveries` attempts the event is
   * moved to the dead-letter stream `<stream>:dead` (readable with {@link EventBus.readDeadLetters}, or
   * subscribable as producer `<producer>:dead`) and acknowledged, with the error logged.
   *
   * Resolves once the group exists: a group new to the stream starts from its beginning, so events
   * published before a consuming service first started are delivered too (as far back as the stream's
   * length cap keeps them).
   */
  subscribe(
    producer: string,
    group: string,
    handler: EventHandler,
    options?: EventSubscribeOptions,
  ): Promise<EventSubscription>;
  /** The oldest `count` (default 100) dead letters of `producer`'s stream, oldest first. */
  readDeadLetters(producer: string, options?: { count?: number }): Promise<DeadLetter[]>;
  /** Stops every subscription (waiting for in-flight handlers) and closes owned connections. */
  close(): Promise<void>;
  readonly kind: 'redis' | 'memory';
}

// ---------------------------------------------------------------------------------------------
// Shared by both implementations: entry encoding, option defaults and the per-delivery rules.

export const DEFAULTS = { batchSize: 10, blockMs: 5_000, maxDeliveries: 5, retryIdleMs: 30_000 } as const;
export const DEAD_SUFFIX = ':dead';
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Stream entry fields. Flat strings so `XRANGE` in redis-cli stays readable while debugging. */
export type Fields = Record<string, string>;

export interface Settings {
  readonly consumer: string;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly maxDeliveries: number;
  readonly retryIdleMs: number;
  readonly types: ReadonlySet<string> | undefined;
}

export function assertName(what: string, value: string, allowDead = false): void {
  const base = allowDead && value.endsWith(DEAD_SUFFIX) ? value.slice(0, -DEAD_SUFFIX.length) : value;
  if (!NAME.test(base))
    throw new TypeError(`Invalid ${what} "${value}": use letters, digits, '.', '_' or '-'`);
}

export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function settingsOf(options: EventSubscribeOptions | undefined): Settings {
  const consumer = options?.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  if (consumer === '' || /\s/.test(consumer)) throw new TypeError(`Invalid consumer name "${consumer}"`);
  return {
    consumer,
    batchSize: positiveInt('batchSize', options?.batchSize ?? DEFAULTS.batchSize),
    blockMs: positiveInt('blockMs', options?.blockMs ?? DEFAULTS.blockMs),
    maxDeliveries: positiveInt('maxDeliveries', options?.maxDeliveries ?? DEFAULTS.maxDeliveries),
    retryIdleMs: positiveInt('retryIdleMs', options?.retryIdleMs ?? DEFAULTS.retryIdleMs),
    types: options?.types ? new Set(options.types) : undefined,
  };
}

export function createEnvelope<T>(
  producer: string,
  type: string,
  data: T,
  id: string | undefined,
): EventEnvelope<T> {
  assertName('producer', producer);
  if (type === '') throw new TypeError('Event type must not be empty');
  if (id === '') throw new TypeError('Event id must not be empty');
  return { id: id ?? randomUUID(), type, occurredAt: new Date().toISOString(), producer, data };
}

export function encodeEnvelope(event: EventEnvelope): Fields {
  const data = JSON.stringify(event.data);
  if (data === undefined) throw new TypeError(`Event ${event.type} has no JSON form`);
  return { id: event.id, type: event.type, occurredAt: event.occurredAt, producer: event.producer, data };
}

/** Throws on an entry that was not written by encodeEnvelope: such an entry can never succeed. */
export function decodeEnvelope(fields: Fields): EventEnvelope {
  const { id, type, occurredAt, producer, data } = fields;
  if (!id || !type || !occurredAt || !producer || data === undefined) {
    throw new Error(`missing envelope fields (has: ${Object.keys(fields).join(', ') || 'none'})`);
  }
  return { id, type, occurredAt, producer, data: JSON.parse(data) as unknown };
}

/** Reads a dead letter without throwing, even for an entry that was dead-lettered for being malformed. */
export function decodeDeadLetter(fields: Fields, streamId: string, producer: string): DeadLetter {
  let data: unknown = fields.data ?? null;
  try {
    data = JSON.parse(fields.data ?? 'null');
  } catch {
    // Keep the raw text: it is what an operator needs to see.
  }
  return {
    event: {
      id: fields.id ?? streamId,
      type: fields.type ?? '',
      occurredAt: fields.occurredAt ?? '',
      producer: fields.producer ?? producer,
      data,
    },
    group: fields['dead.group'] ?? '',
    consumer: fields['dead.consumer'] ?? '',
    error: fields['dead.error'] ?? '',
    deliveries: Number(fields['dead.deliveries'] ?? 0),
    failedAt: fields['dead.failedAt'] ?? '',
  };
}

export function deadLetterFields(
  fields: Fields,
  group: string,
  consumer: string,
  error: string,
  deliveries: number,
): Fields {
  return {
    ...fields,
    'dead.group': group,
    'dead.consumer': consumer,
    'dead.error': error,
    'dead.deliveries': String(deliveries),
    'dead.failedAt': new Date().toISOString(),
  };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One delivery of a stream entry to a consumer. `fields` is null when the entry was trimmed away. */
export interface Delivery {
  readonly streamId: string;
  readonly fields: Fields | null;
  /** How many times the entry has been delivered to the group, this delivery included. */
  readonly deliveries: number;
}

export interface DeliveryOutcomes {
  ack(delivery: Delivery): Promise<void>;
  deadLetter(delivery: Delivery, error: string): Promise<void>;
}

/**
 * The delivery rules both implementations share, so they cannot drift apart: filtered types are
 * acknowledged unseen; an entry past `maxDeliveries` (its consumers kept crashing before acking)
 * is dead-lettered without another attempt; a handler failure leaves the entry pending for a retry,
 * or dead-letters it on the last attempt.
 */
export async function deliver(
  delivery: Delivery,
  handler: EventHandler,
  settings: Settings,
  outcomes: DeliveryOutcomes,
  logger: Logger,
): Promise<void> {
  const { streamId, fields, deliveries } = delivery;
  if (fields === null) {
    await outcomes.ack(delivery);
    return;
  }
  let event: EventEnvelope;
  try {
    event = decodeEnvelope(fields);
  } catch (err) {
    logger.error({ err, streamId }, 'malformed event entry; moved to dead-letter stream');
    await outcomes.deadLetter(delivery, `malformed event: ${messageOf(err)}`);
    return;
  }
  if (settings.types && !settings.types.has(event.type)) {
    await outcomes.ack(delivery);
    return;
  }
  const context = { streamId, eventId: event.id, type: event.type, deliveries };
  if (deliveries > settings.maxDeliveries) {
    const error = `not acknowledged after ${deliveries - 1} deliveries (consumer crashed or stalled)`;
    logger.error(context, `event ${error}; moved to dead-letter stream`);
    await outcomes.deadLetter(delivery, error);
    return;
  }
  try {
    await handler(event);
  } catch (err) {
    if (deliveries >= settings.maxDeliveries) {
      logger.error(
        { ...context, err },
        'event handler failed on its last attempt; moved to dead-letter stream',
      );
      await outcomes.deadLetter(delivery, messageOf(err));
    } else {
      logger.warn(
        { ...context, err, retryInMs: settings.retryIdleMs },
        'event handler failed; the event will be redelivered',
      );
    }
    return;
  }
  await outcomes.ack(delivery);
}

// ---------------------------------------------------------------------------------------------
// Redis Streams
