// The server's own fast paths for query operators answer exactly as mingo's: every filter below
// is run over every document both by compileFilter (the server's predicates) and by a plain mingo
// Query with mingo's stock operators, on the same query-form documents.
import { Context } from 'mingo/core';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import { ObjectId, type Document } from 'mongodb';
import { compileFilter } from '../src/mingo.js';
import { toQueryForm } from '../src/query-form.js';
import type { Doc } from '../src/values.js';
import { startWithClient, type Harness } from './helpers.js';

const a = new ObjectId('64b000000000000000000001');
const b = new ObjectId('64b000000000000000000002');

const DOCS: Doc[] = [
  {},
  { v: null },
  { v: 'x' },
  { v: 'y' },
  { v: 1 },
  { v: 1.5 },
  { v: Number.NaN },
  { v: true },
  { v: a },
  { v: new ObjectId(a.toHexString()) },
  { v: b },
  { v: a.toHexString() },
  { v: ['x', 'z'] },
  { v: [['x'], 'q'] },
  { v: [null, 'q'] },
  { v: [] },
  { v: [a, 2] },
  { v: { x: 1 } },
  { v: new Date(0) },
  { n: { v: 'x' } },
  { n: [{ v: 'y' }, { v: 'w' }] },
  { n: [{ v: ['x'] }, { u: 1 }] },
];

const LISTS: unknown[][] = [
  [],
  ['x'],
  ['x', 'y', 'q'],
  [1, 2],
  [Number.NaN],
  [true, 'x'],
  [a],
  [b, 'y', 1],
  [a.toHexString()],
  // Lists the fast path leaves to mingo: null, regexes, documents, arrays, dates.
  [null, 'x'],
  [/^x/],
  [{ x: 1 }],
  [['x']],
  [new Date(0)],
];

const stock = Context.init({ query: { ...queryOperators } as never });

describe('query operator fast paths agree with mingo', () => {
  test.each(['$in', '$nin'])('%s on plain, nested and array fields', (operator) => {
    let compared = 0;
    for (const list of LISTS) {
      for (const path of ['v', 'n.v']) {
        const filter = { [path]: { [operator]: list } };
        const ours = compileFilter(filter);
        const theirs = new Query(toQueryForm(filter), { context: stock });
        for (const doc of DOCS) {
          const q = toQueryForm(doc);
          expect([filter, doc, ours(q)]).toEqual([filter, doc, theirs.test(q)]);
          compared += 1;
        }
      }
    }
    expect(compared).toBe(LISTS.length * 2 * DOCS.length);
  });
});

describe('indexed queries with a sort and a small limit', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startWithClient();
  });

  afterAll(async () => {
    await h.close();
  });

  test('pages are the first matches in sort order, ties in natural order, whatever the filter', async () => {
    const coll = h.client.db('q').collection<Document>('sorted_pages');
    await coll.createIndex({ user: 1 });
    // 300 posts of 6 users: days repeat (ties), some deleted, some private.
    const docs = Array.from({ length: 300 }, (_, i) => ({
      _id: i,
      user: `u${i % 6}`,
      day: (i * 7) % 40,
      deleted: i % 5 === 0,
      visibility: i % 3 === 0 ? 'private' : 'public',
      tags: i % 4 === 0 ? ['a', 'b'] : 'c',
    }));
    await coll.insertMany(docs as Document[]);
    const users = ['u0', 'u2', 'u3', 'u5'];
    const filter = {
      user: { $in: users },
      deleted: false,
      $or: [{ visibility: 'public' }, { user: 'u0', tags: 'a' }],
    };
    const matches = (d: (typeof docs)[number]) =>
      users.includes(d.user) &&
      !d.deleted &&
      (d.visibility === 'public' || (d.user === 'u0' && Array.isArray(d.tags) && d.tags.includes('a')));
    // Stable sorts of the natural order: what the server's ties keep.
    const byDay = docs.filter(matches).sort((a, b) => b.day - a.day);
    for (const [skip, limit] of [
      [0, 1],
      [0, 11],
      [5, 10],
      [30, 7],
    ] as const) {
      const page = await coll.find(filter).sort({ day: -1 }).skip(skip).limit(limit).toArray();
      expect(page.map((d) => d._id)).toEqual(byDay.slice(skip, skip + limit).map((d) => d._id));
    }
    const byTagsThenDay = await coll.find(filter).sort({ tags: 1, day: 1 }).limit(9).toArray();
    const tagOf = (d: (typeof docs)[number]) => (Array.isArray(d.tags) ? 'a' : d.tags);
    expect(byTagsThenDay.map((d) => d._id)).toEqual(
      docs
        .filter(matches)
        .sort((a, b) => tagOf(a).localeCompare(tagOf(b)) || a.day - b.day)
        .slice(0, 9)
        .map((d) => d._id),
    );
    const explained = (await coll
      .find(filter)
      .sort({ day: -1 })
      .limit(3)
      .explain('executionStats')) as Document;
    expect(explained.executionStats.totalDocsExamined).toBe(
      docs.filter((d) => users.includes(d.user)).length,
    );
  });
});
