// Update operators, replace, upserts, pipeline updates, findAndModify and deletes.
import { ObjectId, Timestamp, type Collection, type Db, type Document, type UpdateFilter } from 'mongodb';
import { openTarget, type Doc, serverError, type Target } from './target.js';

let t: Target;
let db: Db;
let counter = 0;

beforeAll(async () => {
  t = await openTarget('upd');
  db = t.db;
});

afterAll(async () => {
  await t?.close();
});

/**
 * The driver's update types accept array operators and $currentDate only on fields a schema
 * declares; these tests use schemaless collections, so their update documents pass through here.
 */
const loose = (update: Document): UpdateFilter<Doc> => update as UpdateFilter<Doc>;

/** The id of an upsert that must have happened. */
function upserted(id: Doc['_id'] | null): NonNullable<Doc['_id']> {
  if (id === null || id === undefined) throw new Error('expected an upserted id');
  return id;
}

/** A new collection holding `docs`. */
async function withDocs(docs: Document[]): Promise<Collection<Doc>> {
  counter += 1;
  const coll = db.collection<Doc>(`u${counter}`);
  if (docs.length > 0) await coll.insertMany(docs);
  return coll;
}

describe('field operators', () => {
  test('$set creates nested paths, $unset removes fields', async () => {
    const coll = await withDocs([{ _id: 1, a: 1, b: { c: 1 }, d: 5 }]);
    const res = await coll.updateOne(
      { _id: 1 },
      { $set: { a: 2, 'b.e': 3, 'x.y.z': 'new' }, $unset: { d: '' } },
    );
    expect(res).toEqual({
      acknowledged: true,
      matchedCount: 1,
      modifiedCount: 1,
      upsertedCount: 0,
      upsertedId: null,
    });
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      a: 2,
      b: { c: 1, e: 3 },
      x: { y: { z: 'new' } },
    });

    const noop = await coll.updateOne({ _id: 1 }, { $set: { a: 2 }, $unset: { missing: '' } });
    expect(noop.matchedCount).toBe(1);
    expect(noop.modifiedCount).toBe(0);
    const none = await coll.updateOne({ _id: 2 }, { $set: { a: 1 } });
    expect(none.matchedCount).toBe(0);
    expect(none.modifiedCount).toBe(0);
  });

  test('$inc and $mul, including on missing fields', async () => {
    const coll = await withDocs([{ _id: 1, n: 5, f: 1.5, price: 2.5 }]);
    await coll.updateOne({ _id: 1 }, { $inc: { n: 2, f: -0.5, created: 3 }, $mul: { price: 2, absent: 7 } });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, n: 7, f: 1, price: 5, created: 3, absent: 0 });
    await coll.updateOne({ _id: 1 }, { $inc: { n: -10 } });
    expect((await coll.findOne({ _id: 1 }))?.n).toBe(-3);
    expect(await coll.countDocuments({ _id: 1, n: { $type: 'int' } })).toBe(1);
  });

  test('$min and $max only move values in their direction', async () => {
    const when = new Date('2024-01-01T00:00:00Z');
    const coll = await withDocs([{ _id: 1, lo: 5, hi: 5, at: when }]);
    await coll.updateOne(
      { _id: 1 },
      { $min: { lo: 3, newLo: 1 }, $max: { hi: 10, at: new Date('2025-01-01T00:00:00Z') } },
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      lo: 3,
      hi: 10,
      at: new Date('2025-01-01T00:00:00Z'),
      newLo: 1,
    });
    const res = await coll.updateOne({ _id: 1 }, { $min: { lo: 4 }, $max: { hi: 9 } });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(0);
  });

  test('$rename moves fields, including out of embedded documents', async () => {
    const coll = await withDocs([{ _id: 1, a: 1, nested: { b: 2 }, keep: true }]);
    await coll.updateOne({ _id: 1 }, { $rename: { a: 'z', 'nested.b': 'top', ghost: 'still_ghost' } });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, nested: {}, keep: true, z: 1, top: 2 });
  });

  test('$currentDate sets a Date or a Timestamp', async () => {
    const coll = await withDocs([{ _id: 1 }]);
    const before = Date.now();
    await coll.updateOne(
      { _id: 1 },
      loose({ $currentDate: { updatedAt: true, d2: { $type: 'date' }, ts: { $type: 'timestamp' } } }),
    );
    const after = Date.now();
    const doc = await coll.findOne({ _id: 1 });
    expect(doc?.updatedAt).toBeInstanceOf(Date);
    expect(doc?.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(doc?.updatedAt.getTime()).toBeLessThanOrEqual(after + 1000);
    expect(doc?.d2).toBeInstanceOf(Date);
    expect(doc?.ts).toBeInstanceOf(Timestamp);
    expect(Math.abs((doc?.ts as Timestamp).t - Math.floor(before / 1000))).toBeLessThanOrEqual(2);
    expect(await coll.countDocuments({ ts: { $type: 'timestamp' }, updatedAt: { $type: 'date' } })).toBe(1);
  });

  test('update errors: immutable _id (66), conflicting paths (40), $inc on a string (14)', async () => {
    const coll = await withDocs([{ _id: 1, a: 1, s: 'text' }]);
    expect((await serverError(coll.updateOne({ _id: 1 }, { $set: { _id: 2 } }))).code).toBe(66);
    expect((await serverError(coll.updateOne({ _id: 1 }, { $set: { a: 5 }, $inc: { a: 1 } }))).code).toBe(40);
    expect((await serverError(coll.updateOne({ _id: 1 }, { $inc: { s: 1 } }))).code).toBe(14);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, a: 1, s: 'text' });
  });
});

