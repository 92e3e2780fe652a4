// Collection<Doc> validators: $jsonSchema and query-operator validators on insert, update and upsert.
import {
  MongoBulkWriteError,
  ObjectId,
  type Collection,
  type Db,
  type Document,
  type WriteError,
} from 'mongodb';
import { openTarget, type Doc, serverError, type Target } from './target.js';

let t: Target;
let db: Db;
let people: Collection<Doc>;

const schema = {
  bsonType: 'object',
  required: ['name', 'email', 'role'],
  additionalProperties: false,
  properties: {
    _id: { bsonType: 'objectId' },
    name: { bsonType: 'string', minLength: 2, maxLength: 20 },
    email: { bsonType: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
    role: { enum: ['user', 'admin'] },
    age: { bsonType: 'int', minimum: 0, maximum: 150 },
    tags: { bsonType: 'array', items: { bsonType: 'string' } },
    address: { bsonType: 'object', required: ['city'], properties: { city: { bsonType: 'string' } } },
    phone: { bsonType: 'string' },
  },
};

const valid = {
  name: 'Ann',
  email: 'ann@example.com',
  role: 'user',
  age: 30,
  tags: ['a', 'b'],
  address: { city: 'Paris' },
};

beforeAll(async () => {
  t = await openTarget('val');
  db = t.db;
  await db.createCollection('people', { validator: { $jsonSchema: schema } });
  people = db.collection<Doc>('people');
});

afterAll(async () => {
  await t?.close();
});

test('valid documents are accepted', async () => {
  await people.insertOne({ ...valid });
  await people.insertOne({ name: 'Bo', email: 'b@x', role: 'admin' });
  await people.insertOne({ name: 'Cy', email: 'c@x', role: 'user', age: 0, tags: [] });
  expect(await people.countDocuments()).toBe(3);
});

test('each violated $jsonSchema keyword rejects the insert with DocumentValidationFailure (121)', async () => {
  const cases: [string, Document][] = [
    ['required', { name: 'Ann', role: 'user' }],
    ['bsonType string', { ...valid, name: 5 }],
    ['minLength', { ...valid, name: 'A' }],
    ['maxLength', { ...valid, name: 'x'.repeat(21) }],
    ['pattern', { ...valid, email: 'not-an-email' }],
    ['enum', { ...valid, role: 'root' }],
    ['minimum', { ...valid, age: -1 }],
    ['maximum', { ...valid, age: 151 }],
    ['bsonType int', { ...valid, age: 30.5 }],
    ['items', { ...valid, tags: ['ok', 1] }],
    ['bsonType array', { ...valid, tags: 'solo' }],
    ['additionalProperties', { ...valid, nickname: 'annie' }],
    ['nested required', { ...valid, address: { zip: '75001' } }],
    ['_id bsonType', { ...valid, _id: 'custom' }],
  ];
  for (const [label, doc] of cases) {
    const err = await serverError(people.insertOne(doc));
    expect([label, err.code]).toEqual([label, 121]);
  }
  expect(await people.countDocuments()).toBe(3);
});

test('the validation error names the failing document and the rule', async () => {
  const _id = new ObjectId();
  const err = await serverError(people.insertOne({ ...valid, _id, role: 'root' }));
  expect(err.code).toBe(121);
  expect(err.errInfo?.failingDocumentId).toEqual(_id);
  expect(err.errInfo?.details?.operatorName).toBe('$jsonSchema');
});

test('insertMany stops at the invalid document', async () => {
  const err = await serverError(
    people.insertMany([
      { name: 'Dee', email: 'd@x', role: 'user' },
      { name: 'Eve', email: 'e@x', role: 'superuser' },
      { name: 'Fay', email: 'f@x', role: 'user' },
    ]),
  );
  expect(err).toBeInstanceOf(MongoBulkWriteError);
  const bulk = err as MongoBulkWriteError;
  expect(bulk.insertedCount).toBe(1);
  const errors = bulk.writeErrors as WriteError | readonly WriteError[];
  const first = Array.isArray(errors) ? (errors as readonly WriteError[])[0] : (errors as WriteError);
  expect(first?.index).toBe(1);
  expect(first?.code).toBe(121);
  await people.deleteOne({ name: 'Dee' });
});

test('updates, replacements and findOneAndUpdate that break the schema are rejected', async () => {
  const { insertedId } = await people.insertOne({ name: 'Gus', email: 'g@x', role: 'user', age: 40 });
  expect((await serverError(people.updateOne({ _id: insertedId }, { $set: { role: 'root' } }))).code).toBe(
    121,
  );
  expect((await serverError(people.updateOne({ _id: insertedId }, { $unset: { email: '' } }))).code).toBe(
    121,
  );
  expect((await serverError(people.updateOne({ _id: insertedId }, { $inc: { age: 200 } }))).code).toBe(121);
  expect((await serverError(people.updateMany({ _id: insertedId }, { $set: { extra: 1 } }))).code).toBe(121);
  expect((await serverError(people.replaceOne({ _id: insertedId }, { name: 'Gus' }))).code).toBe(121);
  expect(
    (
      await serverError(
        people.findOneAndUpdate({ _id: insertedId }, { $set: { name: 'G' } }, { returnDocument: 'after' }),
      )
    ).code,
  ).toBe(121);
  expect(await people.findOne({ _id: insertedId })).toEqual({
    _id: insertedId,
    name: 'Gus',
    email: 'g@x',
    role: 'user',
    age: 40,
  });

  const ok = await people.updateOne({ _id: insertedId }, { $set: { age: 41, tags: ['x'] } });
  expect(ok.modifiedCount).toBe(1);
  await people.deleteOne({ _id: insertedId });
});

test('upserts are validated like inserts', async () => {
  const bad = await serverError(
    people.updateOne({ name: 'Hal' }, { $set: { email: 'h@x' } }, { upsert: true }),
  );
  expect(bad.code).toBe(121);
  expect(await people.countDocuments({ name: 'Hal' })).toBe(0);

  const good = await people.updateOne(
    { name: 'Hal' },
    { $set: { email: 'h@x' }, $setOnInsert: { role: 'user' } },
    { upsert: true },
  );
  expect(good.upsertedCount).toBe(1);
  expect(await people.findOne({ name: 'Hal' }, { projection: { _id: 0 } })).toEqual({
    name: 'Hal',
    email: 'h@x',
    role: 'user',
  });
  await people.deleteOne({ name: 'Hal' });
});

test('collMod replaces the validator; existing documents stay', async () => {
  const before = await people.countDocuments();
  await db.command({
    collMod: 'people',
    validator: { $jsonSchema: { ...schema, required: ['name', 'email', 'role', 'phone'] } },
  });
  const err = await serverError(people.insertOne({ name: 'Ivy', email: 'i@x', role: 'user' }));
  expect(err.code).toBe(121);
  await people.insertOne({ name: 'Ivy', email: 'i@x', role: 'user', phone: '555' });
  expect(await people.countDocuments()).toBe(before + 1);

  const [info] = await db.listCollections({ name: 'people' }).toArray();
  expect((info as Document | undefined)?.options.validator.$jsonSchema.required).toEqual([
    'name',
    'email',
    'role',
    'phone',
  ]);
});

test('query-operator validators are enforced too', async () => {
  await db.createCollection('stock', {
    validator: { $and: [{ qty: { $gte: 0 } }, { status: { $in: ['A', 'B'] } }] },
  });
  const stock = db.collection<Doc>('stock');
  await stock.insertOne({ qty: 3, status: 'A' });
  expect((await serverError(stock.insertOne({ qty: -1, status: 'A' }))).code).toBe(121);
  expect((await serverError(stock.insertOne({ qty: 1, status: 'C' }))).code).toBe(121);
  expect((await serverError(stock.insertOne({ status: 'A' }))).code).toBe(121);
  expect((await serverError(stock.updateOne({ qty: 3 }, { $inc: { qty: -10 } }))).code).toBe(121);
  expect(await stock.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ qty: 3, status: 'A' }]);
});
