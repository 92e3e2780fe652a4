import { codeOf } from '../src/errors.js';
import {
  connectionFromRows,
  decodeCursor,
  decodeDateCursor,
  decodeNumberCursor,
  encodeCursor,
  pageSize,
  decodeListCursor,
} from '../src/pagination.js';

test('page size defaults to 20 and refuses more than 50', () => {
  expect(pageSize(undefined)).toBe(20);
  expect(pageSize(50)).toBe(50);
  for (const bad of [51, 0, -1, 2.5]) {
    expect(() => pageSize(bad)).toThrow('first must be between 1 and 50');
  }
});

test('cursors round-trip and tampered cursors are BAD_USER_INPUT', () => {
  const cursor = encodeCursor(['2026-11-21T08:00:00.000Z', 'p1']);
  expect(decodeCursor(cursor, 2)).toEqual(['2026-11-21T08:00:00.000Z', 'p1']);
  const attempts = [
    '%%%',
    encodeCursor(['only-one']),
    Buffer.from('{"$gt":""}').toString('base64url'),
    'x'.repeat(600),
  ];
  for (const bad of attempts) {
    let code: string | undefined;
    try {
      decodeCursor(bad, 2);
    } catch (error) {
      code = codeOf(error);
    }
    expect(code).toBe('BAD_USER_INPUT');
  }
});

test('a connection uses the extra row only to know there is a next page', () => {
  const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  const page = connectionFromRows(rows, 2, (row) => [row.id]);
  expect(page.edges.map((e) => e.node.id)).toEqual(['a', 'b']);
  expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  expect(decodeCursor(page.pageInfo.endCursor!, 1)).toEqual(['b']);
  const last = connectionFromRows(rows.slice(2), 2, (row) => [row.id]);
  expect(last.pageInfo).toMatchObject({ hasNextPage: false, endCursor: last.edges[0]!.cursor });
  expect(connectionFromRows([], 2, () => []).pageInfo).toEqual({
    hasNextPage: false,
    hasPreviousPage: false,
    startCursor: null,
    endCursor: null,
  });
});

test('date and number cursors decode real positions and refuse impossible ones', () => {
  const at = new Date('2026-01-02T03:04:05.678Z');
  expect(decodeDateCursor(encodeCursor([at.getTime(), 'a']))).toEqual({ date: at, id: 'a' });
  expect(decodeDateCursor(encodeCursor([at.toISOString(), 'a']))).toEqual({ date: at, id: 'a' });
  expect(decodeNumberCursor(encodeCursor([2.5, 'b']))).toEqual({ value: 2.5, id: 'b' });
  const bad = (decode: () => unknown) => {
    try {
      decode();
    } catch (error) {
      return codeOf(error);
    }
    return 'accepted';
  };
  for (const key of [1e300, -1e300, 1.5, 'not a date', null, true]) {
    expect(bad(() => decodeDateCursor(encodeCursor([key, 'a'])))).toBe('BAD_USER_INPUT');
  }
  expect(bad(() => decodeDateCursor(encodeCursor([0, 7])))).toBe('BAD_USER_INPUT');
  expect(bad(() => decodeNumberCursor(encodeCursor(['1', 'b'])))).toBe('BAD_USER_INPUT');
  expect(bad(() => decodeNumberCursor(encodeCursor([1, null])))).toBe('BAD_USER_INPUT');
});

test('a list cursor is accepted by its own list only', () => {
  const cursor = encodeCursor(['feed', 1700000000000, 'abc']);
  expect(decodeListCursor('feed', cursor, 2)).toEqual([1700000000000, 'abc']);
  expect(() => decodeListCursor('explore', cursor, 2, 'before')).toThrow(
    'before is not a cursor of this list',
  );
  expect(() => decodeListCursor('feed', cursor, 3)).toThrow('after is not a valid cursor');
});
