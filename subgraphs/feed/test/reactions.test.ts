/**
 * Reactions on posts and comments: one per user per entity, replaced by a different one, exact
 * counts under concurrency, the lists of who reacted, and the events the notification service
 * reads.
 */
import type { TestAccount } from '@social/testing';
import { recordFeedEvents, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;
let recorder: Awaited<ReturnType<typeof recordFeedEvents>>;

beforeAll(async () => {
  bed = await startFeedTestbed();
  recorder = await recordFeedEvents(bed, 'reactions-test');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

const REACT = `mutation ($id: ID!, $type: FeedReactionTargetType!, $reaction: FeedReactionType!) {
  react(input: { entityId: $id, entityType: $type, reaction: $reaction }) {
    __typename id likesCount viewerReaction reactionsSummary { reaction count }
  } }`;
const UNREACT = `mutation ($id: ID!, $type: FeedReactionTargetType!) {
  unreact(entityId: $id, entityType: $type) { __typename id likesCount viewerReaction reactionsSummary { reaction count } } }`;
const POST = `query ($id: ID!, $reaction: FeedReactionType, $after: String) { post(id: $id) {
  likesCount viewerReaction reactionsSummary { reaction count }
  reactions(reaction: $reaction, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { user { id } reaction createdAt } }
  } } }`;
const ADD_COMMENT = `mutation ($postId: ID!, $content: String!) { addComment(input: { postId: $postId, content: $content }) { id } }`;

interface Reactable {
  __typename: string;
  id: string;
  likesCount: number;
  viewerReaction: string | null;
  reactionsSummary: Array<{ reaction: string; count: number }>;
}
const react = async (viewer: TestAccount, id: string, reaction: string, type = 'POST') =>
  (await bed.run<{ react: Reactable }>(REACT, { id, type, reaction }, viewer)).react;

test('one reaction per user: a different one replaces it, the same one changes nothing, unreact removes it', async () => {
  const [author, a, b] = await bed.members(3);
  const id = await bed.post(author, { content: 'react to me', visibility: 'PUBLIC' });
  expect(await react(a, id, 'LIKE')).toEqual({
    __typename: 'Post',
    id,
    likesCount: 1,
    viewerReaction: 'LIKE',
    reactionsSummary: [{ reaction: 'LIKE', count: 1 }],
  });
  expect(await react(a, id, 'LIKE')).toMatchObject({ likesCount: 1, viewerReaction: 'LIKE' });
  await react(b, id, 'HAHA');
  expect(await react(a, id, 'HAHA')).toMatchObject({
    likesCount: 2,
    viewerReaction: 'HAHA',
    reactionsSummary: [{ reaction: 'HAHA', count: 2 }],
  });
  await react(author, id, 'LOVE');
  const post = (await bed.run<{ post: Reactable & { reactions: { totalCount: number } } }>(POST, { id }, b))
    .post;
  expect(post).toMatchObject({
    likesCount: 3,
    viewerReaction: 'HAHA',
    reactionsSummary: [
      { reaction: 'HAHA', count: 2 },
      { reaction: 'LOVE', count: 1 },
    ],
    reactions: { totalCount: 3 },
  });
  const removed = (await bed.run<{ unreact: Reactable }>(UNREACT, { id, type: 'POST' }, a)).unreact;
  expect(removed).toMatchObject({ likesCount: 2, viewerReaction: null });
  // Removing nothing is a no-op.
  expect((await bed.run<{ unreact: Reactable }>(UNREACT, { id, type: 'POST' }, a)).unreact.likesCount).toBe(
    2,
  );

  // Events: a new reaction, then a changed one (previousReaction), none for the no-op.
  const first = await recorder.waitFor('PostReacted', { postId: id, actorId: a.id, reaction: 'LIKE' });
  expect(first.data).toMatchObject({
    postAuthorId: author.id,
    previousReaction: null,
    postVisibility: 'PUBLIC',
    postPreview: 'react to me',
    likesCount: 1,
  });
  const changed = await recorder.waitFor('PostReacted', { postId: id, actorId: a.id, reaction: 'HAHA' });
  expect(changed.data).toMatchObject({ previousReaction: 'LIKE', likesCount: 2 });
  expect(recorder.count('PostReacted', { postId: id, actorId: a.id })).toBe(2);
});

test('the list of who reacted pages newest first, all types or one', async () => {
  const [author, ...fans] = await bed.members(5);
  const id = await bed.post(author!, { content: 'list', visibility: 'PUBLIC' });
  for (const [index, fan] of fans.entries()) await react(fan, id, index % 2 === 0 ? 'WOW' : 'SAD');
  type Page = {
    post: {
      reactions: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: Array<{ node: { user: { id: string }; reaction: string } }>;
      };
    };
  };
  const all: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page = await bed.run<Page>(POST, { id, after }, author);
    expect(page.post.reactions.totalCount).toBe(4);
    all.push(...page.post.reactions.edges.map((edge) => edge.node.user.id));
    if (!page.post.reactions.pageInfo.hasNextPage) break;
    after = page.post.reactions.pageInfo.endCursor;
  }
  expect(all).toEqual(fans.map((fan) => fan.id).reverse());
  const sad = await bed.run<Page>(POST, { id, reaction: 'SAD' }, author);
  expect(sad.post.reactions.totalCount).toBe(2);
  expect(sad.post.reactions.edges.map((edge) => edge.node)).toEqual([
    { user: { id: fans[3]!.id }, reaction: 'SAD', createdAt: expect.any(String) },
    { user: { id: fans[1]!.id }, reaction: 'SAD', createdAt: expect.any(String) },
  ]);
});

test('50 users reacting at once, then changing and removing at once: counts stay exact', async () => {
  const [author] = await bed.members(1);
  const fans = await bed.members(50);
  const id = await bed.post(author, { content: 'popular', visibility: 'PUBLIC' });
  await Promise.all(fans.map((fan) => react(fan, id, 'LIKE')));
  const count = async () => (await bed.run<{ post: Reactable }>(POST, { id }, author)).post;
  expect(await count()).toMatchObject({
    likesCount: 50,
    reactionsSummary: [{ reaction: 'LIKE', count: 50 }],
  });

  // 20 switch to LOVE (each twice at once), 10 remove theirs, 20 like again.
  await Promise.all([
    ...fans.slice(0, 20).flatMap((fan) => [react(fan, id, 'LOVE'), react(fan, id, 'LOVE')]),
    ...fans.slice(20, 30).map((fan) => bed.run(UNREACT, { id, type: 'POST' }, fan)),
    ...fans.slice(30).map((fan) => react(fan, id, 'LIKE')),
  ]);
  expect(await count()).toMatchObject({
    likesCount: 40,
    // Equal counts keep the enum's order.
    reactionsSummary: [
      { reaction: 'LIKE', count: 20 },
      { reaction: 'LOVE', count: 20 },
    ],
  });
  expect(
    await bed.db.collection('likes').countDocuments({ userId: { $in: fans.map((fan) => fan.id) } }),
  ).toBe(40);
  // 51 real accounts and 150 racing transactions: minutes of CPU on a loaded two-core runner.
}, 90_000);

test('reactions on comments, likeComment, and CommentReacted for the comment’s author', async () => {
  const [author, commenter, fan] = await bed.members(3);
  const postId = await bed.post(author, { content: 'comment here', visibility: 'PUBLIC' });
  const comment = (
    await bed.run<{ addComment: { id: string } }>(ADD_COMMENT, { postId, content: 'a comment' }, commenter)
  ).addComment.id;
  expect(await react(fan, comment, 'ANGRY', 'COMMENT')).toEqual({
    __typename: 'Comment',
    id: comment,
    likesCount: 1,
    viewerReaction: 'ANGRY',
    reactionsSummary: [{ reaction: 'ANGRY', count: 1 }],
  });
  const liked = await bed.run<{ likeComment: Reactable }>(
    'mutation ($id: ID!) { likeComment(id: $id) { __typename id likesCount viewerReaction reactionsSummary { reaction count } } }',
    { id: comment },
    author,
  );
  expect(liked.likeComment).toMatchObject({ likesCount: 2, viewerReaction: 'LIKE' });
  const event = await recorder.waitFor('CommentReacted', { commentId: comment, actorId: fan.id });
  expect(event.data).toMatchObject({
    commentAuthorId: commenter.id,
    postId,
    postAuthorId: author.id,
    reaction: 'ANGRY',
    commentPreview: 'a comment',
  });
  // A comment id given as a post (and the other way round) is not found.
  expect(await bed.failure(REACT, { id: comment, type: 'POST', reaction: 'LIKE' }, fan)).toBe('NOT_FOUND');
  expect(await bed.failure(REACT, { id: postId, type: 'COMMENT', reaction: 'LIKE' }, fan)).toBe('NOT_FOUND');
  // An id that cannot be one is bad input (audit-input.test.ts has every mutation).
  expect(await bed.failure(REACT, { id: 'bogus', type: 'POST', reaction: 'LIKE' }, fan)).toBe(
    'BAD_USER_INPUT',
  );
  expect(await bed.failure(REACT, { id: postId, type: 'POST', reaction: 'LIKE' })).toBe('UNAUTHENTICATED');
});
