import { randomUUID } from 'node:crypto';
import {
  MongoServerError,
  type ClientSession,
  type Collection,
  type Db,
  type Document,
  type IndexDescription,
  type MongoClient,
} from 'mongodb';
import type { EventBus, EventEnvelope, EventSubscription } from './event-bus.js';
import { connectMongo, mongoDatabaseName, type MongoConnection } from './mongo.js';
import type { Logger } from './logger.js';
import { startRelayLoop } from './relay.js';

/**
 * The building blocks every Mongo-backed subgraph shares (DESIGN 2, 9): collections applied
 * idempotently at start, transactions, a transactional outbox for the events a change produces,
 * and exactly-once handling of at-least-once events.
 */

/** A collection as a service declares it: its `$jsonSchema` validator and every index. */
export interface CollectionSpec {
  readonly name: string;
  /** A `{ $jsonSchema: ... }` validator (strict level, error action). */
  readonly validator?: Document;
  readonly indexes: readonly IndexDescription[];
}

/**
 * Creates missing collections with their validators, updates the validator of existing ones
 * (`collMod`) and creates missing indexes. Safe to run at every start and from several instances
 * at once: creating what exists is a no-op.
 */
export async function ensureCollections(db: Db, specs: readonly CollectionSpec[]): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const spec of specs) {
    const validation = spec.validator
      ? { validator: spec.validator, validationLevel: 'strict' as const, validationAction: 'error' as const }
      : {};
    if (!existing.has(spec.name)) {
      try {
        await db.createCollection(spec.name, validation);
      } catch (error) {
        // Another instance created it first (NamespaceExists): update its validator below.
        if (!(error instanceof MongoServerError && error.code === 48)) throw error;
        if (spec.validator) await db.command({ collMod: spec.name, ...validation });
      }
    } else if (spec.validator) {
      await db.command({ collMod: spec.name, ...validation });
    }
    if (spec.indexes.length > 0) await db.collection(spec.name).createIndexes([...spec.indexes]);
  }
}

/** Whether an error is MongoDB's duplicate key error (E11000). */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * Runs `fn` in a transaction, retried by the driver on transient errors (write conflicts) and
 * unknown commit results; `fn` must therefore be safe to run more than once and must pass
 * `session` to every operation.
 */
export async function withTransaction<T>(
  client: MongoClient,
  fn: (session: ClientSession) => Promise<T>,
): Promise<T> {
  return client.withSession((session) => session.withTransaction(fn));
}

// ---------------------------------------------------------------------------------------------
// Transactional outbox

interface OutboxDocument {
  _id: string;
  type: string;
  data: unknown;
  occurredAt: Date;
  publishedAt: Date | null;
  attempts: number;
  lastError?: string;
}

export const OUTBOX_COLLECTION = 'event_outbox';
/** Published outbox entries are kept this long for debugging, then removed by a TTL index. */
const OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600;

export const outboxCollection: CollectionSpec = {
  name: OUTBOX_COLLECTION,
  indexes: [
    { key: { publishedAt: 1, occurredAt: 1, _id: 1 }, name: 'pending' },
    {
      key: { publishedAt: 1 },
      name: 'published_ttl',
      expireAfterSeconds: OUTBOX_RETENTION_SECONDS,
      partialFilterExpression: { publishedAt: { $type: 'date' } },
    },
  ],
};

