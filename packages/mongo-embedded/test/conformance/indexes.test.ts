// Index management, unique constraints, TTL expiry, text search and geo index creation.
import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import { openTarget, type Doc, serverError, waitFor, type Target } from './target.js';

let t: Target;
let db: Db;

beforeAll(async () => {
  t = await openTarget('idx');
  db = t.db;
});

afterAll(async () => {
  await t?.close();
});

async function indexNames(coll: Collection<Doc>): Promise<string[]> {
  return (await coll.listIndexes().toArray()).map((i) => i.name as string).sort();
}

function firstWriteError(errors: WriteError | readonly WriteError[]): WriteError | undefined {
  return Array.isArray(errors) ? (errors as readonly WriteError[])[0] : (errors as WriteError);
}

describe('index management', () => {
  test('createIndex, listIndexes, dropIndex and dropIndexes', async () => {
    const coll = db.collection<Doc>('managed');
    await coll.insertOne({ a: 1, b: 1 });
    expect(await coll.createIndex({ a: 1 })).toBe('a_1');
    expect(await coll.createIndex({ a: 1, b: -1 }, { name: 'ab' })).toBe('ab');
    expect(await coll.createIndex({ a: 1 })).toBe('a_1');
    expect(await coll.createIndex({ c: 1 }, { unique: true })).toBe('c_1');

    const list = await coll.listIndexes().toArray();
    expect(list.map((i) => i.name).sort()).toEqual(['_id_', 'a_1', 'ab', 'c_1']);
    expect(list.find((i) => i.name === '_id_')).toEqual({ v: 2, key: { _id: 1 }, name: '_id_' });
    expect(list.find((i) => i.name === 'ab')).toEqual({ v: 2, key: { a: 1, b: -1 }, name: 'ab' });
    expect(list.find((i) => i.name === 'c_1')).toEqual({ v: 2, key: { c: 1 }, name: 'c_1', unique: true });

    const dropped = await coll.dropIndex('a_1');
    expect(dropped.ok).toBe(1);
    expect(dropped.nIndexesWas).toBe(4);
    const byKey = await db.command({ dropIndexes: 'managed', index: { a: 1, b: -1 } });
    expect(byKey.ok).toBe(1);
    expect(await indexNames(coll)).toEqual(['_id_', 'c_1']);

    expect((await serverError(coll.dropIndex('nope_1'))).code).toBe(27);
    expect((await serverError(coll.dropIndex('_id_'))).code).toBe(72);

    await coll.createIndex({ d: 1 });
    expect(await coll.dropIndexes()).toBe(true);
    expect(await indexNames(coll)).toEqual(['_id_']);
    expect(await coll.countDocuments()).toBe(1);
  });

  test('2dsphere index creation is accepted', async () => {
    const places = db.collection<Doc>('places');
    expect(await places.createIndex({ loc: '2dsphere' })).toBe('loc_2dsphere');
    const idx = (await places.listIndexes().toArray()).find((i) => i.name === 'loc_2dsphere');
    expect(idx?.key).toEqual({ loc: '2dsphere' });
    await places.insertOne({ name: 'Paris', loc: { type: 'Point', coordinates: [2.35, 48.85] } });
    expect(await places.countDocuments()).toBe(1);
  });
});

