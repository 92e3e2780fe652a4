/**
 * Audit of the remaining read paths to a post or comment (issue 6, "nobody reads a post they may
 * not see by ANY path"): Comment.parentComment, a user's pinned post and posts through `_entities`
 * sent straight to the feed subgraph, and lists that show a deleted account's comments and
 * reactions.
 */
import { idsOf, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed();
});
afterAll(async () => {
  await bed?.stop();
});

const ADD = `mutation ($postId: ID!, $content: String!, $parent: ID) {
  addComment(input: { postId: $postId, content: $content, parentCommentId: $parent }) { id } }`;
const addComment = async (
  as: Parameters<FeedTestbed['run']>[2],
  postId: string,
  content: string,
  parent?: string,
) => (await bed.run<{ addComment: { id: string } }>(ADD, { postId, content, parent }, as)).addComment.id;

test('Comment.parentComment is null when the parent’s author and the viewer blocked each other', async () => {
  const [author, blocked, replier, viewer, blocker] = await bed.members(5);
  const postId = await bed.post(author, { content: 'open thread', visibility: 'PUBLIC' });
  const parent = await addComment(blocked, postId, 'from someone the viewer blocked');
  const reply = await addComment(replier, postId, 'a reply', parent);
  const other = await addComment(blocker, postId, 'from someone who blocked the viewer');
  const replyToOther = await addComment(replier, postId, 'another reply', other);
  await bed.block(viewer, blocked);
  await bed.block(blocker, viewer);

  const PARENT = `query ($id: ID!) { comment(id: $id) { id parentComment { id content } } }`;
  // comment(id) of the parent itself is null for the viewer, so the reply must not reveal it.
  expect(await bed.run(PARENT, { id: parent }, viewer)).toEqual({ comment: null });
  expect(await bed.run(PARENT, { id: reply }, viewer)).toEqual({
    comment: { id: reply, parentComment: null },
  });
  expect(await bed.run(PARENT, { id: replyToOther }, viewer)).toEqual({
    comment: { id: replyToOther, parentComment: null },
  });
  // Anyone else still sees it.
  expect(await bed.run(PARENT, { id: reply }, author)).toEqual({
    comment: { id: reply, parentComment: { id: parent, content: 'from someone the viewer blocked' } },
  });
  // Through `_entities` straight to the feed subgraph, too.
  const response = await bed.supergraph.query<{ _entities: unknown[] }>(
    `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Comment { id parentComment { id } } } }`,
    { reps: [{ __typename: 'Comment', id: reply }] },
    { target: 'feed', token: viewer.token },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?._entities).toEqual([{ id: reply, parentComment: null }]);
});

