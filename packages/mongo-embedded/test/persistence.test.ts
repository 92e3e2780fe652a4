// Persistence: the state written by one server comes back in the next one with the same dataDir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Long, ObjectId } from 'bson';
import { MongoServerError, type Document } from 'mongodb';
import { Engine } from '../src/engine.js';
import { silentLogger } from '../src/logger.js';
import { Persistence } from '../src/persistence.js';
import { normalizeIndexSpec } from '../src/indexes.js';
import { startWithClient } from './helpers.js';

let dir: string;

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mongo-embedded-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('documents, indexes, validators and deletions survive a restart', async () => {
  const id = new ObjectId();
  const first = await startWithClient({ dataDir: dir });
  const db = first.client.db('app');
  await db.createCollection('users', { validator: { $jsonSchema: { required: ['email'] } } });
  const users = db.collection('users');
  await users.createIndex({ email: 1 }, { unique: true });
  await users.insertMany([
    { _id: id, email: 'a@x', n: Long.fromString('9007199254740993') },
    { email: 'b@x', tags: ['t'] },
    { email: 'gone@x' },
  ]);
  await users.updateOne({ _id: id }, { $set: { name: 'Ann' } });
  await users.deleteOne({ email: 'gone@x' });
  await db.collection('dropped').insertOne({ x: 1 });
  await db.collection('dropped').drop();
  await first.close();

  const second = await startWithClient({ dataDir: dir });
  try {
    const again = second.client.db('app').collection('users');
    const doc = await again.findOne({ _id: id }, { promoteLongs: false });
    expect(doc).toEqual({ _id: id, email: 'a@x', n: Long.fromString('9007199254740993'), name: 'Ann' });
    expect(await again.countDocuments()).toBe(2);
    expect((await again.indexes()).map((i) => i.name)).toEqual(['_id_', 'email_1']);
    await expect(again.insertOne({ email: 'a@x' })).rejects.toMatchObject({ code: 11000 });
    await expect(again.insertOne({ nope: 1 })).rejects.toBeInstanceOf(MongoServerError);
    const names = (await second.client.db('app').listCollections().toArray()).map((c) => c.name);
    expect(names).toEqual(['users']);
  } finally {
    await second.close();
  }
});

test('a torn record at the end of the log is ignored', async () => {
  const first = await startWithClient({ dataDir: dir });
  await first.client
    .db('app')
    .collection('c')
    .insertMany([{ _id: 1 }, { _id: 2 }] as Document[]);
  await first.close();
  fs.appendFileSync(path.join(dir, 'oplog.bson'), Buffer.from([0x40, 0, 0, 0, 2, 0x6f]));
  // The log of the first run ends in half a record, as after a crash mid-write.
  const second = await startWithClient({ dataDir: dir });
  try {
    expect(await second.client.db('app').collection('c').countDocuments()).toBe(2);
  } finally {
    await second.close();
  }
});

test('the log replays onto the snapshot; compaction starts a new generation', () => {
  const engine = new Engine();
  const p = new Persistence(dir, silentLogger, { compactBytes: 1 });
  p.open(engine);
  const coll = engine.createCollection('db', 'c');
  coll.buildIndex(normalizeIndexSpec({ key: { k: 1 }, name: 'k_1' }));
  engine.record({ op: 'createIndex', ns: 'db.c', spec: must(coll.indexes.get('k_1')).spec });
  for (let i = 0; i < 5; i++) coll.insert({ _id: i, k: i % 2 });
  coll.remove(must(coll.get('n0')));
  p.flush();
  const logSize = fs.statSync(path.join(dir, 'oplog.bson')).size;
  expect(logSize).toBeGreaterThan(50);
  // Simulate a crash: no close, no compaction. A new engine replays snapshot + log.
  const restored = new Engine();
  const p2 = new Persistence(dir, silentLogger);
  p2.open(restored);
  const back = restored.collection('db', 'c');
  expect(back?.records.size).toBe(4);
  expect(back?.indexes.has('k_1')).toBe(true);
  // open() compacted: the log now only holds its header.
  expect(fs.statSync(path.join(dir, 'oplog.bson')).size).toBeLessThan(40);
  p2.close();
  p.close();
});

test('a log from before the last snapshot is never replayed onto it', () => {
  const engine = new Engine();
  const p = new Persistence(dir, silentLogger);
  p.open(engine);
  const coll = engine.createCollection('db', 'c');
  coll.insert({ _id: 1 });
  p.flush();
  const staleLog = fs.readFileSync(path.join(dir, 'oplog.bson'));
  coll.remove(must(coll.get('n1')));
  p.writeSnapshot(engine);
  p.close();
  // A crash between snapshot rename and log reset would leave the previous generation's log.
  fs.writeFileSync(path.join(dir, 'oplog.bson'), staleLog);
  const restored = new Engine();
  const p2 = new Persistence(dir, silentLogger);
  p2.open(restored);
  expect(restored.collection('db', 'c')?.records.size).toBe(0);
  p2.close();
});

test('a data directory locked by another live process is refused', async () => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'mongod.lock'), String(process.ppid));
  await expect(startWithClient({ dataDir: dir })).rejects.toThrow(/in use by process/);
  // A lock left by a process that no longer runs is taken over.
  fs.writeFileSync(path.join(dir, 'mongod.lock'), '2147483646');
  const h = await startWithClient({ dataDir: dir });
  await h.close();
  expect(fs.existsSync(path.join(dir, 'mongod.lock'))).toBe(false);
});