describe('unique indexes', () => {
  let users: Collection<Doc>;
  beforeAll(async () => {
    users = db.collection<Doc>('users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertMany([
      { _id: 1, email: 'a@x' },
      { _id: 2, email: 'b@x' },
    ]);
  });

  test('insertOne of a duplicate fails with 11000, keyPattern and keyValue', async () => {
    const err = await serverError(users.insertOne({ _id: 3, email: 'a@x' }));
    expect(err).not.toBeInstanceOf(MongoBulkWriteError);
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ email: 1 });
    expect(err.keyValue).toEqual({ email: 'a@x' });
    expect(err.errorResponse.keyPattern).toEqual({ email: 1 });
    expect(err.message).toContain('E11000 duplicate key error');
    expect(err.message).toContain('index: email_1');

    const idErr = await serverError(users.insertOne({ _id: 1, email: 'other@x' }));
    expect(idErr.code).toBe(11000);
    expect(idErr.keyPattern).toEqual({ _id: 1 });
    expect(idErr.keyValue).toEqual({ _id: 1 });
    expect(await users.countDocuments()).toBe(2);
  });

  // insertMany goes through the driver's bulk API: its WriteError keeps index, code, errmsg and
  // errInfo of each server write error, but not keyPattern/keyValue (insertOne surfaces those).
  test('insertMany of a duplicate fails with a bulk write error carrying the index and code', async () => {
    const err = await serverError(
      users.insertMany([
        { _id: 10, email: 'new@x' },
        { _id: 11, email: 'b@x' },
        { _id: 12, email: 'later@x' },
      ]),
    );
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    expect(bulk.insertedCount).toBe(1);
    const first = firstWriteError(bulk.writeErrors);
    expect(first?.index).toBe(1);
    expect(first?.code).toBe(11000);
    expect(first?.errmsg).toContain('E11000 duplicate key error');
    await users.deleteOne({ _id: 10 });
  });

  test('an update, an upsert, a replace and a findOneAndUpdate into a taken key fail with 11000', async () => {
    const upd = await serverError(users.updateOne({ _id: 2 }, { $set: { email: 'a@x' } }));
    expect(upd.code).toBe(11000);
    expect(upd.keyPattern).toEqual({ email: 1 });
    expect(upd.keyValue).toEqual({ email: 'a@x' });

    const ups = await serverError(
      users.updateOne({ name: 'zz' }, { $set: { email: 'a@x' } }, { upsert: true }),
    );
    expect(ups.code).toBe(11000);
    expect(ups.keyPattern).toEqual({ email: 1 });
    expect(ups.keyValue).toEqual({ email: 'a@x' });

    const rep = await serverError(users.replaceOne({ _id: 2 }, { email: 'a@x' }));
    expect(rep.code).toBe(11000);

    const fam = await serverError(users.findOneAndUpdate({ _id: 2 }, { $set: { email: 'a@x' } }));
    expect(fam.code).toBe(11000);
    expect(fam.keyPattern).toEqual({ email: 1 });
    expect(fam.keyValue).toEqual({ email: 'a@x' });

    expect(await users.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, email: 'a@x' },
      { _id: 2, email: 'b@x' },
    ]);
  });

  test('compound unique indexes constrain the combination', async () => {
    const pairs = db.collection<Doc>('pairs');
    await pairs.createIndex({ a: 1, b: 1 }, { unique: true });
    await pairs.insertMany([
      { a: 1, b: 1 },
      { a: 1, b: 2 },
      { a: 2, b: 1 },
    ]);
    const err = await serverError(pairs.insertOne({ a: 1, b: 1 }));
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ a: 1, b: 1 });
    expect(err.keyValue).toEqual({ a: 1, b: 1 });
    expect(await pairs.countDocuments()).toBe(3);
  });

  test('a plain unique index treats a missing field as null; a sparse one skips it', async () => {
    const plain = db.collection<Doc>('plain_unique');
    await plain.createIndex({ x: 1 }, { unique: true });
    await plain.insertOne({ name: 'first' });
    const err = await serverError(plain.insertOne({ name: 'second' }));
    expect(err.code).toBe(11000);
    expect(err.keyValue).toEqual({ x: null });

    const sparse = db.collection<Doc>('sparse_unique');
    await sparse.createIndex({ x: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ name: 'first' }, { name: 'second' }]);
    await sparse.insertOne({ x: 'v' });
    expect((await serverError(sparse.insertOne({ x: 'v' }))).code).toBe(11000);
    expect(await sparse.countDocuments()).toBe(3);
  });

  test('a partial unique index only constrains documents matching partialFilterExpression', async () => {
    const partial = db.collection<Doc>('partial_unique');
    await partial.createIndex({ email: 1 }, { unique: true, partialFilterExpression: { active: true } });
    const idx = (await partial.listIndexes().toArray()).find((i) => i.name === 'email_1');
    expect(idx?.partialFilterExpression).toEqual({ active: true });
    await partial.insertMany([
      { _id: 1, email: 'p', active: false },
      { _id: 2, email: 'p', active: false },
      { _id: 3, email: 'p', active: true },
    ]);
    expect((await serverError(partial.insertOne({ _id: 4, email: 'p', active: true }))).code).toBe(11000);
    expect((await serverError(partial.updateOne({ _id: 1 }, { $set: { active: true } }))).code).toBe(11000);
    await partial.insertOne({ _id: 5, email: 'q', active: true });
    expect(await partial.countDocuments()).toBe(4);
  });

  test('building a unique index over existing duplicates fails and leaves no index', async () => {
    const dups = db.collection<Doc>('dups');
    await dups.insertMany([{ k: 'd' }, { k: 'd' }, { k: 'e' }]);
    const err = await serverError(dups.createIndex({ k: 1 }, { unique: true }));
    expect(err.code).toBe(11000);
    expect(await indexNames(dups)).toEqual(['_id_']);
    await dups.insertOne({ k: 'd' });
    expect(await dups.countDocuments({ k: 'd' })).toBe(3);
  });
});

