/**
 * Audit of bad input (issue 6): every malformed id, cursor, page size or NoSQL-looking string is
 * BAD_USER_INPUT naming the field (or, for look-ups by id, simply nothing found), never an
 * internal error, and nothing is stored.
 */
import type { TestAccount } from '@social/testing';
import { startFeedTestbed, type FeedTestbed, type Vars } from './helpers.js';

let bed: FeedTestbed;
let author: TestAccount;
let reader: TestAccount;
let postId: string;
let commentId: string;
let pollId: string;
const tag = `t${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  bed = await startFeedTestbed();
  [author, reader] = await bed.members(2);
  postId = await bed.post(author, { content: `hello world #${tag}`, visibility: 'PUBLIC' });
  await bed.post(author, { content: `hello again #${tag}`, visibility: 'PUBLIC' });
  commentId = (
    await bed.run<{ addComment: { id: string } }>(
      `mutation ($id: ID!) { addComment(input: { postId: $id, content: "first" }) { id } }`,
      { id: postId },
      author,
    )
  ).addComment.id;
  await bed.run(
    `mutation ($id: ID!) { addComment(input: { postId: $id, content: "second" }) { id } }`,
    { id: postId },
    author,
  );
  for (const content of ['reply one', 'reply two']) {
    await bed.run(
      `mutation ($id: ID!, $p: ID!, $c: String!) { addComment(input: { postId: $id, content: $c, parentCommentId: $p }) { id } }`,
      { id: postId, p: commentId, c: content },
      reader,
    );
  }
  for (const who of [author, reader]) {
    await bed.run(
      `mutation ($id: ID!) { react(input: { entityId: $id, entityType: POST, reaction: LIKE }) { id } }`,
      {
        id: postId,
      },
      who,
    );
  }
  pollId = await bed.post(author, {
    postType: 'POLL',
    visibility: 'PUBLIC',
    poll: { question: 'a or b?', options: ['a', 'b'] },
  });
});
afterAll(async () => {
  await bed?.stop();
});

/** The first error's code and field. */
async function error(query: string, variables: Vars, as: TestAccount = author) {
  const response = await bed.supergraph.query(query, variables, { token: as.token });
  const first = response.errors?.[0];
  return first && { code: first.extensions?.code, field: first.extensions?.field };
}

const count = (collection: string) => bed.db.collection(collection).countDocuments();

describe('malformed ids in mutations are BAD_USER_INPUT naming the argument, and change nothing', () => {
  const cases: Array<[string, string, (bad: string) => Vars, string]> = [
    ['deletePost', 'mutation ($id: ID!) { deletePost(id: $id) }', (id) => ({ id }), 'id'],
    ['pinPost', 'mutation ($id: ID!) { pinPost(id: $id) { id } }', (id) => ({ id }), 'id'],
    ['archivePost', 'mutation ($id: ID!) { archivePost(id: $id) { id } }', (id) => ({ id }), 'id'],
    [
      'react',
      'mutation ($id: ID!) { react(input: { entityId: $id, entityType: POST, reaction: LIKE }) { id } }',
      (id) => ({ id }),
      'input.entityId',
    ],
    [
      'unreact',
      'mutation ($id: ID!) { unreact(entityId: $id, entityType: COMMENT) { id } }',
      (id) => ({ id }),
      'entityId',
    ],
    ['likeComment', 'mutation ($id: ID!) { likeComment(id: $id) { id } }', (id) => ({ id }), 'id'],
    [
      'addComment',
      'mutation ($id: ID!) { addComment(input: { postId: $id, content: "x" }) { id } }',
      (id) => ({ id }),
      'input.postId',
    ],
    [
      'editComment',
      'mutation ($id: ID!) { editComment(id: $id, content: "x") { id } }',
      (id) => ({ id }),
      'id',
    ],
    ['deleteComment', 'mutation ($id: ID!) { deleteComment(id: $id) }', (id) => ({ id }), 'id'],
    [
      'sharePost',
      'mutation ($id: ID!) { sharePost(input: { postId: $id }) { id } }',
      (id) => ({ id }),
      'input.postId',
    ],
    [
      'votePoll',
      'mutation ($id: ID!) { votePoll(postId: $id, optionIds: ["1"]) { id } }',
      (id) => ({ id }),
      'postId',
    ],
    ['markPostsViewed', 'mutation ($id: ID!) { markPostsViewed(ids: [$id]) }', (id) => ({ id }), 'ids.0'],
  ];
  test.each(cases)('%s', async (_name, query, variables, field) => {
    const before = await Promise.all(
      ['posts', 'comments', 'likes', 'shares', 'poll_votes', 'post_views'].map(count),
    );
    for (const bad of ['nope', '$gt', '{"$ne":null}', `${'a'.repeat(23)}z`]) {
      expect({ bad, error: await error(query, variables(bad)) }).toEqual({
        bad,
        error: { code: 'BAD_USER_INPUT', field },
      });
    }
    expect(
      await Promise.all(['posts', 'comments', 'likes', 'shares', 'poll_votes', 'post_views'].map(count)),
    ).toEqual(before);
  });

  test('a malformed parent comment id', async () => {
    expect(
      await error(
        'mutation ($id: ID!, $p: ID) { addComment(input: { postId: $id, content: "x", parentCommentId: $p }) { id } }',
        { id: postId, p: '$gt' },
      ),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'input.parentCommentId' });
  });
});

