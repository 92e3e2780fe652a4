import { startMongoEmbedded, type MongoEmbedded } from '@social/mongo-embedded';
import { MongoClient, type ClientSession, type Db } from 'mongodb';
import { MemoryEventBus, type EventEnvelope } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import {
  createMongoOutbox,
  ensureCollections,
  handleEventOnce,
  outboxCollection,
  processedEventsCollection,
  withTransaction,
} from '../src/mongo-store.js';

let server: MongoEmbedded;
let client: MongoClient;
let db: Db;
let dbCount = 0;

beforeAll(async () => {
  server = await startMongoEmbedded({ port: 0, logger: silentLogger() });
  client = await MongoClient.connect(server.uri);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});
beforeEach(() => {
  dbCount += 1;
  db = client.db(`kit_store_${dbCount}`);
});

const items = {
  name: 'items',
  validator: {
    $jsonSchema: {
      bsonType: 'object',
      required: ['name'],
      properties: { name: { bsonType: 'string', maxLength: 5 } },
    },
  },
  indexes: [{ key: { name: 1 }, name: 'name_unique', unique: true }],
};

test('ensureCollections applies validators and indexes, and running it again changes nothing', async () => {
  await ensureCollections(db, [items]);
  await ensureCollections(db, [items]);
  const collection = db.collection('items');
  await collection.insertOne({ name: 'ok' });
  await expect(collection.insertOne({ name: 'far too long' })).rejects.toMatchObject({ code: 121 });
  await expect(collection.insertOne({ name: 'ok' })).rejects.toMatchObject({ code: 11000 });
  const names = (await collection.listIndexes().toArray()).map((index) => index.name as string);
  expect(names.sort()).toEqual(['_id_', 'name_unique']);
});

test('ensureCollections updates the validator of an existing collection', async () => {
  await db.createCollection('items');
  await ensureCollections(db, [items]);
  await expect(db.collection('items').insertOne({ other: 1 })).rejects.toMatchObject({ code: 121 });
});

test('the outbox publishes an event only when its transaction commits, in order, once', async () => {
  await ensureCollections(db, [items, outboxCollection]);
  const bus = new MemoryEventBus({ logger: silentLogger() });
  const outbox = createMongoOutbox<{ ItemAdded: { name: string } }>({
    db,
    events: bus,
    producer: 'store',
    logger: silentLogger(),
    pollMs: 60_000,
  });
  const seen: EventEnvelope[] = [];
  await bus.subscribe('store', 'test', async (event) => {
    seen.push(event);
  });
  try {
    // The relay's first pass starts with it: let it finish on the empty outbox, so it cannot
    // publish the events below before the drain that is expected to.
    expect(await outbox.drain()).toBe(0);
    await withTransaction(client, async (session) => {
      await db.collection('items').insertOne({ name: 'a' }, { session });
      await outbox.enqueue(session, 'ItemAdded', { name: 'a' });
      await outbox.enqueue(session, 'ItemAdded', { name: 'b' });
    });
    await expect(
      withTransaction(client, async (session) => {
        await outbox.enqueue(session, 'ItemAdded', { name: 'rolled back' });
        await db.collection('items').insertOne({ name: 'a' }, { session }); // duplicate: aborts
      }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await outbox.drain()).toBe(2);
    expect(await outbox.drain()).toBe(0);
    await waitFor(() => seen.length === 2);
    expect(seen.map((event) => (event.data as { name: string }).name)).toEqual(['a', 'b']);
    expect(await db.collection('event_outbox').countDocuments({ publishedAt: null })).toBe(0);
  } finally {
    await outbox.stop();
    await bus.close();
  }
});

test('handleEventOnce runs a handler once per event id and leaves no trace when it fails', async () => {
  await ensureCollections(db, [items, processedEventsCollection]);
  const event: EventEnvelope = {
    id: 'e1',
    type: 'ItemAdded',
    occurredAt: new Date().toISOString(),
    producer: 'store',
    data: { name: 'x' },
  };
  const add = (session: ClientSession) =>
    db
      .collection('items')
      .insertOne({ name: 'x' }, { session })
      .then(() => undefined);
  await expect(
    handleEventOnce(client, db, event, async (session) => {
      await add(session);
      throw new Error('handler failed');
    }),
  ).rejects.toThrow('handler failed');
  expect(await db.collection('items').countDocuments()).toBe(0);
  expect(await handleEventOnce(client, db, event, add)).toBe(true);
  expect(await handleEventOnce(client, db, event, add)).toBe(false);
  const concurrent = await Promise.all([
    handleEventOnce(client, db, { ...event, id: 'e2' }, async () => undefined),
    handleEventOnce(client, db, { ...event, id: 'e2' }, async () => undefined),
  ]);
  expect(concurrent.filter(Boolean)).toHaveLength(1);
  expect(await db.collection('items').countDocuments()).toBe(1);
});

test('handleEventOnce runs again, not skips, an event whose writes met another event’s insert', async () => {
  await ensureCollections(db, [items, processedEventsCollection]);
  const event = (id: string): EventEnvelope => ({
    id,
    type: 'ItemAdded',
    occurredAt: new Date().toISOString(),
    producer: 'store',
    data: {},
  });
  // Two events that both create the same document when it is missing (read, then insert): the one
  // that commits second meets a duplicate key, and must find the document on its next run.
  let releaseFirst!: () => void;
  const firstRead = new Promise<void>((resolve) => (releaseFirst = resolve));
  let slowHasRead!: () => void;
  const slowRead = new Promise<void>((resolve) => (slowHasRead = resolve));
  const upsertName = (wait: boolean) => async (session: ClientSession) => {
    const found = await db.collection('items').findOne({ name: 'dup' }, { session });
    if (wait) {
      slowHasRead();
      await firstRead;
    }
    if (found) await db.collection('items').updateOne({ _id: found._id }, { $inc: { seen: 1 } }, { session });
    else await db.collection('items').insertOne({ name: 'dup', seen: 1 }, { session });
  };
  const slow = handleEventOnce(client, db, event('slow'), upsertName(true));
  // The slow one has seen no document (and will insert one) before the fast one commits its own.
  await slowRead;
  expect(await handleEventOnce(client, db, event('fast'), upsertName(false))).toBe(true);
  releaseFirst();
  expect(await slow).toBe(true);
  expect(
    await db
      .collection('items')
      .find({}, { projection: { _id: 0 } })
      .toArray(),
  ).toEqual([{ name: 'dup', seen: 2 }]);
  expect(await db.collection('processed_events').countDocuments()).toBe(2);
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