describe('TTL indexes', () => {
  // Real MongoDB's TTL monitor runs every 60 s; the embedded server is started with fast sweeps.
  const expiryWaitMs = () => (t.real ? 150_000 : 10_000);
  const testTimeoutMs = process.env.MONGO_URL ? 200_000 : 30_000;

  test(
    'expireAfterSeconds: 1 removes documents whose date has passed, never those without a date',
    async () => {
      const coll = db.collection<Doc>('ttl_one');
      expect(await coll.createIndex({ createdAt: 1 }, { expireAfterSeconds: 1 })).toBe('createdAt_1');
      const idx = (await coll.listIndexes().toArray()).find((i) => i.name === 'createdAt_1');
      expect(idx?.expireAfterSeconds).toBe(1);
      const now = Date.now();
      await coll.insertMany([
        { _id: 'now', createdAt: new Date(now) },
        { _id: 'array', createdAt: [new Date(now), new Date(now + 3_600_000)] },
        { _id: 'nodate' },
        { _id: 'string', createdAt: 'yesterday' },
        { _id: 'future', createdAt: new Date(now + 3_600_000) },
      ]);
      expect(await coll.countDocuments()).toBe(5);

      const expired = await waitFor(
        async () => (await coll.countDocuments({ _id: { $in: ['now', 'array'] } })) === 0,
        expiryWaitMs(),
        200,
      );
      expect(expired).toBe(true);
      expect((await coll.find().toArray()).map((d) => d._id).sort()).toEqual(['future', 'nodate', 'string']);
    },
    testTimeoutMs,
  );

  test(
    'expireAfterSeconds: 0 removes documents whose date is in the past',
    async () => {
      const coll = db.collection<Doc>('ttl_zero');
      await coll.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      const now = Date.now();
      await coll.insertMany([
        { _id: 'past', expiresAt: new Date(now - 2_000) },
        { _id: 'later', expiresAt: new Date(now + 3_600_000) },
        { _id: 'nodate', other: new Date(now - 10_000) },
      ]);

      const expired = await waitFor(
        async () => (await coll.countDocuments({ _id: 'past' })) === 0,
        expiryWaitMs(),
        200,
      );
      expect(expired).toBe(true);
      expect((await coll.find().toArray()).map((d) => d._id).sort()).toEqual(['later', 'nodate']);
    },
    testTimeoutMs,
  );
});

