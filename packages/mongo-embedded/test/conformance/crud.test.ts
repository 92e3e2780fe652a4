// Inserts, queries, cursors, counts and BSON type fidelity, through the official driver.
import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoBulkWriteError,
  ObjectId,
  UUID,
  type Collection,
  type Db,
  type Document,
  type WriteError,
} from 'mongodb';
import { openTarget, type Doc, serverError, type Target } from './target.js';

let t: Target;
let db: Db;

beforeAll(async () => {
  t = await openTarget('crud');
  db = t.db;
});

afterAll(async () => {
  await t?.close();
});

/** A collection emptied and filled with `docs`. */
async function fresh(name: string, docs: Document[] = []): Promise<Collection<Doc>> {
  const coll = db.collection<Doc>(name);
  await coll.deleteMany({});
  if (docs.length > 0) await coll.insertMany(docs);
  return coll;
}

function writeErrorList(errors: WriteError | readonly WriteError[]): WriteError[] {
  return Array.isArray(errors) ? [...(errors as readonly WriteError[])] : [errors as WriteError];
}

const seven = Array.from({ length: 7 }, (_, i) => ({
  _id: i + 1,
  n: i + 1,
  group: (i + 1) % 2 === 0 ? 'even' : 'odd',
  tags: [`t${(i % 3) + 1}`, 'all'],
  nested: { x: (i + 1) * 10, y: 'y' },
}));

describe('inserts', () => {
  test('insertOne returns the driver-generated ObjectId and stores the document', async () => {
    const coll = await fresh('ins');
    const res = await coll.insertOne({ name: 'ann' });
    expect(res.acknowledged).toBe(true);
    expect(res.insertedId).toBeInstanceOf(ObjectId);
    expect(await coll.findOne({ _id: res.insertedId })).toEqual({ _id: res.insertedId, name: 'ann' });
  });

  test('the server generates an ObjectId _id, placed first, when the document has none', async () => {
    await fresh('gen');
    const res = await db.command({ insert: 'gen', documents: [{ a: 1 }, { a: 2 }] });
    expect(res.n).toBe(2);
    expect(res.ok).toBe(1);
    const docs = await db.collection<Doc>('gen').find().sort({ a: 1 }).toArray();
    expect(docs).toHaveLength(2);
    for (const doc of docs) {
      expect(doc._id).toBeInstanceOf(ObjectId);
      expect(Object.keys(doc)[0]).toBe('_id');
    }
    expect(String(docs[0]?._id)).not.toBe(String(docs[1]?._id));

    await db.command({ insert: 'gen', documents: [{ a: 3, _id: 'late' }] });
    const late = await db.collection<Doc>('gen').findOne({ a: 3 });
    expect(Object.keys(late ?? {})).toEqual(['_id', 'a']);
  });

  test('insertMany ordered stops at a duplicate in the middle', async () => {
    const coll = await fresh('ordered');
    const err = await serverError(coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }]));
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    expect(bulk.insertedCount).toBe(2);
    expect(bulk.insertedIds).toEqual({ 0: 1, 1: 2 });
    expect(writeErrorList(bulk.writeErrors).map((w) => [w.index, w.code])).toEqual([[2, 11000]]);
    expect(writeErrorList(bulk.writeErrors)[0]?.errmsg).toContain('E11000');
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1 }, { _id: 2 }]);
  });

  test('insertMany unordered inserts everything but the duplicates', async () => {
    const coll = await fresh('unordered');
    const err = await serverError(
      coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }, { _id: 2 }] as Document[], {
        ordered: false,
      }),
    );
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    expect(bulk.insertedCount).toBe(3);
    expect(bulk.insertedIds).toEqual({ 0: 1, 1: 2, 3: 3 });
    expect(writeErrorList(bulk.writeErrors).map((w) => [w.index, w.code])).toEqual([
      [2, 11000],
      [4, 11000],
    ]);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
  });

  test('insertMany returns counts and ids', async () => {
    const coll = await fresh('many');
    const res = await coll.insertMany([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(res.insertedCount).toBe(3);
    expect(Object.keys(res.insertedIds)).toEqual(['0', '1', '2']);
    expect(await coll.countDocuments()).toBe(3);
  });
});

