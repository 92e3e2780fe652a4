/**
 * Who sees which post, by every path: post(id), entity references, a user's posts, the home feed,
 * search, hashtags, comments and reactions. Viewers: the author, a friend, a follower, a stranger,
 * a member of a CUSTOM audience, a user the author blocked, a user who blocked the author, and
 * nobody signed in.
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

const word = () => `w${Math.random().toString(36).slice(2, 10)}`;

const POST = `query ($id: ID!) { post(id: $id) { id } }`;
const COMMENT = `query ($id: ID!) { comment(id: $id) { id content post { id } } }`;
const USER_POSTS = `query ($id: ID!) { userPosts(userId: $id, first: 50) { edges { node { id } } } }`;
const FEED = `{ feed(first: 50) { edges { node { id } } } }`;
const SEARCH = `query ($q: String!) { searchPosts(query: $q, first: 50) { edges { node { id } } } }`;
const BY_TAG = `query ($tag: String!) { postsByHashtag(tag: $tag, first: 50) { edges { node { id } } } }`;
const ENTITIES = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Post { id } ... on Comment { id } } }`;
const REACT = `mutation ($id: ID!) { react(input: { entityId: $id, entityType: POST, reaction: LIKE }) { id likesCount } }`;
const ADD_COMMENT = `mutation ($postId: ID!, $content: String!) { addComment(input: { postId: $postId, content: $content }) { id } }`;

interface World {
  author: TestAccount;
  viewers: Record<string, TestAccount | undefined>;
  posts: Record<'public' | 'friends' | 'private' | 'custom', string>;
  comments: Record<'public' | 'friends' | 'private' | 'custom', string>;
  term: string;
  tag: string;
}

let world: World;

beforeAll(async () => {
  const [author, friend, follower, stranger, member, blocked, blocker] = await bed.members(7);
  await bed.befriend(author, friend);
  await bed.follow(follower, author);
  await bed.follow(member, author);
  await bed.follow(blocked, author);
  await bed.block(author, blocked);
  await bed.block(blocker, author);
  const term = word();
  const tag = word();
  const make = (visibility: string, extra: Record<string, unknown> = {}) =>
    bed.post(author, { content: `${term} ${visibility} #${tag}`, visibility, ...extra });
  const posts = {
    public: await make('PUBLIC'),
    friends: await make('FRIENDS'),
    private: await make('PRIVATE'),
    custom: await make('CUSTOM', { audienceUserIds: [member.id] }),
  };
  const comments = {} as World['comments'];
  for (const [key, postId] of Object.entries(posts) as [keyof typeof posts, string][]) {
    const data = await bed.run<{ addComment: { id: string } }>(
      ADD_COMMENT,
      { postId, content: `on ${key}` },
      author,
    );
    comments[key] = data.addComment.id;
  }
  world = {
    author,
    viewers: { author, friend, follower, stranger, member, blocked, blocker, anonymous: undefined },
    posts,
    comments,
    term,
    tag,
  };
});

/** Which of the author's posts each viewer may see. */
const EXPECTED: Record<string, Array<keyof World['posts']>> = {
  author: ['public', 'friends', 'private', 'custom'],
  friend: ['public', 'friends'],
  follower: ['public'],
  stranger: ['public'],
  member: ['public', 'custom'],
  blocked: [],
  blocker: [],
  anonymous: [],
};
const VIEWERS = Object.keys(EXPECTED);
const KINDS = ['public', 'friends', 'private', 'custom'] as const;

/** The author's posts (by kind) among `ids`, newest first as the lists return them. */
const kindsIn = (ids: string[]) => KINDS.filter((kind) => ids.includes(world.posts[kind]));

test.each(VIEWERS)('post(id) and comment(id) as %s', async (name) => {
  const viewer = world.viewers[name];
  for (const kind of KINDS) {
    const visible = EXPECTED[name]!.includes(kind);
    const { post } = await bed.run<{ post: { id: string } | null }>(POST, { id: world.posts[kind] }, viewer);
    expect({ kind, visible: post !== null }).toEqual({ kind, visible });
    const { comment } = await bed.run<{ comment: { id: string } | null }>(
      COMMENT,
      { id: world.comments[kind] },
      viewer,
    );
    expect({ kind, visible: comment !== null }).toEqual({ kind, visible });
  }
});