describe('array operators', () => {
  test('$push with $each, $sort, $slice and $position', async () => {
    const coll = await withDocs([{ _id: 1, arr: [] }]);
    await coll.updateOne({ _id: 1 }, loose({ $push: { arr: 1 } }));
    await coll.updateOne({ _id: 1 }, loose({ $push: { arr: { $each: [5, 2, 4], $sort: 1, $slice: 3 } } }));
    expect((await coll.findOne({ _id: 1 }))?.arr).toEqual([1, 2, 4]);
    await coll.updateOne({ _id: 1 }, loose({ $push: { arr: { $each: [0, -1], $position: 0 } } }));
    expect((await coll.findOne({ _id: 1 }))?.arr).toEqual([0, -1, 1, 2, 4]);
    await coll.updateOne({ _id: 1 }, loose({ $push: { arr: { $each: [9], $slice: -2 } } }));
    expect((await coll.findOne({ _id: 1 }))?.arr).toEqual([4, 9]);
    await coll.updateOne({ _id: 1 }, loose({ $push: { fresh: 'x' } }));
    expect((await coll.findOne({ _id: 1 }))?.fresh).toEqual(['x']);

    const scores = await withDocs([{ _id: 1, quizzes: [{ s: 5 }, { s: 8 }] }]);
    await scores.updateOne(
      { _id: 1 },
      loose({ $push: { quizzes: { $each: [{ s: 7 }, { s: 2 }], $sort: { s: -1 }, $slice: 3 } } }),
    );
    expect((await scores.findOne({ _id: 1 }))?.quizzes).toEqual([{ s: 8 }, { s: 7 }, { s: 5 }]);
  });

  test('$addToSet adds only missing values', async () => {
    const coll = await withDocs([{ _id: 1, tags: ['a'] }]);
    const same = await coll.updateOne({ _id: 1 }, { $addToSet: { tags: 'a' } });
    expect(same.modifiedCount).toBe(0);
    await coll.updateOne({ _id: 1 }, { $addToSet: { tags: { $each: ['b', 'a', 'c', 'b'] } } });
    expect((await coll.findOne({ _id: 1 }))?.tags).toEqual(['a', 'b', 'c']);
    await coll.updateOne({ _id: 1 }, { $addToSet: { objs: { k: 1 } } });
    await coll.updateOne({ _id: 1 }, { $addToSet: { objs: { k: 1 } } });
    expect((await coll.findOne({ _id: 1 }))?.objs).toEqual([{ k: 1 }]);
  });

  test('$pull by value and by condition, $pullAll, $pop', async () => {
    const coll = await withDocs([
      {
        _id: 1,
        scores: [1, 5, 7, 3, 9],
        items: [
          { k: 'a', v: 1 },
          { k: 'b', v: 2 },
        ],
        fruits: ['apple', 'pear', 'apple'],
        nums: [1, 2, 3, 1],
        stack: [1, 2, 3, 4],
      },
    ]);
    await coll.updateOne(
      { _id: 1 },
      loose({ $pull: { scores: { $gte: 6 }, items: { k: 'a' }, fruits: 'apple' } }),
    );
    await coll.updateOne({ _id: 1 }, loose({ $pullAll: { nums: [1, 3] } }));
    await coll.updateOne({ _id: 1 }, { $pop: { stack: 1 } });
    await coll.updateOne({ _id: 1 }, { $pop: { stack: -1 } });
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      scores: [1, 5, 3],
      items: [{ k: 'b', v: 2 }],
      fruits: ['pear'],
      nums: [2],
      stack: [2, 3],
    });
  });

  test('positional $, all-positional $[] and filtered $[elem] with arrayFilters', async () => {
    const coll = await withDocs([
      {
        _id: 1,
        grades: [80, 85, 90],
        items: [
          { k: 'a', v: 1 },
          { k: 'b', v: 2 },
        ],
      },
    ]);
    await coll.updateOne({ _id: 1, grades: 85 }, { $set: { 'grades.$': 86 } });
    expect((await coll.findOne({ _id: 1 }))?.grades).toEqual([80, 86, 90]);
    await coll.updateOne({ _id: 1, 'items.k': 'b' }, { $inc: { 'items.$.v': 10 } });
    expect((await coll.findOne({ _id: 1 }))?.items).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 12 },
    ]);
    await coll.updateOne({ _id: 1 }, { $inc: { 'grades.$[]': 1 } });
    expect((await coll.findOne({ _id: 1 }))?.grades).toEqual([81, 87, 91]);
    await coll.updateOne(
      { _id: 1 },
      { $set: { 'grades.$[g]': 100 } },
      { arrayFilters: [{ g: { $gte: 87 } }] },
    );
    expect((await coll.findOne({ _id: 1 }))?.grades).toEqual([81, 100, 100]);
    await coll.updateOne({ _id: 1 }, { $set: { 'items.$[it].v': 0 } }, { arrayFilters: [{ 'it.k': 'a' }] });
    expect((await coll.findOne({ _id: 1 }))?.items).toEqual([
      { k: 'a', v: 0 },
      { k: 'b', v: 12 },
    ]);
  });
});

