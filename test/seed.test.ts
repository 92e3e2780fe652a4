/**
 * `npm run seed` (scripts/seed.ts) writes straight into every service's store; this seeds a small
 * data set into a running supergraph and checks, through the gateway only, what a seeded user
 * sees: they can log in with the seed's password, their home feed holds their own, their friends'
 * and their followees' posts in order with authors, counts, reactions, media and comments as
 * seeded, and the photos are served.
 */
import { startSupergraph, type Supergraph } from '@social/testing';
import { seedDataset, type SeedSummary, type SeededPost } from '../scripts/seed.js';

let supergraph: Supergraph;
let summary: SeedSummary;
let origin: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ env: { BCRYPT_COST: '4' } });
  origin = new URL(supergraph.subgraphUrls.media).origin;
  summary = await seedDataset(
    {
      databaseUrl: supergraph.databaseUrl,
      mongoUrl: supergraph.mongoUrl,
      mongoDbPrefix: supergraph.mongoDbPrefix,
      mediaStorageDir: supergraph.mediaStorageDir,
      mediaOrigin: origin,
    },
    { users: 60, posts: 900, friends: 8, follows: 4, comments: 2, reactions: 4, seed: 7, bcryptCost: 4 },
  );
}, 120_000);
afterAll(async () => {
  await supergraph?.stop();
});

const FEED = `query ($first: Int) { feed(first: $first) {
  edges { node {
    id createdAt visibility
    author { id username displayName avatarUrl }
    media { id url thumbnailUrl }
    likesCount commentsCount viewerReaction reactionsSummary { reaction count }
    topComments(first: 2) { id content author { id displayName } }
  } } } }`;

interface FeedNode {
  id: string;
  createdAt: string;
  visibility: string;
  author: { id: string; username: string; displayName: string; avatarUrl: string | null };
  media: { id: string; url: string; thumbnailUrl: string | null }[];
  likesCount: number;
  commentsCount: number;
  viewerReaction: string | null;
  reactionsSummary: { reaction: string; count: number }[];
  topComments: { id: string; content: string; author: { id: string; displayName: string } }[];
}

/** The posts the home feed should list for the user at `viewer` (index), newest first. */
function expectedFeed(viewer: number): SeededPost[] {
  const users = summary.users;
  const friends = new Set(summary.friendsOf[viewer]!.map((i) => users[i]!.id));
  const following = new Set(summary.followingOf[viewer]!.map((i) => users[i]!.id));
  const blocked = new Set(
    summary.blocks
      .filter(([a, b]) => a === viewer || b === viewer)
      .map(([a, b]) => users[a === viewer ? b : a]!.id),
  );
  const me = users[viewer]!.id;
  return summary.posts
    .filter((post) => {
      if (post.authorId === me) return true;
      if (blocked.has(post.authorId)) return false;
      if (!friends.has(post.authorId) && !following.has(post.authorId)) return false;
      return post.visibility === 'Public' || (post.visibility === 'Friends' && friends.has(post.authorId));
    })
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
}

test('the data set has the requested size and a skewed graph', () => {
  expect(summary.counts.users).toBe(60);
  expect(summary.counts.posts).toBe(900);
  expect(summary.counts.friendships).toBe(240);
  expect(summary.counts.reactions).toBeGreaterThan(900);
  expect(summary.counts.comments).toBeGreaterThan(600);
  const degrees = summary.friendsOf.map((friends) => friends.length).sort((a, b) => b - a);
  // Power-law-ish: the most connected user has several times the median's friends.
  expect(degrees[0]!).toBeGreaterThanOrEqual(3 * degrees[30]!);
});

