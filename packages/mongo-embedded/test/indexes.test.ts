// Index key extraction and constraints, at the index and collection level.
import { Long, ObjectId, UUID } from 'bson';
import { Collection } from '../src/collection.js';
import { CommandError } from '../src/errors.js';
import { defaultIndexName, Index, normalizeIndexSpec } from '../src/indexes.js';
import { toQueryForm } from '../src/query-form.js';
import type { Doc } from '../src/values.js';

function index(key: Doc, options: Doc = {}): Index {
  return new Index(normalizeIndexSpec({ key, name: defaultIndexName(key), ...options }));
}

function keysOf(idx: Index, doc: Doc) {
  return idx.keysFor(doc, toQueryForm(doc));
}

function collection(): Collection {
  let clock = 0;
  return new Collection(
    'db',
    'c',
    new UUID(),
    {},
    { tick: () => ++clock, nextSeq: () => ++clock, committed: () => undefined },
  );
}

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof CommandError) return error.code;
    throw error;
  }
  return undefined;
}

describe('key extraction', () => {
  test('a missing field is indexed as null; an array gives one key per element', () => {
    const idx = index({ a: 1 });
    expect(keysOf(idx, {})?.values).toEqual([[null]]);
    expect(keysOf(idx, { a: [1, 2, 2] })?.values).toEqual([[1], [2]]);
    expect(idx.multikey).toBe(true);
    expect(keysOf(idx, { a: [] })?.keys).toEqual(['E']);
  });

  test('dotted paths descend into arrays of documents', () => {
    const idx = index({ 'a.b': 1 });
    expect(keysOf(idx, { a: [{ b: 1 }, { b: 2 }, { c: 3 }] })?.values).toEqual([[1], [2], [null]]);
    expect(keysOf(idx, { a: { b: 'x' } })?.values).toEqual([['x']]);
  });

  test('numbers of different bson types share a key; strings do not', () => {
    const idx = index({ n: 1 });
    expect(keysOf(idx, { n: 5 })?.keys).toEqual(keysOf(idx, { n: Long.fromNumber(5) })?.keys);
    expect(keysOf(idx, { n: 5 })?.keys).not.toEqual(keysOf(idx, { n: '5' })?.keys);
  });

  test('compound keys combine fields; two array fields are refused (171)', () => {
    const idx = index({ a: 1, b: -1 });
    expect(keysOf(idx, { a: 1, b: [2, 3] })?.values).toEqual([
      [1, 2],
      [1, 3],
    ]);
    expect(keysOf(idx, { a: 1, b: [2, 3] })?.lead).toHaveLength(1);
    expect(code(() => keysOf(idx, { a: [1], b: [2, 3] }))).toBe(171);
  });

  test('sparse indexes skip documents without any indexed field', () => {
    const idx = index({ a: 1, b: 1 }, { sparse: true });
    expect(keysOf(idx, { c: 1 })).toBeUndefined();
    expect(keysOf(idx, { b: 1 })?.values).toEqual([[null, 1]]);
  });

  test('partial indexes only hold documents matching the filter', () => {
    const idx = index({ email: 1 }, { unique: true, partialFilterExpression: { active: true } });
    expect(keysOf(idx, { email: 'x', active: false })).toBeUndefined();
    expect(keysOf(idx, { email: 'x', active: true })?.values).toEqual([['x']]);
  });
});

describe('index specifications', () => {
  test('default names and text index shapes', () => {
    expect(defaultIndexName({ a: 1, 'b.c': -1 })).toBe('a_1_b.c_-1');
    const text = normalizeIndexSpec({
      key: { title: 'text', body: 'text' },
      name: 'title_text_body_text',
      weights: { title: 5 },
    });
    expect(text.key).toEqual({ _fts: 'text', _ftsx: 1 });
    expect(text.weights).toEqual({ title: 5, body: 1 });
    expect(text.default_language).toBe('english');
  });

  test.each([
    [{ key: {}, name: 'x' }, 67],
    [{ key: { a: 'nope' }, name: 'x' }, 67],
    [{ key: { a: 0 }, name: 'x' }, 67],
    [{ key: { a: 1 } }, 9],
    [{ key: { a: 1, b: 1 }, name: 'x', expireAfterSeconds: 5 }, 67],
    [{ key: { a: 1 }, name: 'x', sparse: true, partialFilterExpression: { a: 1 } }, 67],
    [{ key: { a: 1 }, name: 'x', bogus: true }, 197],
  ])('%j is rejected with %d', (spec, expected) => {
    expect(code(() => normalizeIndexSpec(spec))).toBe(expected);
  });
});

