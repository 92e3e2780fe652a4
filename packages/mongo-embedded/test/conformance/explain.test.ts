// explain('executionStats'): an index on the queried field means a handful of documents examined,
// no index means a scan of the whole collection.
import type { Collection, Db, Document } from 'mongodb';
import { openTarget, type Doc, type Target } from './target.js';

const N = 10_000;

let t: Target;
let db: Db;
let users: Collection<Doc>;

beforeAll(async () => {
  t = await openTarget('expl');
  db = t.db;
  users = db.collection<Doc>('users');
  const docs: Document[] = Array.from({ length: N }, (_, i) => ({ email: `user${i}@example.com`, n: i }));
  for (let i = 0; i < N; i += 1000) await users.insertMany(docs.slice(i, i + 1000));
}, 120_000);

afterAll(async () => {
  await t?.close();
});

test('without an index a find examines every document', async () => {
  expect(await users.countDocuments()).toBe(N);
  const explain = await users.find({ email: 'user5000@example.com' }).explain('executionStats');
  expect(explain.executionStats.nReturned).toBe(1);
  expect(explain.executionStats.totalDocsExamined).toBe(N);
  expect(JSON.stringify(explain.queryPlanner.winningPlan)).toContain('"COLLSCAN"');
});

test('with an index on the field a find examines a handful of documents', async () => {
  await users.createIndex({ email: 1 }, { unique: true });
  const explain = await users.find({ email: 'user5000@example.com' }).explain('executionStats');
  expect(explain.executionStats.nReturned).toBe(1);
  expect(explain.executionStats.totalDocsExamined).toBeLessThanOrEqual(5);
  expect(explain.executionStats.totalDocsExamined).toBeGreaterThanOrEqual(1);
  expect(JSON.stringify(explain.queryPlanner.winningPlan)).toContain('"IXSCAN"');

  const missing = await users.find({ email: 'nobody@example.com' }).explain('executionStats');
  expect(missing.executionStats.nReturned).toBe(0);
  expect(missing.executionStats.totalDocsExamined).toBeLessThanOrEqual(5);

  expect(await users.findOne({ email: 'user5000@example.com' }, { projection: { _id: 0 } })).toEqual({
    email: 'user5000@example.com',
    n: 5000,
  });
});

test('the unindexed field of the same collection is still scanned in full', async () => {
  const explain = await users.find({ n: 7777 }).explain('executionStats');
  expect(explain.executionStats.nReturned).toBe(1);
  expect(explain.executionStats.totalDocsExamined).toBe(N);
});