describe('replace, updateMany and upserts', () => {
  test('replaceOne swaps the whole document and keeps _id', async () => {
    const coll = await withDocs([{ _id: 1, a: 1, b: 2 }]);
    const res = await coll.replaceOne({ _id: 1 }, { name: 'new' });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, name: 'new' });
    const up = await coll.replaceOne({ name: 'other' }, { name: 'other', n: 2 }, { upsert: true });
    expect(up.upsertedCount).toBe(1);
    expect(up.upsertedId).toBeInstanceOf(ObjectId);
    expect(await coll.findOne({ _id: upserted(up.upsertedId) })).toEqual({
      _id: up.upsertedId,
      name: 'other',
      n: 2,
    });
  });

  test('updateMany reports matched and modified separately', async () => {
    const coll = await withDocs([
      { _id: 1, status: 'a', flag: false },
      { _id: 2, status: 'a', flag: true },
      { _id: 3, status: 'a' },
      { _id: 4, status: 'b', flag: false },
    ]);
    const res = await coll.updateMany({ status: 'a' }, { $set: { flag: true } });
    expect(res.matchedCount).toBe(3);
    expect(res.modifiedCount).toBe(2);
    expect(res.upsertedId).toBeNull();
    expect(await coll.countDocuments({ flag: true })).toBe(3);
    expect((await coll.findOne({ _id: 4 }))?.flag).toBe(false);
  });

  test('upsert with $setOnInsert inserts once, then only updates', async () => {
    const coll = await withDocs([]);
    const created = new Date('2024-05-01T00:00:00Z');
    const first = await coll.updateOne(
      { email: 'x@example.com' },
      { $set: { visits: 1 }, $setOnInsert: { createdAt: created } },
      { upsert: true },
    );
    expect(first.matchedCount).toBe(0);
    expect(first.modifiedCount).toBe(0);
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).toBeInstanceOf(ObjectId);
    expect(await coll.findOne({ _id: upserted(first.upsertedId) })).toEqual({
      _id: first.upsertedId,
      email: 'x@example.com',
      visits: 1,
      createdAt: created,
    });

    const second = await coll.updateOne(
      { email: 'x@example.com' },
      { $set: { visits: 2 }, $setOnInsert: { createdAt: new Date() } },
      { upsert: true },
    );
    expect(second.matchedCount).toBe(1);
    expect(second.modifiedCount).toBe(1);
    expect(second.upsertedCount).toBe(0);
    expect(second.upsertedId).toBeNull();
    expect(await coll.find().toArray()).toEqual([
      { _id: first.upsertedId, email: 'x@example.com', visits: 2, createdAt: created },
    ]);
  });

  test('an upsert copies the equality fields of the query into the new document', async () => {
    const coll = await withDocs([]);
    const res = await coll.updateOne(
      { a: 1, 'b.c': 2, d: { $gt: 5 }, e: { $eq: 'x' } },
      { $set: { f: true } },
      { upsert: true },
    );
    const doc = await coll.findOne({ _id: upserted(res.upsertedId) });
    expect(doc).toEqual({ _id: res.upsertedId, a: 1, b: { c: 2 }, e: 'x', f: true });

    const withId = await coll.updateOne({ _id: 'custom' }, { $inc: { n: 1 } }, { upsert: true });
    expect(withId.upsertedId).toBe('custom');
    expect(await coll.findOne({ _id: 'custom' })).toEqual({ _id: 'custom', n: 1 });
  });

  test('an update pipeline computes fields from the document', async () => {
    const coll = await withDocs([
      { _id: 1, a: 2, b: 3 },
      { _id: 2, a: 10, b: -4 },
    ]);
    const res = await coll.updateMany({}, [{ $set: { total: { $add: ['$a', '$b'] } } }, { $unset: 'b' }]);
    expect(res.matchedCount).toBe(2);
    expect(res.modifiedCount).toBe(2);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, a: 2, total: 5 },
      { _id: 2, a: 10, total: 6 },
    ]);
  });
});

