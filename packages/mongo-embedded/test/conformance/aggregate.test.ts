// Aggregation pipeline stages and aggregate cursors.
import { Long, MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import { openTarget, type Doc, type Target } from './target.js';

let t: Target;
let db: Db;
let orders: Collection<Doc>;
let customers: Collection<Doc>;

const orderDocs = [
  { _id: 1, cust: 'a', item: 'x', amount: 10, qty: 2 },
  { _id: 2, cust: 'b', item: 'y', amount: 20, qty: 1 },
  { _id: 3, cust: 'a', item: 'y', amount: 30, qty: 3 },
  { _id: 4, cust: 'c', item: 'x', amount: 5, qty: 10 },
  { _id: 5, cust: 'b', item: 'z', amount: 15, qty: 2 },
  { _id: 6, cust: 'z', item: 'x', amount: 1, qty: 1 },
  { _id: 7, cust: 'a', item: 'z', amount: 40, qty: 1 },
];

beforeAll(async () => {
  t = await openTarget('agg');
  db = t.db;
  orders = db.collection<Doc>('orders');
  customers = db.collection<Doc>('customers');
  await orders.insertMany(orderDocs);
  await customers.insertMany([
    { _id: 'a', name: 'Ann' },
    { _id: 'b', name: 'Bob' },
    { _id: 'c', name: 'Cy' },
    { _id: 'd', name: 'Dee' },
  ]);
});

afterAll(async () => {
  await t?.close();
});

test('$group with $sum, $avg, $push, $first and $max', async () => {
  const groups = await orders
    .aggregate([
      { $sort: { _id: 1 } },
      {
        $group: {
          _id: '$cust',
          total: { $sum: '$amount' },
          avg: { $avg: '$amount' },
          items: { $push: '$item' },
          first: { $first: '$amount' },
          count: { $sum: 1 },
          maxQty: { $max: '$qty' },
        },
      },
      { $sort: { _id: 1 } },
    ])
    .toArray();
  expect(groups).toEqual([
    { _id: 'a', total: 80, avg: 80 / 3, items: ['x', 'y', 'z'], first: 10, count: 3, maxQty: 3 },
    { _id: 'b', total: 35, avg: 17.5, items: ['y', 'z'], first: 20, count: 2, maxQty: 2 },
    { _id: 'c', total: 5, avg: 5, items: ['x'], first: 5, count: 1, maxQty: 10 },
    { _id: 'z', total: 1, avg: 1, items: ['x'], first: 1, count: 1, maxQty: 1 },
  ]);

  const all = await orders
    .aggregate([{ $group: { _id: null, n: { $sum: 1 }, amount: { $sum: '$amount' } } }])
    .toArray();
  expect(all).toEqual([{ _id: null, n: 7, amount: 121 }]);
});

test('$match, $sort, $skip, $limit and a computing $project', async () => {
  const docs = await orders
    .aggregate([
      { $match: { amount: { $gte: 10 } } },
      { $sort: { amount: -1 } },
      { $skip: 1 },
      { $limit: 2 },
      {
        $project: {
          _id: 0,
          cust: 1,
          total: { $multiply: ['$amount', '$qty'] },
          label: { $concat: ['$cust', '-', '$item'] },
          size: { $cond: [{ $gte: ['$qty', 3] }, 'bulk', 'single'] },
        },
      },
    ])
    .toArray();
  expect(docs).toEqual([
    { cust: 'a', total: 90, label: 'a-y', size: 'bulk' },
    { cust: 'b', total: 20, label: 'b-y', size: 'single' },
  ]);

  const byExpr = await orders
    .aggregate([{ $match: { $expr: { $gt: ['$qty', '$amount'] } } }, { $project: { _id: 1 } }])
    .toArray();
  expect(byExpr).toEqual([{ _id: 4 }]);
});

test('$addFields keeps existing fields and can set embedded ones', async () => {
  const docs = await orders
    .aggregate([
      { $match: { _id: { $lte: 2 } } },
      { $sort: { _id: 1 } },
      { $addFields: { big: { $gte: ['$amount', 20] }, 'meta.source': 'agg', qty: { $add: ['$qty', 100] } } },
    ])
    .toArray();
  expect(docs).toEqual([
    { _id: 1, cust: 'a', item: 'x', amount: 10, qty: 102, big: false, meta: { source: 'agg' } },
    { _id: 2, cust: 'b', item: 'y', amount: 20, qty: 101, big: true, meta: { source: 'agg' } },
  ]);
});

test('$count counts, and yields no document for empty input', async () => {
  expect(await orders.aggregate([{ $match: { cust: 'a' } }, { $count: 'n' }]).toArray()).toEqual([{ n: 3 }]);
  expect(await orders.aggregate([{ $match: { cust: 'nobody' } }, { $count: 'n' }]).toArray()).toEqual([]);
});

test('$unwind, with preserveNullAndEmptyArrays and includeArrayIndex', async () => {
  const shirts = db.collection<Doc>('shirts');
  await shirts.insertMany([
    { _id: 1, sizes: ['S', 'M'] },
    { _id: 2, sizes: [] },
    { _id: 3, sizes: null },
    { _id: 4 },
    { _id: 5, sizes: 'L' },
  ]);
  expect(await shirts.aggregate([{ $sort: { _id: 1 } }, { $unwind: '$sizes' }]).toArray()).toEqual([
    { _id: 1, sizes: 'S' },
    { _id: 1, sizes: 'M' },
    { _id: 5, sizes: 'L' },
  ]);
  expect(
    await shirts
      .aggregate([
        { $sort: { _id: 1 } },
        { $unwind: { path: '$sizes', preserveNullAndEmptyArrays: true, includeArrayIndex: 'idx' } },
      ])
      .toArray(),
  ).toEqual([
    { _id: 1, sizes: 'S', idx: 0 },
    { _id: 1, sizes: 'M', idx: 1 },
    { _id: 2, idx: null },
    { _id: 3, sizes: null, idx: null },
    { _id: 4, idx: null },
    { _id: 5, sizes: 'L', idx: null },
  ]);
});

test('$lookup with localField/foreignField', async () => {
  const docs = await orders
    .aggregate([
      { $match: { _id: { $in: [1, 6] } } },
      { $sort: { _id: 1 } },
      { $lookup: { from: 'customers', localField: 'cust', foreignField: '_id', as: 'customer' } },
      { $project: { customer: 1 } },
    ])
    .toArray();
  expect(docs).toEqual([
    { _id: 1, customer: [{ _id: 'a', name: 'Ann' }] },
    { _id: 6, customer: [] },
  ]);
});

test('$lookup matches array elements and a missing local field like MongoDB', async () => {
  const lists = db.collection<Doc>('lookup_lists');
  const items = db.collection<Doc>('lookup_items');
  await items.createIndex({ code: 1 });
  await items.insertMany([
    { _id: 1, code: 'p' },
    { _id: 2, code: 'q' },
    { _id: 3, code: ['q', 'r'] },
    { _id: 4 },
    { _id: 5, code: null },
  ]);
  await lists.insertMany([{ _id: 'both', codes: ['p', 'q'] }, { _id: 'one', codes: 'r' }, { _id: 'none' }]);
  const docs = await lists
    .aggregate([
      { $sort: { _id: 1 } },
      { $lookup: { from: 'lookup_items', localField: 'codes', foreignField: 'code', as: 'found' } },
      { $project: { ids: '$found._id' } },
    ])
    .toArray();
  expect(docs).toEqual([
    { _id: 'both', ids: [1, 2, 3] },
    { _id: 'none', ids: [4, 5] },
    { _id: 'one', ids: [3] },
  ]);
});

test('$lookup with localField/foreignField and a pipeline, nested', async () => {
  const docs = await customers
    .aggregate([
      { $match: { _id: { $in: ['a', 'b', 'd'] } } },
      { $sort: { _id: 1 } },
      {
        $lookup: {
          from: 'orders',
          localField: '_id',
          foreignField: 'cust',
          pipeline: [
            { $match: { amount: { $gte: 15 } } },
            { $sort: { amount: -1 } },
            { $limit: 1 },
            { $lookup: { from: 'customers', localField: 'cust', foreignField: '_id', as: 'by' } },
            { $project: { _id: 1, by: '$by.name' } },
          ],
          as: 'top',
        },
      },
      { $project: { top: 1 } },
    ])
    .toArray();
  expect(docs).toEqual([
    { _id: 'a', top: [{ _id: 7, by: ['Ann'] }] },
    { _id: 'b', top: [{ _id: 2, by: ['Bob'] }] },
    { _id: 'd', top: [] },
  ]);
});

test('$lookup of several documents sharing foreign matches, with a leading $match on a pair index', async () => {
  const people = db.collection<Doc>('lookup_people');
  const edges = db.collection<Doc>('lookup_edges');
  await edges.createIndex({ from: 1, to: 1 }, { unique: true });
  await edges.insertMany([
    { _id: 1, from: 'u1', to: 'v' },
    { _id: 2, from: 'u2', to: 'v' },
    { _id: 3, from: 'u3', to: 'w' },
    { _id: 4, from: 'u1', to: 'w' },
    { _id: 5, from: ['u2', 'u3'], to: 'x' },
  ]);
  await people.insertMany([
    { _id: 'p1', ids: ['u1', 'u2'] },
    { _id: 'p2', ids: 'u2' },
    { _id: 'p3', ids: ['u3'] },
    { _id: 'p4', ids: 'u4' },
  ]);
  const docs = await people
    .aggregate([
      { $sort: { _id: 1 } },
      { $lookup: { from: 'lookup_edges', localField: 'ids', foreignField: 'from', as: 'all' } },
      {
        $lookup: {
          from: 'lookup_edges',
          localField: 'ids',
          foreignField: 'from',
          pipeline: [{ $match: { to: { $ne: 'w' } } }, { $match: { _id: { $lt: 5 } } }, { $limit: 1 }],
          as: 'first',
        },
      },
      { $project: { all: '$all._id', first: '$first._id' } },
    ])
    .toArray();
  expect(docs).toEqual([
    { _id: 'p1', all: [1, 2, 4, 5], first: [1] },
    { _id: 'p2', all: [2, 5], first: [2] },
    { _id: 'p3', all: [3, 5], first: [] },
    { _id: 'p4', all: [], first: [] },
  ]);
});

test('$lookup with let and a pipeline', async () => {
  const docs = await customers
    .aggregate([
      { $sort: { _id: 1 } },
      {
        $lookup: {
          from: 'orders',
          let: { c: '$_id' },
          pipeline: [
            { $match: { $expr: { $and: [{ $eq: ['$cust', '$$c'] }, { $gte: ['$amount', 15] }] } } },
            { $sort: { _id: 1 } },
            { $project: { _id: 1 } },
          ],
          as: 'big',
        },
      },
      { $project: { big: 1 } },
    ])
    .toArray();
  expect(docs).toEqual([
    { _id: 'a', big: [{ _id: 3 }, { _id: 7 }] },
    { _id: 'b', big: [{ _id: 2 }, { _id: 5 }] },
    { _id: 'c', big: [] },
    { _id: 'd', big: [] },
  ]);
});

test('$facet runs sub-pipelines over the same input', async () => {
  const docs = await orders
    .aggregate([
      {
        $facet: {
          byItem: [{ $group: { _id: '$item', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          top: [{ $sort: { amount: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }],
          total: [{ $count: 'n' }],
        },
      },
    ])
    .toArray();
  expect(docs).toEqual([
    {
      byItem: [
        { _id: 'x', n: 3 },
        { _id: 'y', n: 2 },
        { _id: 'z', n: 2 },
      ],
      top: [{ _id: 7 }],
      total: [{ n: 7 }],
    },
  ]);
});

test('an aggregate cursor delivers every document across batches', async () => {
  const all = await orders.aggregate([{ $sort: { _id: 1 } }], { batchSize: 2 }).toArray();
  expect(all.map((d) => d._id)).toEqual([1, 2, 3, 4, 5, 6, 7]);

  const session = t.client.startSession();
  try {
    const first = await db.command(
      { aggregate: 'orders', pipeline: [{ $sort: { _id: 1 } }], cursor: { batchSize: 2 } },
      { session },
    );
    const ids: unknown[] = first.cursor.firstBatch.map((d: Document) => d._id);
    expect(ids).toEqual([1, 2]);
    let id = Long.fromString(String(first.cursor.id));
    expect(id.isZero()).toBe(false);
    let rounds = 0;
    while (!id.isZero() && rounds < 10) {
      rounds += 1;
      const more = await db.command({ getMore: id, collection: 'orders', batchSize: 2 }, { session });
      expect(more.cursor.nextBatch.length).toBeLessThanOrEqual(2);
      ids.push(...more.cursor.nextBatch.map((d: Document) => d._id));
      id = Long.fromString(String(more.cursor.id));
    }
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7]);
  } finally {
    await session.endSession();
  }
});

test('$out either writes its results or fails: it never reports success without writing', async () => {
  const pipeline = [{ $match: { cust: 'a' } }, { $project: { amount: 1 } }, { $out: 'orders_out' }];
  let returned: Document[] | undefined;
  let failure: unknown;
  try {
    returned = await orders.aggregate(pipeline).toArray();
  } catch (error) {
    failure = error;
  }
  if (failure !== undefined) {
    expect(failure).toBeInstanceOf(MongoServerError);
    return;
  }
  expect(returned).toEqual([]);
  expect(await db.collection<Doc>('orders_out').find().sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, amount: 10 },
    { _id: 3, amount: 30 },
    { _id: 7, amount: 40 },
  ]);
});
