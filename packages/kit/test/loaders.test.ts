import { createBatchLoader, createGroupLoader, createOrderedLoader } from '../src/loaders.js';

test('one batch fetch serves every load of a tick, in key order, with null for missing keys', async () => {
  const calls: string[][] = [];
  const loader = createBatchLoader(
    async (ids: readonly string[]) => {
      calls.push([...ids]);
      return ids
        .filter((id) => id !== 'missing')
        .map((id) => ({ id, name: id.toUpperCase() }))
        .reverse();
    },
    (row) => row.id,
  );
  const results = await Promise.all(['a', 'missing', 'b', 'a'].map((id) => loader.load(id)));
  expect(results).toEqual([{ id: 'a', name: 'A' }, null, { id: 'b', name: 'B' }, { id: 'a', name: 'A' }]);
  expect(calls).toEqual([['a', 'missing', 'b']]);
});

test('group loaders give every key its list, empty when nothing matched', async () => {
  let fetches = 0;
  const comments = createGroupLoader(
    async (postIds: readonly string[]) => {
      fetches += 1;
      return [
        { postId: 'p1', text: 'first' },
        { postId: 'p2', text: 'other' },
        { postId: 'p1', text: 'second' },
      ].filter((c) => postIds.includes(c.postId));
    },
    (row) => row.postId,
  );
  const [p1, p2, p3] = await Promise.all(['p1', 'p2', 'p3'].map((id) => comments.load(id)));
  expect(p1!.map((c) => c.text)).toEqual(['first', 'second']);
  expect(p2!.map((c) => c.text)).toEqual(['other']);
  expect(p3).toEqual([]);
  expect(fetches).toBe(1);
});

test('ordered loaders batch a tick into one call and refuse an answer of the wrong length', async () => {
  const calls: string[][] = [];
  const online = createOrderedLoader(async (ids: readonly string[]) => {
    calls.push([...ids]);
    return ids.map((id) => id.startsWith('on'));
  });
  await expect(Promise.all([online.load('on-1'), online.load('off-2')])).resolves.toEqual([true, false]);
  expect(calls).toEqual([['on-1', 'off-2']]);
  const broken = createOrderedLoader(async () => [true]);
  await expect(Promise.all([broken.load('a'), broken.load('b')])).rejects.toThrow(
    'Batch answered 1 values for 2 keys',
  );
});