test('User.pinnedPost and User.posts through `_entities` show only what the viewer may see', async () => {
  const [author, friend, stranger] = await bed.members(3);
  await bed.befriend(author, friend);
  const friendsOnly = await bed.post(author, { content: 'for friends', visibility: 'FRIENDS' });
  await bed.run(`mutation ($id: ID!) { pinPost(id: $id) { id } }`, { id: friendsOnly }, author);
  const USER = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
    ... on User { id pinnedPost { id } posts { edges { node { id } } } } } }`;
  const as = async (viewer: typeof author) => {
    const response = await bed.supergraph.query<{
      _entities: Array<{ pinnedPost: { id: string } | null; posts: never }>;
    }>(USER, { reps: [{ __typename: 'User', id: author.id }] }, { target: 'feed', token: viewer.token });
    expect(response.errors).toBeUndefined();
    const [user] = response.data!._entities;
    return { pinned: user!.pinnedPost?.id ?? null, posts: idsOf(user!.posts) };
  };
  expect(await as(friend)).toEqual({ pinned: friendsOnly, posts: [friendsOnly] });
  expect(await as(stranger)).toEqual({ pinned: null, posts: [] });
});

test('a deleted account’s comment with replies and its reactions do not break the lists', async () => {
  const [author, gone, replier] = await bed.members(3);
  const postId = await bed.post(author, { content: 'who reacted?', visibility: 'PUBLIC' });
  const parent = await addComment(gone, postId, 'soon deleted');
  const reply = await addComment(replier, postId, 'still here', parent);
  const REACT = `mutation ($id: ID!, $type: FeedReactionTargetType!) {
    react(input: { entityId: $id, entityType: $type, reaction: LOVE }) { id } }`;
  await bed.run(REACT, { id: postId, type: 'POST' }, gone);
  await bed.run(REACT, { id: reply, type: 'COMMENT' }, gone);
  await bed.run(REACT, { id: postId, type: 'POST' }, replier);

  await bed.run(`mutation ($p: String!) { deleteAccount(password: $p) }`, { p: gone.password }, gone);
  await bed.eventually(
    () => bed.db.collection('feed_authors').findOne({ _id: gone.id as never }),
    (found) => found?.hidden === true,
  );

  const LISTS = `query ($id: ID!) { post(id: $id) {
    likesCount
    reactions { totalCount edges { node { user { id username } reaction } } }
    comments { edges { node { id content isDeleted author { id username } } } }
  } }`;
  const response = await bed.supergraph.query<{ post: Record<string, unknown> }>(
    LISTS,
    { id: postId },
    { token: author.token },
  );
  expect(response.errors).toBeUndefined();
  // The deleted account's reactions are neither listed nor counted any more, and its comment is
  // hidden like its posts (its author no longer resolves).
  expect(response.data?.post).toEqual({
    likesCount: 1,
    reactions: {
      totalCount: 1,
      edges: [{ node: { user: { id: replier.id, username: replier.username }, reaction: 'LOVE' } }],
    },
    comments: { edges: [] },
  });
  const REPLY = `query ($id: ID!) { comment(id: $id) { id content author { id username } likesCount
    parentComment { id author { username } } reactions { totalCount edges { node { user { username } } } } } }`;
  const reply1 = await bed.supergraph.query(REPLY, { id: reply }, { token: author.token });
  expect(reply1.errors).toBeUndefined();
  expect(reply1.data).toEqual({
    comment: {
      id: reply,
      content: 'still here',
      author: { id: replier.id, username: replier.username },
      likesCount: 0,
      parentComment: null,
      reactions: { totalCount: 0, edges: [] },
    },
  });
  expect(await bed.run(`query ($id: ID!) { comment(id: $id) { id } }`, { id: parent }, author)).toEqual({
    comment: null,
  });
});

test('a suspended user’s reactions stop counting and come back; meanwhile they cannot react or edit', async () => {
  const [author, fan] = await bed.members(2);
  const postId = await bed.post(author, { content: 'likeable', visibility: 'PUBLIC' });
  const own = await bed.post(fan, { content: 'my post', visibility: 'PUBLIC' });
  const comment = await addComment(fan, postId, 'my comment');
  const REACT = `mutation ($id: ID!, $r: FeedReactionType!) {
    react(input: { entityId: $id, entityType: POST, reaction: $r }) { id likesCount } }`;
  await bed.run(REACT, { id: postId, r: 'WOW' }, fan);
  const COUNTS = `query ($id: ID!) { post(id: $id) { likesCount reactionsSummary { reaction count } } }`;
  const counts = async () => (await bed.run<{ post: unknown }>(COUNTS, { id: postId }, author)).post;
  expect(await counts()).toEqual({ likesCount: 1, reactionsSummary: [{ reaction: 'WOW', count: 1 }] });

  const status = (value: string, previous: string) =>
    bed.supergraph.stack.resources.events.publish('auth', 'UserStatusChanged', {
      userId: fan.id,
      status: value,
      previousStatus: previous,
      changedBy: author.id,
    });
  await status('SUSPENDED', 'ACTIVE');
  await bed.eventually(counts, (value) => (value as { likesCount: number }).likesCount === 0);
  expect(await counts()).toEqual({ likesCount: 0, reactionsSummary: [] });
  // Publishing anything, an edit or a reaction included, is refused; removing is not.
  expect(await bed.failure(REACT, { id: postId, r: 'LIKE' }, fan)).toBe('FORBIDDEN');
  expect(
    await bed.failure(
      `mutation ($id: ID!) { editPost(input: { postId: $id, content: "edited @${author.username}" }) { id } }`,
      { id: own },
      fan,
    ),
  ).toBe('FORBIDDEN');
  expect(
    await bed.failure(
      `mutation ($id: ID!) { editComment(id: $id, content: "edited") { id } }`,
      { id: comment },
      fan,
    ),
  ).toBe('FORBIDDEN');
  // Removing the hidden reaction does not count it off a second time.
  await bed.run(
    `mutation ($id: ID!) { unreact(entityId: $id, entityType: POST) { id } }`,
    { id: postId },
    fan,
  );
  expect(await counts()).toEqual({ likesCount: 0, reactionsSummary: [] });

  await bed.run(REACT, { id: postId, r: 'HAHA' }, author);
  await status('ACTIVE', 'SUSPENDED');
  await bed.eventually(
    () => bed.db.collection('feed_authors').findOne({ _id: fan.id as never }),
    (found) => found?.hidden === false,
  );
  expect(await counts()).toEqual({ likesCount: 1, reactionsSummary: [{ reaction: 'HAHA', count: 1 }] });
  await bed.run(REACT, { id: postId, r: 'WOW' }, fan);
  expect(await counts()).toMatchObject({ likesCount: 2 });
});