describe('findAndModify', () => {
  test('findOneAndUpdate returns the document before or after, honours sort and projection', async () => {
    const coll = await withDocs([
      { _id: 1, group: 'g', n: 1 },
      { _id: 2, group: 'g', n: 3 },
      { _id: 3, group: 'g', n: 2 },
    ]);
    expect(await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 10 } })).toEqual({
      _id: 1,
      group: 'g',
      n: 1,
    });
    expect(await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 10 } }, { returnDocument: 'after' })).toEqual(
      {
        _id: 1,
        group: 'g',
        n: 21,
      },
    );
    const sorted = await coll.findOneAndUpdate(
      { group: 'g', n: { $lt: 10 } },
      { $inc: { n: 100 } },
      { sort: { n: -1 }, returnDocument: 'after', projection: { _id: 1, n: 1 } },
    );
    expect(sorted).toEqual({ _id: 2, n: 103 });
    expect(await coll.findOneAndUpdate({ _id: 99 }, { $set: { x: 1 } })).toBeNull();

    const meta = await coll.findOneAndUpdate({ _id: 3 }, { $set: { n: 0 } }, { includeResultMetadata: true });
    expect(meta.ok).toBe(1);
    expect(meta.value).toEqual({ _id: 3, group: 'g', n: 2 });
    expect(meta.lastErrorObject).toEqual({ n: 1, updatedExisting: true });
  });

  test('findOneAndUpdate upserts', async () => {
    const coll = await withDocs([]);
    expect(await coll.findOneAndUpdate({ k: 'a' }, { $set: { v: 1 } }, { upsert: true })).toBeNull();
    const after = await coll.findOneAndUpdate(
      { k: 'b' },
      { $set: { v: 2 } },
      { upsert: true, returnDocument: 'after', projection: { _id: 0 } },
    );
    expect(after).toEqual({ k: 'b', v: 2 });
    const meta = await coll.findOneAndUpdate(
      { k: 'c' },
      { $set: { v: 3 } },
      { upsert: true, includeResultMetadata: true },
    );
    expect(meta.value).toBeNull();
    expect(meta.lastErrorObject?.n).toBe(1);
    expect(meta.lastErrorObject?.updatedExisting).toBe(false);
    expect(meta.lastErrorObject?.upserted).toBeInstanceOf(ObjectId);
    expect(await coll.countDocuments()).toBe(3);
  });

  test('findOneAndReplace and findOneAndDelete', async () => {
    const coll = await withDocs([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);
    expect(await coll.findOneAndReplace({ _id: 1 }, { replaced: true }, { returnDocument: 'after' })).toEqual(
      {
        _id: 1,
        replaced: true,
      },
    );
    expect(await coll.findOneAndReplace({ _id: 2 }, { r: 2 })).toEqual({ _id: 2, n: 2 });
    expect(await coll.findOneAndDelete({ n: { $exists: true } }, { sort: { n: -1 } })).toEqual({
      _id: 3,
      n: 3,
    });
    expect(await coll.findOneAndDelete({ _id: 42 })).toBeNull();
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, replaced: true },
      { _id: 2, r: 2 },
    ]);
  });
});

describe('deletes', () => {
  test('deleteOne and deleteMany report deletedCount', async () => {
    const coll = await withDocs([
      { _id: 1, k: 'a' },
      { _id: 2, k: 'a' },
      { _id: 3, k: 'b' },
      { _id: 4, k: 'b' },
      { _id: 5, k: 'c' },
    ]);
    expect(await coll.deleteOne({ k: 'a' })).toEqual({ acknowledged: true, deletedCount: 1 });
    expect(await coll.countDocuments({ k: 'a' })).toBe(1);
    expect((await coll.deleteOne({ k: 'zzz' })).deletedCount).toBe(0);
    expect((await coll.deleteMany({ k: { $in: ['a', 'b'] } })).deletedCount).toBe(3);
    expect(await coll.find().toArray()).toEqual([{ _id: 5, k: 'c' }]);
    expect((await coll.deleteMany({})).deletedCount).toBe(1);
    expect(await coll.countDocuments()).toBe(0);
  });
});