describe('unique constraints in a collection', () => {
  test('duplicates fail on insert and replace with E11000, keyPattern and keyValue', () => {
    const coll = collection();
    coll.buildIndex(normalizeIndexSpec({ key: { email: 1 }, name: 'email_1', unique: true }));
    coll.insert({ _id: 1, email: 'a' });
    const second = coll.insert({ _id: 2, email: 'b' });
    let error: CommandError | undefined;
    try {
      coll.insert({ _id: 3, email: 'a' });
    } catch (e) {
      error = e as CommandError;
    }
    expect(error?.code).toBe(11000);
    expect(error?.message).toBe(
      'E11000 duplicate key error collection: db.c index: email_1 dup key: { email: "a" }',
    );
    expect(error?.extra).toEqual({ keyPattern: { email: 1 }, keyValue: { email: 'a' } });
    expect(code(() => coll.replace(second, { _id: 2, email: 'a' }))).toBe(11000);
    expect(code(() => coll.insert({ _id: 1, email: 'z' }))).toBe(11000);
    // Replacing a document with itself keeps its own key.
    expect(() => coll.replace(second, { _id: 2, email: 'b', n: 1 })).not.toThrow();
    expect(coll.records.size).toBe(2);
  });

  test('missing fields collide in a plain unique index but not in a sparse one', () => {
    const plain = collection();
    plain.buildIndex(normalizeIndexSpec({ key: { e: 1 }, name: 'e_1', unique: true }));
    plain.insert({ _id: 1 });
    expect(code(() => plain.insert({ _id: 2 }))).toBe(11000);
    const sparse = collection();
    sparse.buildIndex(normalizeIndexSpec({ key: { e: 1 }, name: 'e_1', unique: true, sparse: true }));
    sparse.insert({ _id: 1 });
    expect(() => sparse.insert({ _id: 2 })).not.toThrow();
  });

  test('compound unique indexes constrain the combination', () => {
    const coll = collection();
    coll.buildIndex(normalizeIndexSpec({ key: { a: 1, b: 1 }, name: 'a_1_b_1', unique: true }));
    coll.insert({ _id: 1, a: 1, b: 1 });
    coll.insert({ _id: 2, a: 1, b: 2 });
    expect(code(() => coll.insert({ _id: 3, a: 1, b: 1 }))).toBe(11000);
  });

  test('building a unique index over duplicates fails and leaves nothing behind', () => {
    const coll = collection();
    coll.insert({ _id: new ObjectId(), k: 1 });
    coll.insert({ _id: new ObjectId(), k: 1 });
    expect(
      code(() => coll.buildIndex(normalizeIndexSpec({ key: { k: 1 }, name: 'k_1', unique: true }))),
    ).toBe(11000);
    expect(coll.indexes.size).toBe(0);
  });

  test('a committing batch is checked as a whole (values may swap) and is all-or-nothing', () => {
    const coll = collection();
    coll.buildIndex(normalizeIndexSpec({ key: { k: 1 }, name: 'k_1', unique: true }));
    const a = coll.insert({ _id: 1, k: 'x' });
    const b = coll.insert({ _id: 2, k: 'y' });
    coll.applyBatch([
      { id: a.id, baseV: a.v, doc: { _id: 1, k: 'y' } },
      { id: b.id, baseV: b.v, doc: { _id: 2, k: 'x' } },
    ]);
    expect(coll.get(a.id)?.doc.k).toBe('y');
    const a2 = coll.get(a.id);
    expect(code(() => coll.applyBatch([{ id: '3', baseV: null, doc: { _id: 3, k: 'y' } }]))).toBe(11000);
    expect(code(() => coll.applyBatch([{ id: a.id, baseV: a.v, doc: { _id: 1, k: 'z' } }]))).toBe(112);
    expect(coll.get(a.id)).toBe(a2);
    expect(coll.records.size).toBe(2);
  });
});
