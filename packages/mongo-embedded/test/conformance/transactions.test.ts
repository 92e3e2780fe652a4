// Multi-document transactions, sessions, retryable writes and two clients on one server.
import { Long, Timestamp, type Collection, type Db } from 'mongodb';
import { openTarget, type Doc, serverError, type Target } from './target.js';

let t: Target;
let db: Db;
let accounts: Collection<Doc>;
let ledger: Collection<Doc>;

beforeAll(async () => {
  t = await openTarget('txn');
  db = t.db;
  await db.createCollection('accounts');
  await db.createCollection('ledger');
  accounts = db.collection<Doc>('accounts');
  ledger = db.collection<Doc>('ledger');
});

afterAll(async () => {
  await t?.close();
});

describe('transactions', () => {
  test('withTransaction commits inserts into two collections together', async () => {
    const session = t.client.startSession();
    try {
      await session.withTransaction(async () => {
        await accounts.insertOne({ _id: 'alice', balance: 100 }, { session });
        await ledger.insertOne({ _id: 'l-alice', account: 'alice', amount: 100 }, { session });
      });
    } finally {
      await session.endSession();
    }
    expect(await accounts.findOne({ _id: 'alice' })).toEqual({ _id: 'alice', balance: 100 });
    expect(await ledger.findOne({ _id: 'l-alice' })).toEqual({
      _id: 'l-alice',
      account: 'alice',
      amount: 100,
    });
  });

  test('an aborted transaction leaves nothing; its writes are never visible outside it', async () => {
    const session = t.client.startSession();
    try {
      session.startTransaction();
      await accounts.insertOne({ _id: 'bob', balance: 5 }, { session });
      await ledger.insertOne({ _id: 'l-bob', account: 'bob', amount: 5 }, { session });
      expect(await accounts.findOne({ _id: 'bob' }, { session })).toEqual({ _id: 'bob', balance: 5 });
      expect(await accounts.findOne({ _id: 'bob' })).toBeNull();
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await accounts.findOne({ _id: 'bob' })).toBeNull();
    expect(await ledger.countDocuments({ account: 'bob' })).toBe(0);
  });

  test('reads inside a transaction see its own inserts, updates and deletes', async () => {
    await accounts.insertOne({ _id: 'erin', balance: 10 });
    const session = t.client.startSession();
    try {
      session.startTransaction();
      await accounts.insertOne({ _id: 'frank', balance: 1 }, { session });
      await accounts.updateOne({ _id: 'frank' }, { $inc: { balance: 9 } }, { session });
      await accounts.deleteOne({ _id: 'erin' }, { session });
      expect(await accounts.findOne({ _id: 'frank' }, { session })).toEqual({ _id: 'frank', balance: 10 });
      expect(await accounts.findOne({ _id: 'erin' }, { session })).toBeNull();
      const inTxn = await accounts
        .find({ _id: { $in: ['erin', 'frank'] } }, { session })
        .sort({ _id: 1 })
        .toArray();
      expect(inTxn).toEqual([{ _id: 'frank', balance: 10 }]);
      const agg = await accounts
        .aggregate([{ $match: { _id: { $in: ['erin', 'frank'] } } }, { $count: 'n' }], { session })
        .toArray();
      expect(agg).toEqual([{ n: 1 }]);

      // Outside the transaction, the committed state is unchanged.
      expect(await accounts.findOne({ _id: 'erin' })).toEqual({ _id: 'erin', balance: 10 });
      expect(await accounts.findOne({ _id: 'frank' })).toBeNull();
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await accounts.findOne({ _id: 'frank' })).toEqual({ _id: 'frank', balance: 10 });
    expect(await accounts.findOne({ _id: 'erin' })).toBeNull();
  });

  test('an update then abort restores the previous value', async () => {
    await accounts.insertOne({ _id: 'carol', balance: 50 });
    const session = t.client.startSession();
    try {
      session.startTransaction();
      await accounts.updateOne({ _id: 'carol' }, { $inc: { balance: -30 } }, { session });
      await accounts.updateOne({ _id: 'carol' }, { $set: { flagged: true } }, { session });
      expect(await accounts.findOne({ _id: 'carol' }, { session })).toEqual({
        _id: 'carol',
        balance: 20,
        flagged: true,
      });
      expect(await accounts.findOne({ _id: 'carol' })).toEqual({ _id: 'carol', balance: 50 });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await accounts.findOne({ _id: 'carol' })).toEqual({ _id: 'carol', balance: 50 });
  });

  test('a unique violation inside a transaction aborts it', async () => {
    await accounts.insertOne({ _id: 'dave', balance: 1 });
    const session = t.client.startSession();
    try {
      session.startTransaction();
      await ledger.insertOne({ _id: 'l-dave', account: 'dave' }, { session });
      const dup = await serverError(accounts.insertOne({ _id: 'dave', balance: 2 }, { session }));
      expect(dup.code).toBe(11000);
      const commit = await serverError(session.commitTransaction());
      expect(commit.code).toBe(251);
    } finally {
      await session.endSession();
    }
    expect(await ledger.findOne({ _id: 'l-dave' })).toBeNull();
    expect(await accounts.findOne({ _id: 'dave' })).toEqual({ _id: 'dave', balance: 1 });
  });

  test('withTransaction rethrows a duplicate key error and commits nothing', async () => {
    await accounts.insertOne({ _id: 'gina', balance: 1 });
    const session = t.client.startSession();
    try {
      const err = await serverError(
        session.withTransaction(async () => {
          await ledger.insertOne({ _id: 'l-gina', account: 'gina' }, { session });
          await accounts.insertOne({ _id: 'gina', balance: 2 }, { session });
        }),
      );
      expect(err.code).toBe(11000);
    } finally {
      await session.endSession();
    }
    expect(await ledger.findOne({ _id: 'l-gina' })).toBeNull();
    expect(await accounts.findOne({ _id: 'gina' })).toEqual({ _id: 'gina', balance: 1 });
  });
});

