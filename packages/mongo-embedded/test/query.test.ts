// Query semantics the server adds on top of mingo: bson numbers, sort order, projections, $text,
// update operators and explain.
import { Decimal128, Int32, Long, ObjectId, type Document } from 'mongodb';
import { compileProjection } from '../src/projection.js';
import { parseSearch, stem, TextIndex } from '../src/text.js';
import { applyUpdate, classifyUpdate, upsertSeed } from '../src/update.js';
import { compareValues, valueKey } from '../src/values.js';
import { startWithClient, type Harness } from './helpers.js';

describe('values', () => {
  test('numbers compare and hash across bson types', () => {
    expect(compareValues(Long.fromNumber(5), 5)).toBe(0);
    expect(compareValues(Decimal128.fromString('1.5'), 2)).toBe(-1);
    expect(valueKey(Long.fromNumber(7))).toBe(valueKey(7));
    expect(valueKey(Long.fromString('9007199254740993'))).not.toBe(
      valueKey(Long.fromString('9007199254740992')),
    );
  });

  test('types order as in MongoDB: null < numbers < strings < objects < arrays < ObjectId < bool < date', () => {
    const values = [new Date(0), true, new ObjectId(), [1], { a: 1 }, 'a', 1, null];
    expect([...values].sort(compareValues)).toEqual([
      null,
      1,
      'a',
      { a: 1 },
      [1],
      values[2],
      true,
      new Date(0),
    ]);
  });
});

describe('projection', () => {
  const doc = { _id: 1, a: 1, b: { c: 1, d: 2 }, arr: [1, 2, 3], items: [{ k: 'x' }, { k: 'y' }] };

  test('keeps document order, _id first, computed fields last', () => {
    expect(compileProjection({ b: 1, a: 1 })?.apply(doc)).toEqual({ _id: 1, a: 1, b: { c: 1, d: 2 } });
    expect(Object.keys(compileProjection({ sum: { $add: ['$a', 1] }, a: 1 })?.apply(doc) ?? {})).toEqual([
      '_id',
      'a',
      'sum',
    ]);
    expect(compileProjection({ 'b.d': 0, arr: 0, items: 0 })?.apply(doc)).toEqual({
      _id: 1,
      a: 1,
      b: { c: 1 },
    });
  });

  test('$slice alone is an exclusion; $elemMatch and positional are inclusions', () => {
    expect(compileProjection({ arr: { $slice: -1 } })?.apply(doc)).toEqual({ ...doc, arr: [3] });
    expect(compileProjection({ items: { $elemMatch: { k: 'y' } } })?.apply(doc)).toEqual({
      _id: 1,
      items: [{ k: 'y' }],
    });
    expect(compileProjection({ 'items.$': 1 })?.apply(doc, { filter: { 'items.k': 'y' } })).toEqual({
      _id: 1,
      items: [{ k: 'y' }],
    });
  });

  test('mixing inclusion and exclusion is an error', () => {
    expect(() => compileProjection({ a: 1, b: 0 })).toThrow(/exclusion/);
  });
});

describe('text search', () => {
  test('stemming, stop words, phrases and negation', () => {
    expect(stem('running')).toBe('run');
    expect(stem('posts')).toBe('post');
    expect(parseSearch('The running "coffee shop" -tea')).toEqual({
      terms: ['run', 'coffe', 'shop'],
      phrases: ['coffee shop'],
      negated: ['tea'],
    });
    const index = new TextIndex({ title: 10, body: 1 }, 'language');
    const search = parseSearch('coffee');
    const inTitle = index.score({ title: 'Coffee time', body: '' }, search) ?? 0;
    const inBody = index.score({ title: 'Tea', body: 'coffee' }, search) ?? 0;
    expect(inTitle).toBeGreaterThan(inBody);
    expect(index.score({ title: 'Coffee and tea' }, parseSearch('coffee -tea'))).toBeUndefined();
    expect(index.score({ title: 'a coffee shop' }, parseSearch('"coffee shop"'))).toBeGreaterThan(0);
    expect(index.score({ title: 'shop for coffee' }, parseSearch('"coffee shop"'))).toBeUndefined();
  });
});

describe('updates', () => {
  test('$setOnInsert applies only when inserting; upserts seed from equality conditions', () => {
    const u = { $set: { a: 1 }, $setOnInsert: { created: true } };
    const kind = classifyUpdate(u);
    expect(applyUpdate({ _id: 1 }, u, kind).doc).toEqual({ _id: 1, a: 1 });
    const seed = upsertSeed({ email: 'x', 'profile.age': { $eq: 3 }, n: { $gt: 1 } }, kind);
    expect(applyUpdate(seed, u, kind, { inserting: true }).doc).toEqual({
      email: 'x',
      profile: { age: 3 },
      a: 1,
      created: true,
    });
  });

  test('$inc keeps int64 exact and rejects non-numbers', () => {
    const big = Long.fromString('9007199254740993');
    const { doc } = applyUpdate({ _id: 1, n: big }, { $inc: { n: 1 } }, 'operators');
    expect((doc.n as Long).toString()).toBe('9007199254740994');
    expect(() => applyUpdate({ _id: 1, s: 'x' }, { $inc: { s: 1 } }, 'operators')).toThrow(/non-numeric/);
  });

  test('no-op updates are reported as unmodified; _id is immutable', () => {
    expect(applyUpdate({ _id: 1, a: 1 }, { $set: { a: 1 } }, 'operators').modified).toBe(false);
    expect(() => applyUpdate({ _id: 1 }, { $set: { _id: 2 } }, 'operators')).toThrow(/immutable/);
    expect(() => classifyUpdate({ $set: { a: 1 }, b: 2 })).toThrow(/Unknown modifier/);
  });
});