describe('find', () => {
  let coll: Collection<Doc>;
  beforeAll(async () => {
    coll = await fresh('seven', seven);
  });

  test('filter, sort, skip and limit', async () => {
    const docs = await coll
      .find({ n: { $gte: 3 } })
      .sort({ n: -1 })
      .skip(1)
      .limit(2)
      .toArray();
    expect(docs.map((d) => d.n)).toEqual([6, 5]);
    const compound = await coll.find({}, { sort: { group: 1, n: -1 } }).toArray();
    expect(compound.map((d) => d.n)).toEqual([6, 4, 2, 7, 5, 3, 1]);
    const inTags = await coll.find({ tags: 't2' }).sort({ _id: 1 }).toArray();
    expect(inTags.map((d) => d.n)).toEqual([2, 5]);
    const orQuery = await coll
      .find({ $or: [{ n: 1 }, { 'nested.x': 70 }] })
      .sort({ n: 1 })
      .toArray();
    expect(orQuery.map((d) => d.n)).toEqual([1, 7]);
  });

  test('inclusion and exclusion projections, nested paths', async () => {
    expect(await coll.findOne({ n: 2 }, { projection: { n: 1 } })).toEqual({ _id: 2, n: 2 });
    expect(await coll.findOne({ n: 2 }, { projection: { n: 1, _id: 0 } })).toEqual({ n: 2 });
    expect(await coll.findOne({ n: 2 }, { projection: { tags: 0, nested: 0 } })).toEqual({
      _id: 2,
      n: 2,
      group: 'even',
    });
    expect(await coll.findOne({ n: 2 }, { projection: { 'nested.x': 1, _id: 0 } })).toEqual({
      nested: { x: 20 },
    });
    expect(await coll.findOne({ n: 2 }, { projection: { 'nested.y': 0, tags: 0 } })).toEqual({
      _id: 2,
      n: 2,
      group: 'even',
      nested: { x: 20 },
    });
  });

  test('$slice and $elemMatch projections', async () => {
    const arrays = await fresh('arrays', [
      {
        _id: 1,
        arr: [1, 2, 3, 4, 5],
        other: 'x',
        items: [
          { k: 'a', qty: 1 },
          { k: 'b', qty: 7 },
          { k: 'c', qty: 9 },
        ],
      },
      { _id: 2, arr: [], other: 'y', items: [{ k: 'z', qty: 2 }] },
    ]);
    expect(await arrays.findOne({ _id: 1 }, { projection: { arr: { $slice: 2 }, items: 0 } })).toEqual({
      _id: 1,
      arr: [1, 2],
      other: 'x',
    });
    expect(await arrays.findOne({ _id: 1 }, { projection: { arr: { $slice: -2 }, items: 0 } })).toEqual({
      _id: 1,
      arr: [4, 5],
      other: 'x',
    });
    expect(await arrays.findOne({ _id: 1 }, { projection: { arr: { $slice: [1, 2] }, other: 1 } })).toEqual({
      _id: 1,
      arr: [2, 3],
      other: 'x',
    });
    const matched = await arrays
      .find({}, { projection: { items: { $elemMatch: { qty: { $gt: 5 } } } } })
      .sort({ _id: 1 })
      .toArray();
    expect(matched).toEqual([{ _id: 1, items: [{ k: 'b', qty: 7 }] }, { _id: 2 }]);
  });

  test('a cursor with batchSize 2 returns all 7 documents in order, through toArray and next()', async () => {
    const all = await coll.find({}, { batchSize: 2 }).sort({ n: 1 }).toArray();
    expect(all.map((d) => d.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const cursor = coll.find({}).sort({ n: -1 }).batchSize(2);
    const seen: number[] = [];
    for (let doc = await cursor.next(); doc !== null; doc = await cursor.next()) seen.push(doc.n as number);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(await cursor.hasNext()).toBe(false);
    await cursor.close();

    const iterated: number[] = [];
    for await (const doc of coll.find({ group: 'odd' }).sort({ n: 1 }).batchSize(2))
      iterated.push(doc.n as number);
    expect(iterated).toEqual([1, 3, 5, 7]);
  });

  test('find, getMore and killCursors as commands', async () => {
    const session = t.client.startSession();
    try {
      const first = await db.command(
        { find: 'seven', filter: {}, sort: { n: 1 }, batchSize: 2 },
        { session },
      );
      expect(first.cursor.firstBatch.map((d: Document) => d.n)).toEqual([1, 2]);
      expect(first.cursor.ns).toBe(`${t.dbName}.seven`);
      const id = Long.fromString(String(first.cursor.id));
      expect(id.isZero()).toBe(false);

      const more = await db.command({ getMore: id, collection: 'seven', batchSize: 2 }, { session });
      expect(more.cursor.nextBatch.map((d: Document) => d.n)).toEqual([3, 4]);
      expect(String(more.cursor.id)).toBe(id.toString());

      const killed = await db.command({ killCursors: 'seven', cursors: [id] }, { session });
      expect(killed.cursorsKilled.map(String)).toEqual([id.toString()]);
      expect(killed.cursorsNotFound).toEqual([]);

      const gone = await serverError(db.command({ getMore: id, collection: 'seven' }, { session }));
      expect(gone.code).toBe(43);

      const whole = await db.command({ find: 'seven', filter: {}, batchSize: 100 }, { session });
      expect(whole.cursor.firstBatch).toHaveLength(7);
      expect(String(whole.cursor.id)).toBe('0');
    } finally {
      await session.endSession();
    }
  });

  test('cursor.close() kills the server cursor', async () => {
    const cursor = coll.find({}).sort({ n: 1 }).batchSize(2);
    expect((await cursor.next())?.n).toBe(1);
    const id = cursor.id;
    expect(id).toBeDefined();
    expect(id?.isZero()).toBe(false);
    await cursor.close();
    expect(cursor.killed).toBe(true);
    const err = await serverError(db.command({ getMore: id, collection: 'seven' }));
    expect(err.code).toBe(43);
  });

  test('countDocuments, estimatedDocumentCount and findOne', async () => {
    expect(await coll.countDocuments()).toBe(7);
    expect(await coll.countDocuments({ group: 'odd' })).toBe(4);
    expect(await coll.countDocuments({ group: 'odd' }, { skip: 1, limit: 2 })).toBe(2);
    expect(await coll.countDocuments({ n: { $gt: 100 } })).toBe(0);
    expect(await coll.estimatedDocumentCount()).toBe(7);
    expect(await db.collection<Doc>('never_created').countDocuments()).toBe(0);
    expect(await db.collection<Doc>('never_created').estimatedDocumentCount()).toBe(0);
    expect(await coll.findOne({ n: 3 }, { projection: { _id: 0, n: 1, group: 1 } })).toEqual({
      n: 3,
      group: 'odd',
    });
    expect(await coll.findOne({ n: 99 })).toBeNull();
    expect((await coll.findOne({}, { sort: { n: -1 } }))?.n).toBe(7);
  });

  test('distinct flattens arrays and honours the filter', async () => {
    expect((await coll.distinct('group')).sort()).toEqual(['even', 'odd']);
    expect((await coll.distinct('tags', { n: { $lte: 2 } })).sort()).toEqual(['all', 't1', 't2']);
    expect((await coll.distinct('nested.x', { group: 'even' })).sort((a, b) => a - b)).toEqual([20, 40, 60]);
    expect(await coll.distinct('nope')).toEqual([]);
  });
});

describe('BSON types', () => {
  const date = new Date('2024-02-29T12:34:56.789Z');
  const oid = new ObjectId();
  const bigLong = Long.fromString('9007199254740993');
  const dec = Decimal128.fromString('12345.6789012345678901234');
  const bin = new Binary(Buffer.from([0, 1, 2, 255]));
  const uuid = new UUID();
  const typed = {
    _id: 'types',
    date,
    oid,
    long: bigLong,
    dec,
    bin,
    uuid,
    int: 42,
    dbl: 4.5,
    bool: true,
    str: 'héllo ☃',
    nul: null,
    regex: /ab+c/i,
    nestedArr: [
      [1, 2],
      [3, [4, 5]],
    ],
    obj: { a: { b: { c: [{ d: 1 }, { d: 2 }] } } },
  };
  let coll: Collection<Doc>;
  beforeAll(async () => {
    coll = await fresh('types', [typed]);
  });

  test('every type round-trips with its value', async () => {
    const doc = await coll.findOne({ _id: 'types' });
    expect(doc).not.toBeNull();
    if (!doc) return;
    expect(doc.date).toBeInstanceOf(Date);
    expect(doc.date.toISOString()).toBe('2024-02-29T12:34:56.789Z');
    expect(doc.oid).toBeInstanceOf(ObjectId);
    expect(doc.oid.toHexString()).toBe(oid.toHexString());
    expect(doc.long).toBeInstanceOf(Long);
    expect(doc.long.toString()).toBe('9007199254740993');
    expect(doc.dec).toBeInstanceOf(Decimal128);
    expect(doc.dec.toString()).toBe('12345.6789012345678901234');
    expect(doc.bin).toBeInstanceOf(Binary);
    expect(doc.bin.sub_type).toBe(0);
    expect(Buffer.from(doc.bin.buffer).toString('hex')).toBe('000102ff');
    expect(doc.uuid.sub_type).toBe(4);
    expect(Buffer.from(doc.uuid.buffer).toString('hex')).toBe(uuid.toHexString(false));
    expect(doc.int).toBe(42);
    expect(doc.dbl).toBe(4.5);
    expect(doc.bool).toBe(true);
    expect(doc.str).toBe('héllo ☃');
    expect(doc.nul).toBeNull();
    expect(doc.regex).toEqual(/ab+c/i);
    expect(doc.nestedArr).toEqual([
      [1, 2],
      [3, [4, 5]],
    ]);
    expect(doc.obj).toEqual({ a: { b: { c: [{ d: 1 }, { d: 2 }] } } });
  });

  test('$type sees the BSON types the driver sent', async () => {
    const cases: [string, string][] = [
      ['date', 'date'],
      ['oid', 'objectId'],
      ['long', 'long'],
      ['dec', 'decimal'],
      ['bin', 'binData'],
      ['uuid', 'binData'],
      ['int', 'int'],
      ['dbl', 'double'],
      ['bool', 'bool'],
      ['str', 'string'],
      ['nul', 'null'],
      ['regex', 'regex'],
      ['nestedArr', 'array'],
      ['obj', 'object'],
      ['int', 'number'],
      ['long', 'number'],
      ['dec', 'number'],
    ];
    for (const [field, type] of cases) {
      expect([field, type, await coll.countDocuments({ [field]: { $type: type } })]).toEqual([
        field,
        type,
        1,
      ]);
    }
    expect(await coll.countDocuments({ int: { $type: 'double' } })).toBe(0);
    expect(await coll.countDocuments({ dbl: { $type: 'int' } })).toBe(0);
  });

  test('equality and range queries on typed values, numbers compare across types', async () => {
    expect(await coll.countDocuments({ long: Long.fromString('9007199254740993') })).toBe(1);
    expect(await coll.countDocuments({ long: Long.fromString('9007199254740992') })).toBe(0);
    expect(await coll.countDocuments({ dec: Decimal128.fromString('12345.6789012345678901234') })).toBe(1);
    expect(await coll.countDocuments({ date: new Date('2024-02-29T12:34:56.789Z') })).toBe(1);
    expect(
      await coll.countDocuments({ date: { $gt: new Date('2024-01-01'), $lt: new Date('2024-03-01') } }),
    ).toBe(1);
    expect(await coll.countDocuments({ date: { $gt: new Date('2024-03-01') } })).toBe(0);
    expect(await coll.countDocuments({ oid })).toBe(1);
    expect(await coll.countDocuments({ bin: new Binary(Buffer.from([0, 1, 2, 255])) })).toBe(1);
    expect(await coll.countDocuments({ int: new Double(42) })).toBe(1);
    expect(await coll.countDocuments({ int: Long.fromNumber(42) })).toBe(1);
    expect(await coll.countDocuments({ dbl: { $gt: new Int32(4), $lt: Decimal128.fromString('5') } })).toBe(
      1,
    );
    expect(await coll.countDocuments({ 'obj.a.b.c.d': 2 })).toBe(1);
    expect(await coll.countDocuments({ nestedArr: [1, 2] })).toBe(1);
    expect(await coll.countDocuments({ str: /^H.LLO/i })).toBe(1);
    expect(await coll.countDocuments({ str: /^H.LLO/ })).toBe(0);
  });

  test('sorting mixed types follows the BSON comparison order', async () => {
    const mixed = await fresh('mixed', [
      { _id: 1, v: true },
      { _id: 2, v: 'b' },
      { _id: 3, v: 3 },
      { _id: 4, v: null },
      { _id: 5, v: new Date(0) },
      { _id: 6, v: { x: 1 } },
      { _id: 7, v: new ObjectId('000000000000000000000000') },
      { _id: 8, v: 1.5 },
      { _id: 9, v: 'a' },
    ]);
    const order = (await mixed.find().sort({ v: 1 }).toArray()).map((d) => d._id);
    expect(order).toEqual([4, 8, 3, 9, 2, 6, 7, 1, 5]);
  });

  test('null matches null and missing; $exists and $type tell them apart', async () => {
    const nulls = await fresh('nulls', [
      { _id: 1, a: null },
      { _id: 2 },
      { _id: 3, a: 1 },
      { _id: 4, a: { b: null } },
    ]);
    const ids = async (filter: Document) =>
      (await nulls.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(await ids({ a: null })).toEqual([1, 2]);
    expect(await ids({ a: { $exists: false } })).toEqual([2]);
    expect(await ids({ a: { $exists: true } })).toEqual([1, 3, 4]);
    expect(await ids({ a: { $type: 'null' } })).toEqual([1]);
    expect(await ids({ a: { $ne: null } })).toEqual([3, 4]);
    expect(await ids({ a: { $in: [null, 1] } })).toEqual([1, 2, 3]);
    expect(await ids({ 'a.b': null })).toEqual([1, 2, 3, 4]);
    expect(await ids({ 'a.b': { $exists: true } })).toEqual([4]);
  });
});