export interface MongoOutbox<TEvents extends object> {
  /**
   * Records an event in the transaction of the change it describes (pass that transaction's
   * session), so the event exists exactly when the change does. Returns the event id.
   */
  enqueue<K extends keyof TEvents & string>(
    session: ClientSession,
    type: K,
    data: TEvents[K],
  ): Promise<string>;
  /** Publishes what is pending now; call after a transaction that enqueued events committed. */
  kick(): void;
  /** One pass: publishes pending events in order; resolves with how many were published. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

const OUTBOX_BATCH = 100;

/**
 * The outbox of one producing service (DESIGN 9), the Mongo twin of auth's Postgres outbox. The
 * relay publishes pending entries in order and marks them published; after a crash between
 * publishing and marking, the entry is published again with the same id, which consumers
 * deduplicate on (at-least-once). Several instances may relay at once: an entry can then be
 * published twice, never lost.
 */
export function createMongoOutbox<TEvents extends object>(options: {
  db: Db;
  events: EventBus;
  producer: string;
  logger: Logger;
  /** How often pending entries are looked for without a kick (crash recovery), in ms. */
  pollMs?: number;
}): MongoOutbox<TEvents> {
  const { events, producer } = options;
  const outbox: Collection<OutboxDocument> = options.db.collection<OutboxDocument>(OUTBOX_COLLECTION);
  const logger = options.logger.child({ component: 'outbox-relay', producer });

  async function pass(): Promise<number> {
    let published = 0;
    for (;;) {
      const batch = await outbox
        .find({ publishedAt: null })
        .sort({ occurredAt: 1, _id: 1 })
        .limit(OUTBOX_BATCH)
        .toArray();
      for (const entry of batch) {
        try {
          await events.publish(producer, entry.type, entry.data, { id: entry._id });
        } catch (error) {
          await outbox.updateOne(
            { _id: entry._id },
            { $inc: { attempts: 1 }, $set: { lastError: (error as Error).message } },
          );
          logger.warn({ err: error, eventId: entry._id }, 'event publish failed; will retry');
          return published;
        }
        await outbox.updateOne(
          { _id: entry._id },
          { $set: { publishedAt: new Date() }, $inc: { attempts: 1 } },
        );
        published += 1;
      }
      if (batch.length < OUTBOX_BATCH || loop.stopped) return published;
    }
  }
  const loop = startRelayLoop({ pass, pollMs: options.pollMs ?? 2_000, logger });

  return {
    async enqueue(session, type, data) {
      const id = randomUUID();
      await outbox.insertOne(
        { _id: id, type, data, occurredAt: new Date(), publishedAt: null, attempts: 0 },
        { session },
      );
      return id;
    },
    kick: loop.kick,
    drain: loop.drain,
    stop: loop.stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Exactly-once handling of at-least-once events

export const PROCESSED_EVENTS_COLLECTION = 'processed_events';
/** Longer than any redelivery of the event bus (retries happen within minutes). */
const PROCESSED_RETENTION_SECONDS = 30 * 24 * 3600;

export const processedEventsCollection: CollectionSpec = {
  name: PROCESSED_EVENTS_COLLECTION,
  indexes: [
    { key: { processedAt: 1 }, name: 'processed_ttl', expireAfterSeconds: PROCESSED_RETENTION_SECONDS },
  ],
};

/** Runs of an event's transaction that may end in another transaction's duplicate key. */
const DUPLICATE_KEY_ATTEMPTS = 3;

/**
 * Handles an event at most once per consuming service: the event id is recorded in the same
 * transaction as the handler's writes, so a redelivered event (at-least-once bus) finds it and is
 * skipped, and a handler that fails leaves no trace and is retried. Resolves with whether the
 * handler ran.
 *
 * A duplicate key error means the event was handled concurrently only when its id is now
 * recorded. Otherwise it came from the handler's own writes: a transaction for another event (of
 * another stream, handled at the same time) inserted the same document first, e.g. both creating
 * a user's replica record. The transaction then runs again, and sees that document; it is never
 * taken for "already handled", which would drop the event.
 */
export async function handleEventOnce(
  client: MongoClient,
  db: Db,
  event: EventEnvelope,
  handler: (session: ClientSession) => Promise<void>,
): Promise<boolean> {
  const processed = db.collection<{ _id: string; type: string; processedAt: Date }>(
    PROCESSED_EVENTS_COLLECTION,
  );
  const key = `${event.producer}:${event.id}`;
  const handled = async () => (await processed.findOne({ _id: key }, { projection: { _id: 1 } })) !== null;
  if (await handled()) return false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await withTransaction(client, async (session) => {
        await processed.insertOne({ _id: key, type: event.type, processedAt: new Date() }, { session });
        await handler(session);
      });
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Another consumer handled it concurrently (its id committed first).
      if (await handled()) return false;
      if (attempt >= DUPLICATE_KEY_ATTEMPTS) throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A Mongo-backed service's store and event consumers

/** What every Mongo-backed service's store has: its database, outbox and transactions. */
export interface MongoServiceStore<TEvents extends object> {
  readonly mongo: MongoConnection;
  readonly outbox: MongoOutbox<TEvents>;
  /**
   * Runs `fn` in a transaction (retried on write conflicts, so it must be re-runnable) and kicks
   * the outbox relay after the commit, so the events `fn` enqueued go out at once.
   */
  transaction<T>(fn: (session: ClientSession) => Promise<T>): Promise<T>;
  /** Stops the outbox relay and closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to the service's own database (named with {@link mongoDatabaseName}), applies its
 * collections, and starts its outbox relay.
 */
export async function openMongoServiceStore<TEvents extends object>(options: {
  /** The service name: the database name's base, the connection's appName and the producer. */
  service: string;
  url: string;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
  collections: readonly CollectionSpec[];
  outboxPollMs?: number;
}): Promise<MongoServiceStore<TEvents>> {
  const { service, logger } = options;
  const mongo = await connectMongo({
    url: options.url,
    dbName: mongoDatabaseName(service, options.env),
    logger,
    appName: service,
    monitorCommands: options.env.NODE_ENV !== 'production',
  });
  try {
    await ensureCollections(mongo.db, options.collections);
  } catch (error) {
    await mongo.close();
    throw error;
  }
  const outbox = createMongoOutbox<TEvents>({
    db: mongo.db,
    events: options.events,
    producer: service,
    logger,
    ...(options.outboxPollMs === undefined ? {} : { pollMs: options.outboxPollMs }),
  });
  return {
    mongo,
    outbox,
    async transaction(fn) {
      const result = await withTransaction(mongo.client, fn);
      outbox.kick();
      return result;
    },
    async close() {
      await outbox.stop();
      await mongo.close();
    },
  };
}

/** One stream a service consumes: the event types it wants and what it does with each. */
export interface StreamConsumer {
  readonly types: readonly string[];
  /**
   * Runs inside the transaction that records the event as handled (so it may run more than once
   * if the transaction is retried). `afterCommit` queues work for after the commit, e.g. live
   * notifications of what the transaction changed; only the committed attempt's tasks run.
   */
  handle(
    session: ClientSession,
    event: EventEnvelope,
    afterCommit: (task: () => Promise<void>) => void,
  ): Promise<void>;
  /**
   * Handles an event without recording it (e.g. relayed to live subscribers only); resolve true
   * when it did, false to go on with `handle`.
   */
  direct?(event: EventEnvelope): Promise<boolean>;
}

/**
 * Subscribes the service's consumer group to each stream (one subscription per stream, so the
 * group's messages are not split) and handles every event exactly once (handleEventOnce). After
 * an event's transaction committed, the outbox is kicked (its handler may have enqueued events)
 * and `afterHandled` runs.
 */
export async function startStreamConsumers(options: {
  events: EventBus;
  group: string;
  store: Pick<MongoServiceStore<object>, 'mongo' | 'outbox'>;
  logger: Logger;
  streams: Readonly<Record<string, StreamConsumer>>;
  afterHandled?: (event: EventEnvelope) => void;
}): Promise<{ stop(): Promise<void> }> {
  const { store, logger } = options;
  const subscriptions: EventSubscription[] = [];
  const stopAll = () => Promise.all(subscriptions.map((subscription) => subscription.stop()));
  try {
    for (const [stream, consumer] of Object.entries(options.streams)) {
      const handler = async (event: EventEnvelope) => {
        if (consumer.direct && (await consumer.direct(event))) return;
        let tasks: Array<() => Promise<void>> = [];
        const handled = await handleEventOnce(store.mongo.client, store.mongo.db, event, (session) => {
          tasks = [];
          return consumer.handle(session, event, (task) => tasks.push(task));
        });
        if (!handled) {
          logger.debug({ eventId: event.id, type: event.type }, 'event already handled; skipped');
          return;
        }
        store.outbox.kick();
        // The event's effects are committed: a failing task (best-effort live work) is logged,
        // not retried by redelivery, which would find the event handled.
        for (const task of tasks) {
          await task().catch((error: unknown) =>
            logger.warn({ err: error, eventId: event.id, type: event.type }, 'after-commit task failed'),
          );
        }
        options.afterHandled?.(event);
      };
      subscriptions.push(
        await options.events.subscribe(stream, options.group, handler, { types: consumer.types }),
      );
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    async stop() {
      await stopAll();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Full-text search pages

/** Where a page of text matches starts: after this score, and after this id among equal scores. */
export interface TextSearchPosition {
  readonly score: number;
  readonly id: unknown;
}

/**
 * The aggregation of one page of `$text` matches of `match` (which holds the `$text` clause),
 * best match first and by `_id` among equal scores (`idOrder`), each row with its `searchScore`:
 * the cursor of a row is its (searchScore, _id).
 */
export function textSearchPage(
  match: Document,
  after: TextSearchPosition | null,
  limit: number,
  idOrder: 1 | -1 = -1,
): Document[] {
  const pipeline: Document[] = [{ $match: match }, { $addFields: { searchScore: { $meta: 'textScore' } } }];
  if (after) {
    const beyond = idOrder === 1 ? { $gt: after.id } : { $lt: after.id };
    pipeline.push({
      $match: { $or: [{ searchScore: { $lt: after.score } }, { searchScore: after.score, _id: beyond }] },
    });
  }
  pipeline.push({ $sort: { searchScore: -1, _id: idOrder } }, { $limit: limit });
  return pipeline;
}
