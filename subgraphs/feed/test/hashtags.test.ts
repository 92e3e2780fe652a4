/**
 * Hashtags (counts, posts by tag, trending by the seed's score, recalculated by the scheduled
 * job, here every 300 ms) and full-text search.
 */
import { idsOf, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed({ FEED_TRENDING_INTERVAL_MS: '300' });
});
afterAll(async () => {
  await bed?.stop();
});

const unique = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 8)}`;

const HASHTAG = `query ($tag: String!, $after: String) { hashtag(tag: $tag) { tag count trendScore lastUsedAt
  posts(first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;
const TRENDING = `query ($first: Int) { trendingHashtags(first: $first) { tag count trendScore } }`;
const SEARCH = `query ($q: String!, $first: Int, $after: String) { searchPosts(query: $q, first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id content } } } }`;

type Tag = { tag: string; count: number; trendScore: number };

test('a tag’s count and posts, matched case-insensitively with or without #', async () => {
  const [author, friend] = await bed.members(2);
  await bed.befriend(author, friend);
  const tag = unique('Tag_');
  const ids: string[] = [];
  for (let i = 0; i < 3; i += 1)
    ids.push(await bed.post(author, { content: `#${tag} number ${i}`, visibility: 'FRIENDS' }));
  await bed.post(author, { content: `not tagged ${tag}`, visibility: 'PUBLIC' });
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: {
      hashtag: Tag & {
        lastUsedAt: string;
        posts: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: never[] };
      };
    } = await bed.run(HASHTAG, { tag: `#${tag.toUpperCase()}`, after }, friend);
    expect(data.hashtag).toMatchObject({ tag: tag.toLowerCase(), count: 3 });
    seen.push(...idsOf(data.hashtag.posts));
    if (!data.hashtag.posts.pageInfo.hasNextPage) break;
    after = data.hashtag.posts.pageInfo.endCursor;
  }
  expect(seen).toEqual([...ids].reverse());
  expect(await bed.run('{ hashtag(tag: "never_used_tag_xyz") { tag } }', {}, friend)).toEqual({
    hashtag: null,
  });
  expect(await bed.run('{ hashtag(tag: "not a tag!") { tag } }', {}, friend)).toEqual({ hashtag: null });
  expect(await bed.failure('{ postsByHashtag(tag: "bad tag") { edges { node { id } } } }', {}, friend)).toBe(
    'BAD_USER_INPUT',
  );
});

test('trending: the seed’s score over 24 h, 7 d and 30 d, highest first, ties by count', async () => {
  const author = await bed.member();
  const [hot, old, fresh, stale] = ['hot', 'old', 'fresh', 'stale'].map((name) => unique(`${name}_`)) as [
    string,
    string,
    string,
    string,
  ];
  const uses: Array<[string, number]> = [
    [hot, 3],
    [old, 5],
    [fresh, 1],
    [stale, 2],
  ];
  for (const [tag, count] of uses) {
    for (let i = 0; i < count; i += 1)
      await bed.post(author, { content: `using #${tag}`, visibility: 'PUBLIC' });
  }
  // Time passes for two of them: `old` was used 8 days ago, `stale` 40 days ago.
  const uses8d = new Date(Date.now() - 8 * 86400000);
  await bed.db.collection('hashtag_uses').updateMany({ tag: old }, { $set: { usedAt: uses8d } });
  await bed.db
    .collection('hashtag_uses')
    .updateMany({ tag: stale }, { $set: { usedAt: new Date(Date.now() - 40 * 86400000) } });

  // hot: 3 × (0.5 + 0.3 + 0.2) = 3; old: 5 × 0.2 = 1; fresh: 1 × 1 = 1 (fewer uses than old); stale: 0.
  const ours = new Set<string>([hot, old, fresh, stale]);
  const trending = await bed.eventually(
    async () =>
      (await bed.run<{ trendingHashtags: Tag[] }>(TRENDING, { first: 50 }, author)).trendingHashtags.filter(
        (entry) => ours.has(entry.tag),
      ),
    (entries) => entries.length === 3 && entries[1]?.trendScore === 1,
  );
  expect(trending).toEqual([
    { tag: hot, count: 3, trendScore: 3 },
    { tag: old, count: 5, trendScore: 1 },
    { tag: fresh, count: 1, trendScore: 1 },
  ]);
  const top = await bed.run<{ trendingHashtags: Tag[] }>(TRENDING, { first: 1 }, author);
  expect(top.trendingHashtags).toHaveLength(1);
  expect(await bed.failure(TRENDING, { first: 0 }, author)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(TRENDING, { first: 51 }, author)).toBe('BAD_USER_INPUT');
});

test('search: best match first, pages without repeats, visible posts only', async () => {
  const [author, reader] = await bed.members(2);
  const word = unique('zebra');
  const other = unique('lion');
  const best = await bed.post(author, { content: `${word} ${word} ${word} ${other}`, visibility: 'PUBLIC' });
  const some: string[] = [];
  for (let i = 0; i < 4; i += 1)
    some.push(
      await bed.post(author, { content: `a ${word} among many other words ${i}`, visibility: 'PUBLIC' }),
    );
  await bed.post(author, { content: `${word} for friends`, visibility: 'FRIENDS' });
  await bed.post(author, { content: `nothing to see`, visibility: 'PUBLIC' });
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { searchPosts: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: never[] } } =
      await bed.run(SEARCH, { q: word, first: 2, after }, reader);
    ids.push(...idsOf(data.searchPosts));
    if (!data.searchPosts.pageInfo.hasNextPage) break;
    after = data.searchPosts.pageInfo.endCursor;
  }
  expect(ids[0]).toBe(best);
  expect([...ids].sort()).toEqual([best, ...some].sort());
  expect(await bed.failure(SEARCH, { q: '' }, reader)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(SEARCH, { q: 'x'.repeat(201) }, reader)).toBe('BAD_USER_INPUT');
});
