/**
 * The home feed (whose posts, in which order, stable pages while posts arrive) and explore.
 */
import type { TestAccount } from '@social/testing';
import { idsOf, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed();
});
afterAll(async () => {
  await bed?.stop();
});

const FEED = `query ($first: Int, $after: String) { feed(first: $first, after: $after) {
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id author { id } } } } }`;
const EXPLORE = `query ($first: Int, $after: String) { explore(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id likesCount commentsCount sharesCount } } } }`;

interface Page {
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  edges: Array<{ node: { id: string } }>;
}

async function wholeFeed(viewer: TestAccount, first: number, between?: (page: number) => Promise<void>) {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; ; page += 1) {
    const data: { feed: Page } = await bed.run<{ feed: Page }>(FEED, { first, after }, viewer);
    expect(data.feed.pageInfo.hasPreviousPage).toBe(after !== null);
    ids.push(...idsOf(data.feed));
    await between?.(page);
    if (!data.feed.pageInfo.hasNextPage) break;
    after = data.feed.pageInfo.endCursor;
  }
  return ids;
}

test('own posts and those of friends and followed users, newest first; not strangers’', async () => {
  const [viewer, friend, followed, stranger, follower] = await bed.members(5);
  await bed.befriend(viewer, friend);
  await bed.follow(viewer, followed);
  await bed.follow(follower, viewer);
  const expected: string[] = [];
  for (const [author, visibility] of [
    [friend, 'FRIENDS'],
    [followed, 'PUBLIC'],
    [viewer, 'PRIVATE'],
    [stranger, 'PUBLIC'],
    [follower, 'PUBLIC'],
    [followed, 'FRIENDS'],
    [friend, 'PUBLIC'],
  ] as const) {
    const id = await bed.post(author, { content: `by ${author.username}`, visibility });
    const reaches =
      author === friend || author === viewer || (author === followed && visibility === 'PUBLIC');
    if (reaches) expected.unshift(id);
  }
  expect(await wholeFeed(viewer, 20)).toEqual(expected);

  // Unfollowing takes the followed user's posts out; unfriending the friend's.
  await bed.run('mutation ($id: ID!) { unfollow(userId: $id) { id } }', { id: followed.id }, viewer);
  await bed.run('mutation ($id: ID!) { removeFriend(userId: $id) { id } }', { id: friend.id }, viewer);
  await bed.eventually(
    () => wholeFeed(viewer, 20),
    (ids) => ids.length === 1,
  );
});

test('pages have no duplicates or gaps while new posts arrive, ties on time included', async () => {
  const [viewer, ...authors] = await bed.members(4);
  for (const author of authors) await bed.follow(viewer!, author);
  // Posts made at once often share a millisecond: the id breaks the tie.
  const made = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      bed.post(authors[i % 3]!, { content: `p${i}`, visibility: 'PUBLIC' }),
    ),
  );
  const stored = await bed.db
    .collection('posts')
    .find({ userId: { $in: authors.map((author) => author!.id) } })
    .sort({ createdAt: -1, _id: -1 })
    .toArray();
  const newestFirst = stored.map((post) => post._id.toHexString());
  expect([...newestFirst].sort()).toEqual([...made].sort());

  const arrived: string[] = [];
  const seen = await wholeFeed(viewer!, 5, async () => {
    arrived.push(await bed.post(authors[0]!, { content: 'late', visibility: 'PUBLIC' }));
  });
  expect(seen).toEqual(newestFirst);
  // A fresh read starts with what arrived meanwhile.
  expect(await wholeFeed(viewer!, 50)).toEqual([...arrived.reverse(), ...newestFirst]);
  expect(await bed.failure(FEED, { first: 51 }, viewer)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(FEED, { after: 'garbage' }, viewer)).toBe('BAD_USER_INPUT');
});

test('explore ranks recent public posts by engagement, without blocked authors', async () => {
  const [viewer, author, other, blockedAuthor, fan] = await bed.members(5);
  const quiet = await bed.post(author, { content: 'quiet', visibility: 'PUBLIC' });
  const liked = await bed.post(author, { content: 'liked', visibility: 'PUBLIC' });
  const discussed = await bed.post(other, { content: 'discussed', visibility: 'PUBLIC' });
  const shared = await bed.post(other, { content: 'shared', visibility: 'PUBLIC' });
  const hidden = await bed.post(author, { content: 'friends only', visibility: 'FRIENDS' });
  const fromBlocked = await bed.post(blockedAuthor, { content: 'blocked', visibility: 'PUBLIC' });
  await bed.block(viewer, blockedAuthor);
  const react =
    'mutation ($id: ID!) { react(input: { entityId: $id, entityType: POST, reaction: LIKE }) { id } }';
  for (const who of [viewer, other, fan]) await bed.run(react, { id: liked }, who); // score 3
  await bed.run(
    'mutation ($id: ID!) { addComment(input: { postId: $id, content: "hm" }) { id } }',
    { id: discussed },
    fan,
  ); // 2
  await bed.run('mutation ($id: ID!) { sharePost(input: { postId: $id }) { id } }', { id: shared }, fan); // 3 + newer
  for (const who of [other, fan]) await bed.run(react, { id: fromBlocked }, who);

  const ours = new Set([quiet, liked, discussed, shared, hidden, fromBlocked]);
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { explore: Page } = await bed.run<{ explore: Page }>(EXPLORE, { first: 2, after }, viewer);
    ids.push(...idsOf(data.explore).filter((id) => ours.has(id)));
    if (!data.explore.pageInfo.hasNextPage) break;
    after = data.explore.pageInfo.endCursor;
  }
  expect(ids).toEqual([shared, liked, discussed, quiet]);
  // Old posts leave explore.
  await bed.db
    .collection('posts')
    .updateMany({ content: 'liked' }, { $set: { createdAt: new Date(Date.now() - 8 * 86400000) } });
  const later = await bed.run<{ explore: Page }>(EXPLORE, { first: 50 }, viewer);
  expect(idsOf(later.explore).filter((id) => ours.has(id))).toEqual([shared, discussed, quiet]);
});