test.each(VIEWERS)('entity references of posts and comments as %s', async (name) => {
  const viewer = world.viewers[name];
  const reps = KINDS.flatMap((kind) => [
    { __typename: 'Post', id: world.posts[kind] },
    { __typename: 'Comment', id: world.comments[kind] },
  ]);
  const response = await bed.supergraph.query<{ _entities: Array<{ id: string } | null> }>(
    ENTITIES,
    { reps },
    { target: 'feed', ...(viewer ? { token: viewer.token } : {}) },
  );
  expect(response.errors).toBeUndefined();
  const expected = KINDS.flatMap((kind) => {
    const visible = EXPECTED[name]!.includes(kind);
    return [visible ? { id: world.posts[kind] } : null, visible ? { id: world.comments[kind] } : null];
  });
  expect(response.data?._entities).toEqual(expected);
});

test.each(VIEWERS)('userPosts, search and hashtag lists as %s', async (name) => {
  const viewer = world.viewers[name];
  const expected = [...EXPECTED[name]!];
  const listed = await bed.run<{ userPosts: never }>(USER_POSTS, { id: world.author.id }, viewer);
  expect(kindsIn(idsOf(listed.userPosts))).toEqual(expected);
  const found = await bed.run<{ searchPosts: never }>(SEARCH, { q: world.term }, viewer);
  expect(kindsIn(idsOf(found.searchPosts)).sort()).toEqual([...expected].sort());
  const tagged = await bed.run<{ postsByHashtag: never }>(
    BY_TAG,
    { tag: `#${world.tag.toUpperCase()}` },
    viewer,
  );
  expect(kindsIn(idsOf(tagged.postsByHashtag))).toEqual(expected);
});

test.each(VIEWERS.filter((name) => name !== 'anonymous'))('the home feed as %s', async (name) => {
  const viewer = world.viewers[name]!;
  const { feed } = await bed.run<{ feed: never }>(FEED, {}, viewer);
  // The feed holds the posts of the viewer, their friends and the users they follow (the
  // stranger follows nobody; the blocked follower lost the follow with the block).
  const reaches = ['author', 'friend', 'follower', 'member'].includes(name);
  expect(kindsIn(idsOf(feed))).toEqual(reaches ? EXPECTED[name] : []);
});

test('anonymous viewers get UNAUTHENTICATED for the feed and no posts anywhere else', async () => {
  expect(await bed.failure(FEED)).toBe('UNAUTHENTICATED');
  const { explore } = await bed.run<{ explore: never }>('{ explore { edges { node { id } } } }');
  expect(idsOf(explore)).toEqual([]);
});

test('reacting, commenting and sharing need the post to be visible', async () => {
  const { stranger, blocked, friend } = world.viewers;
  for (const viewer of [stranger!, blocked!]) {
    expect(await bed.failure(REACT, { id: world.posts.friends }, viewer)).toBe('NOT_FOUND');
    expect(await bed.failure(ADD_COMMENT, { postId: world.posts.friends, content: 'hi' }, viewer)).toBe(
      'NOT_FOUND',
    );
  }
  expect(await bed.failure(REACT, { id: world.posts.public }, blocked!)).toBe('NOT_FOUND');
  expect(
    (await bed.run<{ react: { likesCount: number } }>(REACT, { id: world.posts.friends }, friend!)).react
      .likesCount,
  ).toBe(1);
});