test('a seeded user logs in and sees friends’ posts in the home feed as seeded', async () => {
  // The best connected user: their feed mixes friends' FRIENDS posts and followees' PUBLIC ones.
  const viewer = summary.friendsOf
    .map((friends, index) => ({ index, degree: friends.length }))
    .sort((a, b) => b.degree - a.degree)[0]!.index;
  const user = summary.users[viewer]!;
  const session = await supergraph.login(user.username, summary.options.password);
  const response = await supergraph.query<{ feed: { edges: { node: FeedNode }[] } }>(
    FEED,
    { first: 30 },
    { token: session.token },
  );
  expect(response.errors).toBeUndefined();
  const nodes = response.data!.feed.edges.map((edge) => edge.node);
  const expected = expectedFeed(viewer).slice(0, 30);
  expect(nodes.map((node) => node.id)).toEqual(expected.map((post) => post.id));
  const friendIds = new Set(summary.friendsOf[viewer]!.map((i) => summary.users[i]!.id));
  expect(nodes.some((node) => friendIds.has(node.author.id))).toBe(true);
  expect(nodes.some((node) => node.visibility === 'FRIENDS' && node.author.id !== user.id)).toBe(true);

  const usersById = new Map(summary.users.map((seeded) => [seeded.id, seeded]));
  for (const [i, node] of nodes.entries()) {
    const post = expected[i]!;
    const author = usersById.get(post.authorId)!;
    expect(node.author).toEqual({
      id: author.id,
      username: author.username,
      displayName: author.displayName,
      avatarUrl: author.avatarUrl,
    });
    expect(node.likesCount).toBe(post.likesCount);
    expect(node.commentsCount).toBe(post.commentsCount);
    const summaryCounts = Object.fromEntries(node.reactionsSummary.map((r) => [r.reaction, r.count]));
    expect(summaryCounts).toEqual(
      Object.fromEntries(
        Object.entries(post.reactionCounts).map(([reaction, count]) => [reaction.toUpperCase(), count]),
      ),
    );
    expect(node.media.map((file) => file.id)).toEqual(post.mediaIds);
    for (const file of node.media) expect(file.url).toBe(`${origin}/media/${file.id}/original`);
    if (post.commentsCount > 0) expect(node.topComments.length).toBeGreaterThan(0);
    for (const comment of node.topComments) expect(comment.author.displayName).toBeTruthy();
  }

  // Photos are real files, served by media.
  const withMedia = nodes.find((node) => node.media.length > 0) ?? (await firstPhotoPost(session.token));
  const photo = await fetch(withMedia.media[0]!.thumbnailUrl!);
  expect(photo.status).toBe(200);
  expect(photo.headers.get('content-type')).toBe('image/webp');
  expect((await photo.arrayBuffer()).byteLength).toBeGreaterThan(100);
}, 60_000);

test('profiles carry the seeded counters', async () => {
  const viewer = summary.users[0]!;
  const session = await supergraph.login(viewer.email, summary.options.password);
  // The most followed public profile other than the viewer's.
  const followersOf = summary.users.map(
    (_, i) => summary.followingOf.filter((list) => list.includes(i)).length,
  );
  const target = summary.users
    .map((user, index) => ({ user, index }))
    .filter(({ user, index }) => index > 0 && user.profileVisibility === 'Public')
    .sort((a, b) => followersOf[b.index]! - followersOf[a.index]!)[0]!;
  const response = await supergraph.query<{
    profile: { id: string; friendsCount: number | null; followersCount: number | null } | null;
  }>(
    'query ($username: String!) { profile(username: $username) { id friendsCount followersCount } }',
    { username: target.user.username },
    { token: session.token },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data!.profile).toEqual({
    id: target.user.id,
    friendsCount: summary.friendsOf[target.index]!.length,
    followersCount: followersOf[target.index]!,
  });
});

/** A photo post from anywhere in the viewer's feed, when the first page had none. */
async function firstPhotoPost(token: string): Promise<FeedNode> {
  const response = await supergraph.query<{ feed: { edges: { node: FeedNode }[] } }>(
    FEED,
    { first: 100 },
    { token },
  );
  const node = response.data?.feed.edges.map((edge) => edge.node).find((each) => each.media.length > 0);
  if (!node) throw new Error('no photo post in the feed');
  return node;
}
