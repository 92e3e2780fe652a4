// TTL indexes: the periodic sweep deletes expired documents (unit-level and through the server).
import { Engine } from '../src/engine.js';
import { normalizeIndexSpec } from '../src/indexes.js';
import { startWithClient, type Harness } from './helpers.js';

describe('Engine.sweepTtl', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  function engineWith(expireAfterSeconds: number) {
    const engine = new Engine();
    const coll = engine.createCollection('db', 'sessions');
    coll.buildIndex(normalizeIndexSpec({ key: { at: 1 }, name: 'at_1', expireAfterSeconds }));
    return { engine, coll };
  }

  test('removes documents whose date plus expireAfterSeconds has passed', () => {
    const { engine, coll } = engineWith(60);
    coll.insert({ _id: 'old', at: new Date(now - 61_000) });
    coll.insert({ _id: 'fresh', at: new Date(now - 30_000) });
    coll.insert({ _id: 'no-date', at: 'yesterday' });
    coll.insert({ _id: 'missing' });
    expect(engine.sweepTtl(now)).toBe(1);
    expect([...coll.records.values()].map((r) => r.doc._id)).toEqual(['fresh', 'no-date', 'missing']);
  });

  test('expireAfterSeconds 0 expires at the date itself; arrays use their earliest date', () => {
    const { engine, coll } = engineWith(0);
    coll.insert({ _id: 'due', at: new Date(now - 1) });
    coll.insert({ _id: 'later', at: new Date(now + 60_000) });
    coll.insert({ _id: 'array', at: [new Date(now + 60_000), new Date(now - 5)] });
    expect(engine.sweepTtl(now)).toBe(2);
    expect([...coll.records.values()].map((r) => r.doc._id)).toEqual(['later']);
  });

  test('a date changed by an update moves the expiry, either way', () => {
    const { engine, coll } = engineWith(0);
    const postponed = coll.insert({ _id: 'postponed', at: new Date(now - 1) });
    const advanced = coll.insert({ _id: 'advanced', at: new Date(now + 60_000) });
    const dropped = coll.insert({ _id: 'dropped', at: new Date(now - 1) });
    coll.replace(postponed, { _id: 'postponed', at: new Date(now + 60_000) });
    coll.replace(advanced, { _id: 'advanced', at: new Date(now - 1) });
    coll.replace(dropped, { _id: 'dropped', at: 'no longer a date' });
    expect(engine.sweepTtl(now)).toBe(1);
    expect([...coll.records.values()].map((r) => r.doc._id).sort()).toEqual(['dropped', 'postponed']);
    // Later sweeps: the postponed one once its new date has passed, and only then.
    expect(engine.sweepTtl(now + 59_000)).toBe(0);
    expect(engine.sweepTtl(now + 60_000)).toBe(1);
    expect([...coll.records.values()].map((r) => r.doc._id)).toEqual(['dropped']);
  });

  test('a partial TTL index expires only the documents its filter holds, as in MongoDB', () => {
    const engine = new Engine();
    const coll = engine.createCollection('db', 'sessions');
    coll.buildIndex(
      normalizeIndexSpec({
        key: { at: 1 },
        name: 'at_1',
        expireAfterSeconds: 0,
        partialFilterExpression: { kind: 'temporary' },
      }),
    );
    coll.insert({ _id: 'temporary', kind: 'temporary', at: new Date(now - 1) });
    coll.insert({ _id: 'kept', kind: 'permanent', at: new Date(now - 1) });
    expect(engine.sweepTtl(now)).toBe(1);
    expect([...coll.records.values()].map((r) => r.doc._id)).toEqual(['kept']);
  });

  test('of many documents, exactly the expired ones go', () => {
    const { engine, coll } = engineWith(0);
    // Dates in a shuffled order: 0..999 s after `now`.
    const order = Array.from({ length: 1000 }, (_, i) => (i * 379) % 1000);
    for (const s of order) coll.insert({ _id: s, at: new Date(now + s * 1000) });
    expect(engine.sweepTtl(now + 499_000)).toBe(500);
    const left = [...coll.records.values()].map((r) => r.doc._id as number).sort((a, b) => a - b);
    expect(left).toEqual(Array.from({ length: 500 }, (_, i) => 500 + i));
  });

  test('documents locked by an open transaction are left for a later sweep', () => {
    const { engine, coll } = engineWith(0);
    const rec = coll.insert({ _id: 'x', at: new Date(now - 1) });
    engine.locks.set(`db.sessions\0${rec.id}`, 1);
    expect(engine.sweepTtl(now)).toBe(0);
    engine.locks.clear();
    expect(engine.sweepTtl(now)).toBe(1);
  });
});

describe('through the server', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWithClient({ ttlSweepIntervalMs: 50 });
  });

  afterAll(async () => {
    await h.close();
  });

  test('expired documents disappear within a few sweeps', async () => {
    const coll = h.client.db('ttl').collection('tokens');
    await coll.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await coll.insertMany([
      { _id: 1, expiresAt: new Date(Date.now() - 1000) } as never,
      { _id: 2, expiresAt: new Date(Date.now() + 60_000) } as never,
    ]);
    const deadline = Date.now() + 3000;
    while ((await coll.countDocuments()) > 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));
    expect(await coll.find().toArray()).toEqual([{ _id: 2, expiresAt: expect.any(Date) }]);
  });

  test('collMod changes expireAfterSeconds', async () => {
    const db = h.client.db('ttl');
    const coll = db.collection('events');
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
    await coll.insertOne({ at: new Date(Date.now() - 10_000) });
    const res = await db.command({
      collMod: 'events',
      index: { keyPattern: { at: 1 }, expireAfterSeconds: 1 },
    });
    expect(res).toMatchObject({ expireAfterSeconds_old: 3600, expireAfterSeconds_new: 1, ok: 1 });
    const deadline = Date.now() + 3000;
    while ((await coll.countDocuments()) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));
    expect(await coll.countDocuments()).toBe(0);
  });
});