test('look-ups by a malformed id or a NoSQL-looking string find nothing', async () => {
  const data = await bed.run(
    `query ($x: String!, $id: ID!) {
      post(id: $id) { id } comment(id: $id) { id } hashtag(tag: $x) { tag }
      searchPosts(query: $x) { edges { node { id } } } }`,
    { x: '$gt', id: '{"$gt":""}' },
    author,
  );
  expect(data).toEqual({ post: null, comment: null, hashtag: null, searchPosts: { edges: [] } });
  for (const query of ['"unbalanced', '-', '-"hello', '\\$where', 'hello -world']) {
    const response = await bed.supergraph.query(
      `query ($q: String!) { searchPosts(query: $q) { edges { node { id } } } }`,
      { q: query },
      { token: author.token },
    );
    expect({ query, errors: response.errors }).toEqual({ query, errors: undefined });
  }
  expect(await error(`query { postsByHashtag(tag: "$gt") { edges { node { id } } } }`, {})).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'tag',
  });
  expect(await error(`query { userPosts(userId: "$gt") { edges { node { id } } } }`, {})).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'userId',
  });
});

/** Every paged list, with the arguments it needs. */
const LISTS: Record<string, { query: string; path: (data: never) => PageData }> = {
  feed: { query: 'feed(first: $first, after: $after)', path: (d: { feed: PageData }) => d.feed },
  explore: { query: 'explore(first: $first, after: $after)', path: (d: { explore: PageData }) => d.explore },
  userPosts: {
    query: 'userPosts(userId: $user, first: $first, after: $after)',
    path: (d: { userPosts: PageData }) => d.userPosts,
  },
  postsByHashtag: {
    query: 'postsByHashtag(tag: $tag, first: $first, after: $after)',
    path: (d: { postsByHashtag: PageData }) => d.postsByHashtag,
  },
  searchPosts: {
    query: 'searchPosts(query: "hello", first: $first, after: $after)',
    path: (d: { searchPosts: PageData }) => d.searchPosts,
  },
  comments: {
    query: 'post(id: $post) { comments(first: $first, after: $after) { ...page } }',
    path: (d: { post: { comments: PageData } }) => d.post.comments,
  },
  oldestComments: {
    query: 'post(id: $post) { comments(order: OLDEST_FIRST, first: $first, after: $after) { ...page } }',
    path: (d: { post: { comments: PageData } }) => d.post.comments,
  },
  replies: {
    query: 'comment(id: $comment) { replies(first: $first, after: $after) { ...page } }',
    path: (d: { comment: { replies: PageData } }) => d.comment.replies,
  },
  reactions: {
    query: 'post(id: $post) { reactions(first: $first, after: $after) { ...page } }',
    path: (d: { post: { reactions: PageData } }) => d.post.reactions,
  },
};
type PageData = { pageInfo: { endCursor: string | null; hasNextPage: boolean } };

function listQuery(name: string): string {
  const list = LISTS[name]!;
  const nested = list.query.includes('{ ...page }');
  const body = nested ? list.query : `${list.query} { ...page }`;
  const node = name === 'reactions' ? 'node { createdAt }' : 'node { id }';
  const declared = [
    '$first: Int',
    '$after: String',
    ...(body.includes('$user') ? ['$user: ID!'] : []),
    ...(body.includes('$tag') ? ['$tag: String!'] : []),
    ...(body.includes('$post') ? ['$post: ID!'] : []),
    ...(body.includes('$comment') ? ['$comment: ID!'] : []),
  ];
  return `query (${declared.join(', ')}) { ${body} }
    fragment page on ${pageType(name)} { pageInfo { endCursor hasNextPage } edges { ${node} } }`;
}
const pageType = (name: string) =>
  name === 'reactions'
    ? 'FeedReactionConnection'
    : name.toLowerCase().includes('comments') || name === 'replies'
      ? 'CommentConnection'
      : 'PostConnection';