describe('text indexes', () => {
  let articles: Collection<Doc>;
  beforeAll(async () => {
    articles = db.collection<Doc>('articles');
    await articles.insertMany([
      { _id: 1, title: 'Coffee shop', body: 'The best coffee in town: coffee, coffee and more coffee.' },
      {
        _id: 2,
        title: 'Tea time',
        body: 'A long essay about tea and biscuits and, once, a cup of Coffee at the end of a long day.',
      },
      { _id: 3, title: 'Gardening', body: 'Roses and tulips.' },
    ]);
    expect(await articles.createIndex({ title: 'text', body: 'text' })).toBe('title_text_body_text');
  });

  test('$text matches case-insensitively and sorts the better match first by textScore', async () => {
    const found = await articles
      .find({ $text: { $search: 'COFFEE' } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ score: { $meta: 'textScore' } })
      .toArray();
    expect(found.map((d) => d._id)).toEqual([1, 2]);
    const [best, other] = found;
    expect(typeof best?.score).toBe('number');
    expect(other?.score).toBeGreaterThan(0);
    expect(best?.score).toBeGreaterThan(other?.score);
    expect(Object.keys(best ?? {}).sort()).toEqual(['_id', 'body', 'score', 'title']);
  });

  test('$text ORs its terms and combines with other filters', async () => {
    const either = await articles
      .find({ $text: { $search: 'tulips tea' } })
      .sort({ _id: 1 })
      .toArray();
    expect(either.map((d) => d._id)).toEqual([2, 3]);
    const filtered = await articles.find({ $text: { $search: 'coffee' }, _id: { $ne: 1 } }).toArray();
    expect(filtered.map((d) => d._id)).toEqual([2]);
    expect(await articles.find({ $text: { $search: 'gardening' } }).toArray()).toHaveLength(1);
    expect(await articles.find({ $text: { $search: 'zebra' } }).toArray()).toEqual([]);
  });

  test('$text without a text index fails with IndexNotFound (27)', async () => {
    const plain = db.collection<Doc>('no_text');
    await plain.insertOne({ body: 'coffee' });
    const err = await serverError(plain.find({ $text: { $search: 'coffee' } }).toArray());
    expect(err.code).toBe(27);
  });
});

describe('multikey compound indexes', () => {
  test('fields inside one array may share a compound index, and queries on both find the document', async () => {
    const coll = db.collection<Doc>('multikey_shared');
    await coll.createIndex({ 'p.u': 1, 'p.x': 1 });
    await coll.insertOne({
      _id: 1,
      p: [
        { u: 1, x: true },
        { u: 2, x: false },
      ],
    } as Doc);
    await coll.insertOne({ _id: 2, p: [{ u: 3, x: true }] } as Doc);
    expect(await coll.countDocuments({ 'p.u': 2, 'p.x': false })).toBe(1);
    // Without $elemMatch the two conditions may hold on different elements.
    expect(await coll.countDocuments({ 'p.u': 2, 'p.x': true })).toBe(1);
    expect(await coll.countDocuments({ p: { $elemMatch: { u: 2, x: true } } })).toBe(0);
  });

  test('parallel arrays are refused with 171, and inside a transaction the commit fails rather than retrying', async () => {
    const coll = db.collection<Doc>('multikey_parallel');
    await coll.createIndex({ a: 1, b: 1 });
    await expect(coll.insertOne({ _id: 1, a: [1, 2], b: [3, 4] } as Doc)).rejects.toMatchObject({
      code: 171,
    });
    let attempts = 0;
    const session = t.client.startSession();
    try {
      await expect(
        session.withTransaction(async () => {
          attempts += 1;
          await coll.insertOne({ _id: 2, a: [1, 2], b: [3, 4] } as Doc, { session });
        }),
      ).rejects.toMatchObject({ code: 171 });
    } finally {
      await session.endSession();
    }
    expect(attempts).toBe(1);
    expect(await coll.countDocuments({})).toBe(0);
  });
});