describe('through the driver', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWithClient();
  });

  afterAll(async () => {
    await h.close();
  });

  test('queries on Long and Int32 values match numbers of every type', async () => {
    const coll = h.client.db('q').collection('nums');
    await coll.insertMany([
      { _id: 1, v: Long.fromNumber(10) },
      { _id: 2, v: new Int32(20) },
      { _id: 3, v: 30.5 },
      { _id: 4, v: Decimal128.fromString('40') },
    ] as Document[]);
    const ids = async (filter: Document) =>
      (await coll.find(filter).sort({ v: 1 }).toArray()).map((d) => d._id as unknown);
    expect(await ids({ v: 10 })).toEqual([1]);
    expect(await ids({ v: Long.fromNumber(20) })).toEqual([2]);
    expect(await ids({ v: { $gt: Long.fromNumber(15), $lt: 35 } })).toEqual([2, 3]);
    expect(await ids({ v: { $in: [new Int32(10), 40] } })).toEqual([1, 4]);
    expect(await ids({ v: { $type: 'long' } })).toEqual([1]);
    const [doc] = await coll.find({ _id: 1 } as Document, { promoteLongs: false }).toArray();
    expect(doc?.v).toBeInstanceOf(Long);
    const [sum] = await coll.aggregate([{ $group: { _id: null, total: { $sum: '$v' } } }]).toArray();
    expect(sum?.total).toBe(100.5);
  });

  test('stored documents are copies: mutating results or inputs changes nothing', async () => {
    const coll = h.client.db('q').collection('copies');
    const input = { _id: 1, nested: { a: 1 } };
    await coll.insertOne(input as Document);
    input.nested.a = 2;
    const found = await coll.findOne({ _id: 1 } as Document);
    (found?.nested as { a: number }).a = 3;
    expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, nested: { a: 1 } });
  });

  test('$text with textScore projection and sort', async () => {
    const coll = h.client.db('q').collection('posts');
    await coll.createIndex({ title: 'text', body: 'text' }, { weights: { title: 5 } });
    await coll.insertMany([
      { _id: 1, title: 'Cooking pasta', body: 'boil water' },
      { _id: 2, title: 'Running', body: 'I run every morning; running is great' },
      { _id: 3, title: 'Runs', body: 'pasta for runners' },
    ] as Document[]);
    const docs = await coll
      .find({ $text: { $search: 'run' } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ score: { $meta: 'textScore' } })
      .toArray();
    expect(docs.map((d) => d._id)).toEqual([2, 3]);
    expect(docs[0]?.score).toBeGreaterThan(docs[1]?.score as number);
    const agg = await coll
      .aggregate([
        { $match: { $text: { $search: 'pasta -boil' } } },
        { $project: { s: { $meta: 'textScore' } } },
      ])
      .toArray();
    expect(agg.map((d) => d._id)).toEqual([3]);
  });

  test('explain shows IXSCAN for indexed equality and COLLSCAN otherwise', async () => {
    const coll = h.client.db('q').collection('plan');
    await coll.insertMany(Array.from({ length: 200 }, (_, i) => ({ k: i % 50, u: i })));
    await coll.createIndex({ k: 1 });
    const indexed = await coll.find({ k: 7 }).explain('executionStats');
    expect(indexed.queryPlanner.winningPlan.stage).toBe('FETCH');
    expect(indexed.queryPlanner.winningPlan.inputStage.stage).toBe('IXSCAN');
    expect(indexed.executionStats.totalDocsExamined).toBe(4);
    expect(indexed.executionStats.nReturned).toBe(4);
    const scanned = await coll.find({ u: 7 }).explain('executionStats');
    expect(scanned.queryPlanner.winningPlan.stage).toBe('COLLSCAN');
    expect(scanned.executionStats.totalDocsExamined).toBe(200);
    const agg = await coll
      .aggregate([{ $match: { k: { $in: [1, 2] } } }, { $group: { _id: '$k', n: { $sum: 1 } } }])
      .explain('executionStats');
    expect(agg.queryPlanner.winningPlan.inputStage.stage).toBe('IXSCAN');
    expect(agg.executionStats.totalDocsExamined).toBe(8);
  });

  test('a top-level $or next to other conditions is answered branch by branch from indexes', async () => {
    const coll = h.client.db('q').collection('edges');
    await coll.insertMany(
      Array.from({ length: 300 }, (_, i) => ({
        from: `u${i % 30}`,
        to: `u${(i * 7) % 30}`,
        kind: i % 3 === 0 ? 'block' : 'friend',
        active: i % 10 !== 0,
      })),
    );
    await coll.createIndex({ from: 1, active: 1, kind: 1 });
    await coll.createIndex({ to: 1, active: 1, kind: 1 });
    const filter = { active: true, $or: [{ from: 'u3' }, { to: 'u3', kind: 'block' }] };
    const explained = await coll.find(filter).explain('executionStats');
    expect(explained.queryPlanner.winningPlan.inputStage.stage).toBe('OR');
    expect(explained.executionStats.totalDocsExamined).toBeLessThan(30);
    // Same documents as a scan would find, in natural order.
    const all = await coll.find({}).toArray();
    const expected = all.filter(
      (d) => d.active === true && (d.from === 'u3' || (d.to === 'u3' && d.kind === 'block')),
    );
    expect(await coll.find(filter).toArray()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });
});