const defaults = (name: string): Vars => {
  const body = LISTS[name]!.query;
  return {
    ...(body.includes('$user') ? { user: author.id } : {}),
    ...(body.includes('$tag') ? { tag } : {}),
    ...(body.includes('$post') ? { post: postId } : {}),
    ...(body.includes('$comment') ? { comment: commentId } : {}),
  };
};

test.each(Object.keys(LISTS))('%s: huge, negative or zero first is BAD_USER_INPUT', async (name) => {
  for (const first of [1_000_000, 51, -1, 0]) {
    expect({ first, error: await error(listQuery(name), { ...defaults(name), first }) }).toEqual({
      first,
      error: { code: 'BAD_USER_INPUT', field: 'first' },
    });
  }
});

test('a cursor of one list is refused by every other list', async () => {
  const cursors: Record<string, string> = {};
  for (const name of Object.keys(LISTS)) {
    const data = await bed.run<never>(listQuery(name), { ...defaults(name), first: 1 }, author);
    const page = LISTS[name]!.path(data);
    expect({ name, hasNextPage: page.pageInfo.hasNextPage }).toEqual({ name, hasNextPage: true });
    cursors[name] = page.pageInfo.endCursor!;
  }
  for (const [owner, cursor] of Object.entries(cursors)) {
    // Its own list takes it.
    const own = await bed.supergraph.query(
      listQuery(owner),
      { ...defaults(owner), first: 1, after: cursor },
      {
        token: author.token,
      },
    );
    expect({ owner, errors: own.errors }).toEqual({ owner, errors: undefined });
    for (const other of Object.keys(LISTS).filter((name) => name !== owner)) {
      expect({
        owner,
        other,
        error: await error(listQuery(other), { ...defaults(other), after: cursor }),
      }).toEqual({
        owner,
        other,
        error: { code: 'BAD_USER_INPUT', field: 'after' },
      });
    }
  }
});

test('limits of edits and shares; CUSTOM without an audience; nothing stored', async () => {
  const EDIT = 'mutation ($input: EditPostInput!) { editPost(input: $input) { id content visibility } }';
  const mine = await bed.post(author, { content: 'original', visibility: 'PUBLIC' });
  expect(await error(EDIT, { input: { postId: mine, visibility: 'CUSTOM' } })).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'input.audienceUserIds',
  });
  expect(await error(EDIT, { input: { postId: mine, content: 'x'.repeat(5001) } })).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'input.content',
  });
  expect(
    await error(EDIT, { input: { postId: mine, visibility: 'CUSTOM', audienceUserIds: ['$gt'] } }),
  ).toMatchObject({ code: 'BAD_USER_INPUT', field: expect.stringMatching(/^input\.audienceUserIds/) });
  const SHARE = 'mutation ($id: ID!, $c: String) { sharePost(input: { postId: $id, caption: $c }) { id } }';
  const shares = await count('shares');
  expect(await error(SHARE, { id: mine, c: 'x'.repeat(501) }, reader)).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'input.caption',
  });
  expect(await count('shares')).toBe(shares);
  const { post } = await bed.run<{ post: unknown }>(
    'query ($id: ID!) { post(id: $id) { content visibility isEdited } }',
    { id: mine },
    author,
  );
  expect(post).toEqual({ content: 'original', visibility: 'PUBLIC', isEdited: false });
  // A vote naming an option twice, or an option of another poll.
  const VOTE = 'mutation ($id: ID!, $o: [ID!]!) { votePoll(postId: $id, optionIds: $o) { id } }';
  expect(await error(VOTE, { id: pollId, o: ['1', '1'] }, reader)).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'optionIds',
  });
  expect(await error(VOTE, { id: pollId, o: ['$gt'] }, reader)).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'optionIds',
  });
  expect(await bed.db.collection('poll_votes').countDocuments({ userId: reader.id })).toBe(0);
});

test('`_entities` representations with NoSQL-looking ids resolve to nothing', async () => {
  const response = await bed.supergraph.query<{ _entities: unknown[] }>(
    `query ($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Post { id } ... on Comment { id } ... on User { id pinnedPost { id } posts { edges { node { id } } } } } }`,
    {
      reps: [
        { __typename: 'Post', id: { $ne: null } },
        { __typename: 'Comment', id: { $gt: '' } },
        { __typename: 'Post', id: ['$gt'] },
        { __typename: 'User', id: { $gt: '' } },
      ],
    },
    { target: 'feed', token: author.token },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?._entities).toEqual([null, null, null, null]);
});
