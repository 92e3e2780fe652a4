// Transactions (rollback, isolation, conflicts) and retryable writes, through the official driver.
import { Long, MongoServerError, UUID, type Document } from 'mongodb';
import { encodeMsgRequest } from '../src/wire.js';
import { RawConnection, startWithClient, type Harness } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startWithClient();
});

afterAll(async () => {
  await h.close();
});

const db = () => h.client.db('txn');

async function fresh(name: string, docs: Document[] = []) {
  const coll = db().collection(name);
  await coll.deleteMany({});
  if (docs.length > 0) await coll.insertMany(docs);
  return coll;
}

test('abortTransaction rolls back inserts, updates and deletes', async () => {
  const coll = await fresh('rollback', [
    { _id: 1, v: 'a' },
    { _id: 2, v: 'b' },
  ] as Document[]);
  const session = h.client.startSession();
  try {
    session.startTransaction();
    await coll.insertOne({ _id: 3, v: 'c' } as Document, { session });
    await coll.updateOne({ _id: 1 } as Document, { $set: { v: 'changed' } }, { session });
    await coll.deleteOne({ _id: 2 } as Document, { session });
    expect(await coll.find({}, { session }).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, v: 'changed' },
      { _id: 3, v: 'c' },
    ]);
    await session.abortTransaction();
  } finally {
    await session.endSession();
  }
  expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, v: 'a' },
    { _id: 2, v: 'b' },
  ]);
});

test('uncommitted writes are invisible to other sessions until commit', async () => {
  const coll = await fresh('isolation', [{ _id: 1, n: 1 }] as Document[]);
  const session = h.client.startSession();
  try {
    session.startTransaction();
    await coll.updateOne({ _id: 1 } as Document, { $inc: { n: 1 } }, { session });
    await coll.insertOne({ _id: 2, n: 1 } as Document, { session });
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1, n: 1 }]);
    expect(await coll.countDocuments({}, { session })).toBe(2);
    await session.commitTransaction();
  } finally {
    await session.endSession();
  }
  expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
    { _id: 1, n: 2 },
    { _id: 2, n: 1 },
  ]);
});

test('two transactions writing the same document: the second gets WriteConflict (112)', async () => {
  const coll = await fresh('conflict', [{ _id: 1, n: 0 }] as Document[]);
  const s1 = h.client.startSession();
  const s2 = h.client.startSession();
  try {
    s1.startTransaction();
    s2.startTransaction();
    await coll.updateOne({ _id: 1 } as Document, { $inc: { n: 1 } }, { session: s1 });
    const error = await coll
      .updateOne({ _id: 1 } as Document, { $inc: { n: 10 } }, { session: s2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(112);
    expect((error as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(true);
    await s1.commitTransaction();
    await s2.abortTransaction().catch(() => undefined);
  } finally {
    await s1.endSession();
    await s2.endSession();
  }
  expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, n: 1 });
});

test('a write outside the transaction to a document it wrote makes its commit fail transiently', async () => {
  const coll = await fresh('outside', [{ _id: 1, n: 0 }] as Document[]);
  const session = h.client.startSession();
  try {
    session.startTransaction();
    await coll.updateOne({ _id: 1 } as Document, { $set: { n: 1 } }, { session });
    await coll.updateOne({ _id: 1 } as Document, { $set: { n: 2 } });
    const error = await session.commitTransaction().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(true);
  } finally {
    await session.endSession();
  }
  expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, n: 2 });
});

test('withTransaction retries a transient conflict and commits once', async () => {
  const coll = await fresh('retry', [{ _id: 1, n: 0 }] as Document[]);
  const session = h.client.startSession();
  let attempts = 0;
  try {
    await session.withTransaction(async () => {
      attempts++;
      await coll.updateOne({ _id: 1 } as Document, { $inc: { n: 1 } }, { session });
      if (attempts === 1) await coll.updateOne({ _id: 1 } as Document, { $inc: { n: 100 } });
    });
  } finally {
    await session.endSession();
  }
  expect(attempts).toBe(2);
  expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, n: 101 });
});

test('a commit that would break a unique index commits nothing', async () => {
  const coll = await fresh('unique');
  await coll.createIndex({ k: 1 }, { unique: true });
  const session = h.client.startSession();
  try {
    session.startTransaction();
    await coll.insertOne({ _id: 1, k: 'x' } as Document, { session });
    await db()
      .collection('unique_other')
      .insertOne({ _id: 1 } as Document, { session });
    await coll.insertOne({ _id: 2, k: 'x' } as Document);
    const error = await session.commitTransaction().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
  } finally {
    await session.endSession();
  }
  expect(await coll.find().toArray()).toEqual([{ _id: 2, k: 'x' }]);
  expect(await db().collection('unique_other').countDocuments()).toBe(0);
});

/** Sends a command on a raw connection, so the driver does not replace `lsid` / `txnNumber`. */
async function raw(dbName: string, cmd: Document): Promise<Document> {
  const conn = await RawConnection.open(h.server.port);
  try {
    conn.send(encodeMsgRequest(1, { ...cmd, $db: dbName }));
    const reply = await conn.next();
    if (!reply) throw new Error('no reply');
    return reply.doc;
  } finally {
    conn.close();
  }
}

test('commitTransaction may be retried; the transaction then stays committed', async () => {
  const coll = await fresh('recommit');
  const base = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
  expect(
    (await raw('txn', { insert: 'recommit', documents: [{ _id: 1 }], ...base, startTransaction: true })).ok,
  ).toBe(1);
  expect((await raw('admin', { commitTransaction: 1, ...base })).ok).toBe(1);
  expect((await raw('admin', { commitTransaction: 1, ...base })).ok).toBe(1);
  expect((await raw('admin', { abortTransaction: 1, ...base })).code).toBe(256);
  expect(await coll.countDocuments()).toBe(1);
});

test('a retried write with the same lsid and txnNumber is applied once', async () => {
  const coll = await fresh('retryable', [{ _id: 1, n: 0 }] as Document[]);
  const cmd = {
    update: 'retryable',
    updates: [{ q: { _id: 1 }, u: { $inc: { n: 1 } } }],
    lsid: { id: new UUID() },
    txnNumber: Long.fromNumber(7),
  };
  const first = await raw('txn', cmd);
  const second = await raw('txn', cmd);
  expect(first).toMatchObject({ n: 1, nModified: 1, ok: 1 });
  expect(second).toMatchObject({ n: 1, nModified: 1, ok: 1 });
  expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, n: 1 });
  expect((await raw('txn', { ...cmd, txnNumber: Long.fromNumber(3) })).code).toBe(225);
  await raw('txn', { ...cmd, txnNumber: Long.fromNumber(8) });
  expect(await coll.findOne({ _id: 1 } as Document)).toEqual({ _id: 1, n: 2 });
});

test('operations on an aborted transaction fail with NoSuchTransaction (251)', async () => {
  await fresh('nosuch');
  const base = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
  await raw('txn', { insert: 'nosuch', documents: [{ _id: 1 }], ...base, startTransaction: true });
  await raw('admin', { abortTransaction: 1, ...base });
  const error = await raw('txn', { insert: 'nosuch', documents: [{ _id: 2 }], ...base });
  expect(error).toMatchObject({
    ok: 0,
    code: 251,
    codeName: 'NoSuchTransaction',
    errorLabels: ['TransientTransactionError'],
  });
  expect(await db().collection('nosuch').countDocuments()).toBe(0);
});