describe('sessions and retryable writes', () => {
  test('the default client (retryWrites on) writes with every kind of operation', async () => {
    const coll = db.collection<Doc>('retry');
    await coll.insertOne({ _id: 1, n: 0 });
    await coll.insertMany([{ _id: 2 }, { _id: 3 }]);
    await coll.updateOne({ _id: 1 }, { $inc: { n: 1 } });
    await coll.replaceOne({ _id: 2 }, { replaced: true });
    expect(await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'after' })).toEqual({
      _id: 1,
      n: 2,
    });
    await coll.deleteOne({ _id: 3 });
    const bulk = await coll.bulkWrite([
      { insertOne: { document: { _id: 4 } } },
      { updateOne: { filter: { _id: 4 }, update: { $set: { b: 1 } } } },
      { deleteOne: { filter: { _id: 2 } } },
    ]);
    expect([bulk.insertedCount, bulk.modifiedCount, bulk.deletedCount]).toEqual([1, 1, 1]);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, n: 2 },
      { _id: 4, b: 1 },
    ]);
  });

  test('a retried write (same lsid and txnNumber) is applied once', async () => {
    const other = await t.newClient();
    const session = other.startSession();
    const odb = other.db(t.dbName);
    try {
      const insert = { insert: 'retried', documents: [{ _id: 'r1', n: 0 }], txnNumber: Long.fromNumber(1) };
      const first = await odb.command(insert, { session });
      const again = await odb.command(insert, { session });
      expect([first.n, first.ok]).toEqual([1, 1]);
      expect([again.n, again.ok]).toEqual([1, 1]);
      expect(again.writeErrors).toBeUndefined();

      const update = {
        update: 'retried',
        updates: [{ q: { _id: 'r1' }, u: { $inc: { n: 1 } } }],
        txnNumber: Long.fromNumber(2),
      };
      await odb.command(update, { session });
      const retried = await odb.command(update, { session });
      expect([retried.n, retried.nModified]).toEqual([1, 1]);
    } finally {
      await session.endSession();
      await other.close();
    }
    expect(await db.collection<Doc>('retried').find().toArray()).toEqual([{ _id: 'r1', n: 1 }]);
  });

  test('a causally consistent session reads its own write, also with majority read concern', async () => {
    const coll = db.collection<Doc>('causal');
    const session = t.client.startSession({ causalConsistency: true });
    try {
      await coll.insertOne({ _id: 'w1', v: 1 }, { session, writeConcern: { w: 'majority' } });
      expect(session.operationTime).toBeInstanceOf(Timestamp);
      expect(await coll.findOne({ _id: 'w1' }, { session })).toEqual({ _id: 'w1', v: 1 });
      await coll.updateOne({ _id: 'w1' }, { $set: { v: 2 } }, { session });
      const read = await coll.find({ _id: 'w1' }, { session, readConcern: { level: 'majority' } }).toArray();
      expect(read).toEqual([{ _id: 'w1', v: 2 }]);
    } finally {
      await session.endSession();
    }
  });
});

describe('two clients', () => {
  test("two MongoClients see each other's committed writes", async () => {
    const other = await t.newClient();
    const mine = db.collection<Doc>('shared');
    const theirs = other.db(t.dbName).collection<Doc>('shared');

    await mine.insertOne({ _id: 1, from: 'one' });
    expect(await theirs.findOne({ _id: 1 })).toEqual({ _id: 1, from: 'one' });
    await theirs.updateOne({ _id: 1 }, { $set: { seenBy: 'two' } });
    expect(await mine.findOne({ _id: 1 })).toEqual({ _id: 1, from: 'one', seenBy: 'two' });
    await theirs.insertOne({ _id: 2, from: 'two' });
    expect(await mine.countDocuments()).toBe(2);

    const session = other.startSession();
    try {
      session.startTransaction();
      await theirs.insertOne({ _id: 3, from: 'txn' }, { session });
      expect(await mine.findOne({ _id: 3 })).toBeNull();
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await mine.findOne({ _id: 3 })).toEqual({ _id: 3, from: 'txn' });
    await theirs.deleteMany({});
    expect(await mine.countDocuments()).toBe(0);
  });
});
