/**
 * Comments and replies: nesting, counts, order and pages, edits and soft deletes, who may do
 * what, top comments, mentions (with the mentioned user's privacy), and the events sent.
 */
import type { TestAccount } from '@social/testing';
import { idsOf, recordFeedEvents, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;
let recorder: Awaited<ReturnType<typeof recordFeedEvents>>;

beforeAll(async () => {
  bed = await startFeedTestbed();
  recorder = await recordFeedEvents(bed, 'comments-test');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

const ADD = `mutation ($postId: ID!, $content: String!, $parent: ID) {
  addComment(input: { postId: $postId, content: $content, parentCommentId: $parent }) {
    id content author { id } post { id } parentComment { id } mentions { id } repliesCount isEdited isDeleted
  } }`;
const EDIT = `mutation ($id: ID!, $content: String!) { editComment(id: $id, content: $content) { id content isEdited editedAt mentions { id } } }`;
const DELETE = `mutation ($id: ID!) { deleteComment(id: $id) }`;
const COMMENTS = `query ($id: ID!, $order: CommentOrder, $first: Int, $after: String) { post(id: $id) {
  commentsCount
  comments(order: $order, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id content isDeleted repliesCount replies { edges { node { id content parentComment { id } } } } } }
  } } }`;
const TOP = `query ($id: ID!, $first: Int) { post(id: $id) { topComments(first: $first) { id likesCount } } }`;

type Comment = { id: string; content: string | null; repliesCount: number; isDeleted: boolean };
const add = async (as: TestAccount, postId: string, content: string, parent?: string) =>
  (await bed.run<{ addComment: Comment & Record<string, unknown> }>(ADD, { postId, content, parent }, as))
    .addComment;
const list = async (as: TestAccount, id: string, variables: Record<string, unknown> = {}) =>
  (
    await bed.run<{
      post: { commentsCount: number; comments: { edges: Array<{ node: Comment & { replies: never } }> } };
    }>(COMMENTS, { id, ...variables }, as)
  ).post;

test('comments, nested replies and their counts; PostCommented names the parent’s author', async () => {
  const [author, a, b] = await bed.members(3);
  const postId = await bed.post(author, { content: 'discuss', visibility: 'PUBLIC' });
  const first = await add(a, postId, 'first!');
  expect(first).toMatchObject({
    content: 'first!',
    author: { id: a.id },
    post: { id: postId },
    parentComment: null,
    repliesCount: 0,
    isEdited: false,
    isDeleted: false,
  });
  const reply = await add(b, postId, 'a reply', first.id);
  const nested = await add(a, postId, 'a reply to the reply', reply.id);
  expect(nested.parentComment).toEqual({ id: reply.id });
  const second = await add(b, postId, 'second');

  const post = await list(author, postId);
  expect(post.commentsCount).toBe(4);
  expect(post.comments.edges.map((edge) => edge.node.id)).toEqual([second.id, first.id]);
  expect(post.comments.edges[1]!.node).toMatchObject({
    repliesCount: 1,
    replies: { edges: [{ node: { id: reply.id } }] },
  });
  const oldest = await list(author, postId, { order: 'OLDEST_FIRST', first: 1 });
  expect(oldest.comments.edges.map((edge) => edge.node.id)).toEqual([first.id]);

  const event = await recorder.waitFor('PostCommented', { commentId: reply.id });
  expect(event.data).toMatchObject({
    actorId: b.id,
    postId,
    postAuthorId: author.id,
    parentCommentId: first.id,
    parentCommentAuthorId: a.id,
    commentPreview: 'a reply',
    postVisibility: 'PUBLIC',
  });
  expect((await recorder.waitFor('PostCommented', { commentId: first.id })).data).toMatchObject({
    parentCommentId: null,
    parentCommentAuthorId: null,
  });
});

test('pages of comments have no duplicates or gaps while new comments arrive', async () => {
  const [author, a] = await bed.members(2);
  const postId = await bed.post(author, { content: 'busy', visibility: 'PUBLIC' });
  const made: string[] = [];
  for (let i = 0; i < 5; i += 1) made.push((await add(a, postId, `c${i}`)).id);
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; ; page += 1) {
    const data: {
      post: { comments: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: never[] } };
    } = await bed.run(COMMENTS, { id: postId, first: 2, after, order: 'OLDEST_FIRST' }, author);
    seen.push(...idsOf(data.post.comments));
    if (page === 0) made.push((await add(a, postId, 'late')).id);
    if (!data.post.comments.pageInfo.hasNextPage) break;
    after = data.post.comments.pageInfo.endCursor;
  }
  expect(seen).toEqual(made);
});

test('a deleted comment shows only while it has visible replies, without content', async () => {
  const [author, a, b] = await bed.members(3);
  const postId = await bed.post(author, { content: 'moderate', visibility: 'PUBLIC' });
  const parent = await add(a, postId, 'parent');
  const reply = await add(b, postId, 'child', parent.id);
  const lonely = await add(a, postId, 'lonely');
  expect(await bed.run(DELETE, { id: parent.id }, a)).toEqual({ deleteComment: true });
  expect(await bed.run(DELETE, { id: lonely.id }, author)).toEqual({ deleteComment: true });
  let post = await list(b, postId);
  expect(post.commentsCount).toBe(1);
  expect(post.comments.edges.map((edge) => edge.node)).toEqual([
    {
      id: parent.id,
      content: null,
      isDeleted: true,
      repliesCount: 1,
      replies: { edges: [{ node: { id: reply.id, content: 'child', parentComment: { id: parent.id } } }] },
    },
  ]);
  // Replying to a deleted comment is refused; so is a second delete.
  expect(await bed.failure(ADD, { postId, content: 'late', parent: parent.id }, b)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(DELETE, { id: parent.id }, a)).toBe('NOT_FOUND');
  // Once its last reply goes, the deleted comment goes too.
  await bed.run(DELETE, { id: reply.id }, b);
  post = await list(b, postId);
  expect(post).toMatchObject({ commentsCount: 0, comments: { edges: [] } });
});

test('who may edit and delete, and the limits of a comment', async () => {
  const [author, a, b] = await bed.members(3);
  const postId = await bed.post(author, { content: 'rules', visibility: 'PUBLIC' });
  const other = await bed.post(author, { content: 'other post', visibility: 'PUBLIC' });
  const comment = await add(a, postId, 'original');
  const edited = await bed.run<{ editComment: Record<string, unknown> }>(
    EDIT,
    { id: comment.id, content: 'changed' },
    a,
  );
  expect(edited.editComment).toMatchObject({ content: 'changed', isEdited: true });
  expect(edited.editComment.editedAt).not.toBeNull();
  expect(await bed.failure(EDIT, { id: comment.id, content: 'mine now' }, b)).toBe('FORBIDDEN');
  expect(await bed.failure(EDIT, { id: comment.id, content: 'mine now' }, author)).toBe('FORBIDDEN');
  expect(await bed.failure(DELETE, { id: comment.id }, b)).toBe('FORBIDDEN');
  expect(await bed.failure(EDIT, { id: comment.id, content: '' }, a)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(EDIT, { id: comment.id, content: 'x'.repeat(2001) }, a)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(ADD, { postId, content: '   ' }, a)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(ADD, { postId, content: 'x'.repeat(2001) }, a)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(ADD, { postId: other, content: 'wrong post', parent: comment.id }, a)).toBe(
    'BAD_USER_INPUT',
  );
  expect((await add(a, postId, 'x'.repeat(2000))).content).toHaveLength(2000);
  // The post's author may delete any comment on it.
  expect(await bed.run(DELETE, { id: comment.id }, author)).toEqual({ deleteComment: true });
  expect(await bed.failure(EDIT, { id: comment.id, content: 'too late' }, a)).toBe('NOT_FOUND');
});

test('top comments: most reactions first, ties newest first, one to ten', async () => {
  const [author, a, b, c] = await bed.members(4);
  const postId = await bed.post(author, { content: 'top', visibility: 'PUBLIC' });
  const quiet = await add(a, postId, 'quiet');
  const loved = await add(a, postId, 'loved');
  const newer = await add(a, postId, 'newer');
  const reply = await add(b, postId, 'a popular reply', quiet.id);
  const like = 'mutation ($id: ID!) { likeComment(id: $id) { id } }';
  for (const fan of [b, c]) await bed.run(like, { id: loved.id }, fan);
  for (const fan of [a, b, c]) await bed.run(like, { id: reply.id }, fan);
  const top = async (first?: number) =>
    (
      await bed.run<{ post: { topComments: Array<{ id: string; likesCount: number }> } }>(
        TOP,
        { id: postId, first },
        author,
      )
    ).post.topComments;
  expect(await top()).toEqual([
    { id: loved.id, likesCount: 2 },
    { id: newer.id, likesCount: 0 },
  ]);
  expect((await top(10)).map((comment) => comment.id)).toEqual([loved.id, newer.id, quiet.id]);
  expect(await bed.failure(TOP, { id: postId, first: 11 }, author)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(TOP, { id: postId, first: 0 }, author)).toBe('BAD_USER_INPUT');
});

test('comments of users the viewer blocked (or who blocked the viewer) are left out', async () => {
  const [author, viewer, rude] = await bed.members(3);
  const postId = await bed.post(author, { content: 'open', visibility: 'PUBLIC' });
  const kind = await add(author, postId, 'kind words');
  const mean = await add(rude, postId, 'mean words');
  await bed.block(viewer, rude);
  const seen = await list(viewer, postId);
  expect(seen.comments.edges.map((edge) => edge.node.id)).toEqual([kind.id]);
  expect(await bed.run('query ($id: ID!) { comment(id: $id) { id } }', { id: mean.id }, viewer)).toEqual({
    comment: null,
  });
  expect((await list(author, postId)).comments.edges.map((edge) => edge.node.id)).toEqual([mean.id, kind.id]);
});

describe('mentions', () => {
  const SET_MENTIONS = `mutation ($who: ProfileAudience!) { updatePrivacySettings(input: { allowMentions: $who }) { allowMentions } }`;

  test('resolved server-side, respecting allowMentions and blocks; UserMentioned for new mentions only', async () => {
    const [author, open, friendsOnly, closed, blocker, friend] = await bed.members(6);
    await bed.befriend(author, friend);
    await bed.block(blocker, author);
    for (const [user, who] of [
      [friendsOnly, 'FRIENDS'],
      [closed, 'NONE'],
      [friend, 'FRIENDS'],
    ] as const) {
      await bed.run(SET_MENTIONS, { who }, user);
      await bed.eventually(
        () => bed.db.collection('social_users').findOne({ _id: user.id as never }),
        (doc) => doc?.privacy?.allowMentions === who,
      );
    }
    const postId = await bed.post(author, { content: 'mentions', visibility: 'PUBLIC' });
    const text = [open, friendsOnly, closed, blocker, friend]
      .map((user) => `@${user.username.toUpperCase()}`)
      .join(' ');
    const comment = await add(author, postId, `hey ${text} @${author.username}`);
    expect(comment.mentions).toEqual([{ id: open.id }, { id: friend.id }, { id: author.id }]);
    const event = await recorder.waitFor('UserMentioned', { commentId: comment.id });
    expect(event.data).toMatchObject({
      actorId: author.id,
      source: 'COMMENT',
      postId,
      postAuthorId: author.id,
      mentionedUserIds: [open.id, friend.id],
    });
    // An edit mentioning one more user announces only that one.
    const third = await bed.member();
    await bed.run(EDIT, { id: comment.id, content: `${text} @${third.username}` }, author);
    const again = await bed.eventually(
      async () =>
        recorder.events.filter(
          (e) => e.type === 'UserMentioned' && (e.data as { commentId?: string }).commentId === comment.id,
        ),
      (events) => events.length === 2,
    );
    expect((again[1]!.data as { mentionedUserIds: string[] }).mentionedUserIds).toEqual([third.id]);
  });
});