describe('deleted and suspended authors', () => {
  const publishStatus = (userId: string, status: string, previousStatus: string) =>
    bed.supergraph.stack.resources.events.publish('auth', 'UserStatusChanged', {
      userId,
      status,
      previousStatus,
      changedBy: userId,
    });
  const COMMENTS = `query ($id: ID!) { post(id: $id) { commentsCount comments { edges { node { id content isDeleted } } } } }`;

  test('a suspended author’s posts and comments disappear for others, and come back on reactivation', async () => {
    const [author, reader, commenter] = await bed.members(3);
    await bed.befriend(author, reader);
    await bed.follow(reader, commenter);
    const term = word();
    const mine = await bed.post(author, {
      content: `${term} by author @${commenter.username}`,
      visibility: 'PUBLIC',
    });
    const MENTIONS = `query ($id: ID!) { post(id: $id) { mentions { id } } }`;
    expect(await bed.run(MENTIONS, { id: mine }, reader)).toEqual({
      post: { mentions: [{ id: commenter.id }] },
    });
    const theirs = await bed.post(commenter, { content: `${term} by commenter`, visibility: 'PUBLIC' });
    const added = await bed.run<{ addComment: { id: string } }>(
      ADD_COMMENT,
      { postId: mine, content: 'from commenter' },
      commenter,
    );
    const commentsOf = async () =>
      (await bed.run<{ post: { commentsCount: number; comments: never } }>(COMMENTS, { id: mine }, reader))
        .post;
    expect(await commentsOf()).toMatchObject({ commentsCount: 1 });

    await publishStatus(commenter.id, 'SUSPENDED', 'ACTIVE');
    await bed.eventually(
      () => bed.run<{ post: { id: string } | null }>(POST, { id: theirs }, reader),
      (data) => data.post === null,
    );
    expect(idsOf((await bed.run<{ feed: never }>(FEED, {}, reader)).feed)).not.toContain(theirs);
    expect(idsOf((await bed.run<{ searchPosts: never }>(SEARCH, { q: term }, reader)).searchPosts)).toEqual([
      mine,
    ]);
    expect(
      idsOf((await bed.run<{ userPosts: never }>(USER_POSTS, { id: commenter.id }, reader)).userPosts),
    ).toEqual([]);
    // Their comment is gone from the list and from the count.
    expect(await commentsOf()).toEqual({ commentsCount: 0, comments: { edges: [] } });
    // ...and from the mentions.
    expect(await bed.run(MENTIONS, { id: mine }, reader)).toEqual({ post: { mentions: [] } });
    // The author themself still sees their own posts.
    expect(await bed.run(POST, { id: theirs }, commenter)).toEqual({ post: { id: theirs } });

    await publishStatus(commenter.id, 'ACTIVE', 'SUSPENDED');
    await bed.eventually(
      () => bed.run<{ post: { id: string } | null }>(POST, { id: theirs }, reader),
      (data) => data.post !== null,
    );
    expect(await commentsOf()).toEqual({
      commentsCount: 1,
      comments: {
        edges: [{ node: { id: added.addComment.id, content: 'from commenter', isDeleted: false } }],
      },
    });
  });

  test('a deleted account’s posts are hidden for good, and it cannot post any more', async () => {
    const [author, reader] = await bed.members(2);
    await bed.befriend(author, reader);
    const id = await bed.post(author, { content: 'soon gone', visibility: 'PUBLIC' });
    await bed.supergraph.stack.resources.events.publish('auth', 'UserDeleted', {
      userId: author.id,
      deletedAt: new Date().toISOString(),
      purgeAfter: new Date(Date.now() + 30 * 86400000).toISOString(),
    });
    await bed.eventually(
      () => bed.run<{ post: { id: string } | null }>(POST, { id }, reader),
      (data) => data.post === null,
    );
    // A late status event cannot bring it back.
    await publishStatus(author.id, 'ACTIVE', 'SUSPENDED');
    await bed.eventually(
      () => bed.db.collection('processed_events').countDocuments({ type: 'UserStatusChanged' }),
      (count) => count >= 3,
    );
    expect(await bed.run(POST, { id }, reader)).toEqual({ post: null });
    expect(idsOf((await bed.run<{ feed: never }>(FEED, {}, reader)).feed)).not.toContain(id);
    expect(await bed.failure('mutation { createPost(input: { content: "x" }) { id } }', {}, author)).toBe(
      'FORBIDDEN',
    );
  });
});
