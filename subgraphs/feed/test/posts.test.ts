/**
 * Creating, editing, deleting, pinning and archiving posts, as their author and as others see it.
 */
import { CREATE_POST, idsOf, recordFeedEvents, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;
let recorder: Awaited<ReturnType<typeof recordFeedEvents>>;

beforeAll(async () => {
  bed = await startFeedTestbed();
  recorder = await recordFeedEvents(bed, 'posts-test');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

const POST_FIELDS = `id author { id username } content postType visibility audience { id } media { id }
  hashtags mentions { id } location { name address coordinates { latitude longitude } }
  linkPreview { url title description imageUrl domain }
  poll { question allowMultipleAnswers expiresAt isClosed votersCount viewerVoteOptionIds
    options { id text votesCount viewerHasVoted } }
  likesCount commentsCount sharesCount viewsCount viewerReaction reactionsSummary { reaction count }
  isShare originalPost { id } isPinned isArchived isEdited editedAt createdAt updatedAt`;
const POST = `query ($id: ID!) { post(id: $id) { ${POST_FIELDS} } }`;
const CREATE = `mutation ($input: CreatePostInput!) { createPost(input: $input) { ${POST_FIELDS} } }`;
const EDIT = `mutation ($input: EditPostInput!) { editPost(input: $input) { ${POST_FIELDS} } }`;
const DELETE = `mutation ($id: ID!) { deletePost(id: $id) }`;
const PIN = `mutation ($id: ID!, $pinned: Boolean) { pinPost(id: $id, pinned: $pinned) { id isPinned } }`;
const ARCHIVE = `mutation ($id: ID!, $archived: Boolean) { archivePost(id: $id, archived: $archived) { id isArchived } }`;
const USER_POSTS = `query ($id: ID!) { userPosts(userId: $id) { edges { node { id } } } }`;

type Post = Record<string, unknown> & { id: string };

describe('createPost', () => {
  test('a text post with hashtags and mentions extracted server-side', async () => {
    const [author, friend] = await bed.members(2);
    const content = `Hello #World and #rust_lang, #world again, @${friend.username} and @nobody_here_xyz! mail a@b.c`;
    const { createPost } = await bed.run<{ createPost: Post }>(CREATE, { input: { content } }, author);
    expect(createPost).toMatchObject({
      author: { id: author.id, username: author.username },
      content,
      postType: 'TEXT',
      visibility: 'FRIENDS',
      audience: null,
      media: [],
      hashtags: ['world', 'rust_lang'],
      mentions: [{ id: friend.id }],
      location: null,
      linkPreview: null,
      poll: null,
      likesCount: 0,
      commentsCount: 0,
      sharesCount: 0,
      viewsCount: 0,
      viewerReaction: null,
      reactionsSummary: [],
      isShare: false,
      originalPost: null,
      isPinned: false,
      isArchived: false,
      isEdited: false,
      editedAt: null,
    });
    const { post } = await bed.run<{ post: Post }>(POST, { id: createPost.id }, author);
    expect(post).toEqual(createPost);
  });

  test('a link, a location, an event and a poll', async () => {
    const author = await bed.member();
    const link = await bed.run<{ createPost: Post }>(
      CREATE,
      {
        input: {
          postType: 'LINK',
          visibility: 'PUBLIC',
          content: 'Read this',
          link: { url: 'https://www.Example.com/a?b=1', title: 'A page' },
          location: { name: 'Central Park', coordinates: { latitude: 40.78, longitude: -73.97 } },
        },
      },
      author,
    );
    expect(link.createPost).toMatchObject({
      postType: 'LINK',
      visibility: 'PUBLIC',
      linkPreview: {
        url: 'https://www.Example.com/a?b=1',
        title: 'A page',
        description: null,
        imageUrl: null,
        domain: 'example.com',
      },
      location: { name: 'Central Park', address: null, coordinates: { latitude: 40.78, longitude: -73.97 } },
    });
    const expiresAt = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    const poll = await bed.run<{ createPost: Post }>(
      CREATE,
      {
        input: {
          postType: 'POLL',
          poll: { question: 'Tea or coffee?', options: ['Tea', 'Coffee'], expiresAt },
        },
      },
      author,
    );
    expect(poll.createPost).toMatchObject({
      content: null,
      postType: 'POLL',
      poll: {
        question: 'Tea or coffee?',
        allowMultipleAnswers: false,
        expiresAt,
        isClosed: false,
        votersCount: 0,
        viewerVoteOptionIds: [],
        options: [
          { text: 'Tea', votesCount: 0, viewerHasVoted: false },
          { text: 'Coffee', votesCount: 0, viewerHasVoted: false },
        ],
      },
    });
    const event = await bed.run<{ createPost: Post }>(
      CREATE,
      {
        input: {
          postType: 'EVENT',
          content: 'Party on Friday',
          location: { name: 'Home', address: '1 Main St' },
        },
      },
      author,
    );
    expect(event.createPost).toMatchObject({
      postType: 'EVENT',
      location: { name: 'Home', address: '1 Main St' },
    });
  });

  test.each([
    ['no content and no media', {}, 'input.content'],
    ['blank content', { content: '   ' }, 'input.content'],
    ['content over 5000 characters', { content: 'x'.repeat(5001) }, 'input.content'],
    ['CUSTOM without an audience', { content: 'x', visibility: 'CUSTOM' }, 'input.audienceUserIds'],
    [
      'an empty audience',
      { content: 'x', visibility: 'CUSTOM', audienceUserIds: [] },
      'input.audienceUserIds',
    ],
    [
      'a poll of another post type',
      { content: 'x', poll: { question: 'q', options: ['a', 'b'] } },
      'input.poll',
    ],
    ['a POLL without a poll', { postType: 'POLL', content: 'x' }, 'input.poll'],
    ['a LINK without a link', { postType: 'LINK', content: 'x' }, 'input.link'],
    [
      'a link that is not http',
      { postType: 'LINK', content: 'x', link: { url: 'ftp://a.b/c' } },
      'input.link.url',
    ],
    ['a PHOTO without media', { postType: 'PHOTO', content: 'x' }, 'input.mediaIds'],
    [
      'a poll with one option',
      { postType: 'POLL', poll: { question: 'q', options: ['a'] } },
      'input.poll.options',
    ],
    [
      'a poll with a repeated option',
      { postType: 'POLL', poll: { question: 'q', options: ['a', 'A'] } },
      'input.poll.options',
    ],
    [
      'a poll expiring in the past',
      {
        postType: 'POLL',
        poll: { question: 'q', options: ['a', 'b'], expiresAt: '2020-01-01T00:00:00.000Z' },
      },
      'input.poll.expiresAt',
    ],
    [
      'a poll expiring in 31 days',
      {
        postType: 'POLL',
        poll: {
          question: 'q',
          options: ['a', 'b'],
          expiresAt: new Date(Date.now() + 31 * 86400000).toISOString(),
        },
      },
      'input.poll.expiresAt',
    ],
    [
      'a location without name or coordinates',
      { content: 'x', location: { address: 'Somewhere' } },
      'input.location',
    ],
    [
      'a latitude out of range',
      { content: 'x', location: { coordinates: { latitude: 91, longitude: 0 } } },
      'input.location.coordinates.latitude',
    ],
    [
      'eleven media files',
      {
        content: 'x',
        mediaIds: Array.from({ length: 11 }, (_, i) => `${'a'.repeat(22)}${String(i).padStart(2, '0')}`),
      },
      'input.mediaIds',
    ],
  ])('BAD_USER_INPUT for %s, and nothing stored', async (_case, input, field) => {
    const author = await bed.member();
    const response = await bed.supergraph.query(CREATE_POST, { input }, { token: author.token });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await bed.db.collection('posts').countDocuments({ userId: author.id })).toBe(0);
  });

  test('anonymous callers cannot post', async () => {
    expect(await bed.failure(CREATE_POST, { input: { content: 'hi' } })).toBe('UNAUTHENTICATED');
  });
});

describe('editPost and deletePost', () => {
  test('the author edits content (hashtags re-extracted), visibility, audience and location', async () => {
    const [author, friend, other] = await bed.members(3);
    const id = await bed.post(author, { content: 'First #one', location: { name: 'Here' } });
    const { editPost } = await bed.run<{ editPost: Post }>(
      EDIT,
      {
        input: {
          postId: id,
          content: `Second #two @${friend.username}`,
          visibility: 'CUSTOM',
          audienceUserIds: [friend.id, other.id],
          location: null,
        },
      },
      author,
    );
    expect(editPost).toMatchObject({
      content: `Second #two @${friend.username}`,
      hashtags: ['two'],
      mentions: [{ id: friend.id }],
      visibility: 'CUSTOM',
      audience: [{ id: friend.id }, { id: other.id }],
      location: null,
      isEdited: true,
    });
    expect(editPost.editedAt).not.toBeNull();
    // Only the author sees the audience list.
    const seen = await bed.run<{ post: Post }>(POST, { id }, friend);
    expect(seen.post).toMatchObject({ visibility: 'CUSTOM', audience: null });

    const tags = await bed.run<{ one: { count: number } | null; two: { count: number } | null }>(
      '{ one: hashtag(tag: "one") { count } two: hashtag(tag: "#TWO") { count } }',
      {},
      author,
    );
    expect(tags).toEqual({ one: { count: 0 }, two: { count: 1 } });
  });

  test('only the author edits or deletes; others get FORBIDDEN or NOT_FOUND', async () => {
    const [author, friend, stranger] = await bed.members(3);
    await bed.befriend(author, friend);
    const id = await bed.post(author, { content: 'mine', visibility: 'FRIENDS' });
    expect(await bed.failure(EDIT, { input: { postId: id, content: 'hacked' } }, friend)).toBe('FORBIDDEN');
    expect(await bed.failure(DELETE, { id }, friend)).toBe('FORBIDDEN');
    // A stranger may not even see it: nothing is revealed.
    expect(await bed.failure(EDIT, { input: { postId: id, content: 'hacked' } }, stranger)).toBe('NOT_FOUND');
    expect(await bed.failure(PIN, { id }, stranger)).toBe('NOT_FOUND');
    expect(await bed.failure(EDIT, { input: { postId: id, content: 'x'.repeat(5001) } }, author)).toBe(
      'BAD_USER_INPUT',
    );
    expect(await bed.failure(EDIT, { input: { postId: id, visibility: 'CUSTOM' } }, author)).toBe(
      'BAD_USER_INPUT',
    );
    expect(await bed.failure(EDIT, { input: { postId: id, content: '' } }, author)).toBe('BAD_USER_INPUT');
    const { post } = await bed.run<{ post: Post }>(POST, { id }, author);
    expect(post).toMatchObject({ content: 'mine', visibility: 'FRIENDS', isEdited: false });
  });

  test('a deleted post is gone for everyone, and deleting it again is NOT_FOUND', async () => {
    const author = await bed.member();
    const id = await bed.post(author, { content: 'bye #gone_tag', visibility: 'PUBLIC' });
    expect(await bed.run(DELETE, { id }, author)).toEqual({ deletePost: true });
    expect(await bed.run(POST, { id }, author)).toEqual({ post: null });
    expect(
      idsOf((await bed.run<{ userPosts: never }>(USER_POSTS, { id: author.id }, author)).userPosts),
    ).toEqual([]);
    expect(await bed.failure(DELETE, { id }, author)).toBe('NOT_FOUND');
    expect(await bed.failure(DELETE, { id: '0123456789abcdef01234567' }, author)).toBe('NOT_FOUND');
    const tag = await bed.run<{ hashtag: { count: number } }>(
      '{ hashtag(tag: "gone_tag") { count } }',
      {},
      author,
    );
    expect(tag.hashtag.count).toBe(0);
  });
});

test('PostCreated, UserMentioned and PostDeleted carry what a notification needs', async () => {
  const [author, friend, member] = await bed.members(3);
  const content = `For you @${friend.username} and @${member.username} and me @${author.username} #news ${'long '.repeat(40)}`;
  const id = await bed.post(author, {
    content,
    visibility: 'CUSTOM',
    audienceUserIds: [friend.id, member.id],
  });
  const created = await recorder.waitFor('PostCreated', { postId: id });
  expect(created.data).toEqual({
    postId: id,
    postAuthorId: author.id,
    actorId: author.id,
    postVisibility: 'CUSTOM',
    audienceUserIds: [friend.id, member.id],
    postPreview: expect.stringMatching(/^For you .{80,}…$/),
    postType: 'TEXT',
    hashtags: ['news'],
    mentionedUserIds: [friend.id, member.id, author.id],
    mediaIds: [],
    createdAt: expect.any(String),
  });
  expect((created.data as { postPreview: string }).postPreview).toHaveLength(100);
  const mentioned = await recorder.waitFor('UserMentioned', { postId: id });
  expect(mentioned.data).toMatchObject({
    actorId: author.id,
    source: 'POST',
    commentId: null,
    mentionedUserIds: [friend.id, member.id],
    postVisibility: 'CUSTOM',
  });
  await bed.run(DELETE, { id }, author);
  const deleted = await recorder.waitFor('PostDeleted', { postId: id });
  expect(deleted.data).toMatchObject({ postAuthorId: author.id, originalPostId: null });
});

describe('pinning and archiving', () => {
  const PINNED = `query ($id: ID!) { user(id: $id) { pinnedPost { id isPinned } } }`;

  test('pinning unpins the previous post; User.pinnedPost follows', async () => {
    const [author, viewer] = await bed.members(2);
    const first = await bed.post(author, { content: 'one', visibility: 'PUBLIC' });
    const second = await bed.post(author, { content: 'two', visibility: 'PUBLIC' });
    expect(await bed.run(PIN, { id: first }, author)).toEqual({ pinPost: { id: first, isPinned: true } });
    expect(await bed.run(PINNED, { id: author.id }, viewer)).toEqual({
      user: { pinnedPost: { id: first, isPinned: true } },
    });
    await bed.run(PIN, { id: second }, author);
    expect((await bed.run<{ post: Post }>(POST, { id: first }, author)).post.isPinned).toBe(false);
    expect(await bed.run(PINNED, { id: author.id }, viewer)).toEqual({
      user: { pinnedPost: { id: second, isPinned: true } },
    });
    // Unpinning a post that is not the pinned one leaves the pinned one.
    await bed.run(PIN, { id: first, pinned: false }, author);
    expect(await bed.run(PINNED, { id: author.id }, viewer)).toEqual({
      user: { pinnedPost: { id: second, isPinned: true } },
    });
    await bed.run(PIN, { id: second, pinned: false }, author);
    expect(await bed.run(PINNED, { id: author.id }, viewer)).toEqual({ user: { pinnedPost: null } });
  });

  test('pins racing each other leave exactly one pinned post', async () => {
    const author = await bed.member();
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => bed.post(author, { content: `p${i}` })),
    );
    await Promise.all(ids.map((id) => bed.run(PIN, { id }, author)));
    expect(await bed.db.collection('posts').countDocuments({ userId: author.id, isPinned: true })).toBe(1);
  });

  test('archived posts are visible to the author only, in archivedPosts, and lose their pin', async () => {
    const [author, friend] = await bed.members(2);
    await bed.befriend(author, friend);
    const id = await bed.post(author, { content: 'old news', visibility: 'PUBLIC' });
    await bed.run(PIN, { id }, author);
    expect(await bed.run(ARCHIVE, { id }, author)).toEqual({ archivePost: { id, isArchived: true } });
    expect(await bed.run(POST, { id }, friend)).toEqual({ post: null });
    expect(
      idsOf((await bed.run<{ userPosts: never }>(USER_POSTS, { id: author.id }, friend)).userPosts),
    ).toEqual([]);
    expect(
      idsOf((await bed.run<{ userPosts: never }>(USER_POSTS, { id: author.id }, author)).userPosts),
    ).toEqual([id]);
    const archived = await bed.run<{ archivedPosts: never }>(
      '{ archivedPosts { edges { node { id isPinned } } } }',
      {},
      author,
    );
    expect(idsOf(archived.archivedPosts)).toEqual([id]);
    expect(await bed.failure(PIN, { id }, author)).toBe('BAD_USER_INPUT');
    await bed.run(ARCHIVE, { id, archived: false }, author);
    expect((await bed.run<{ post: Post }>(POST, { id }, friend)).post).toMatchObject({ id, isPinned: false });
    expect(
      idsOf(
        (await bed.run<{ archivedPosts: never }>('{ archivedPosts { edges { node { id } } } }', {}, author))
          .archivedPosts,
      ),
    ).toEqual([]);
  });
});

describe("a user's posts", () => {
  test('User.posts and userPosts page through the visible posts, newest first', async () => {
    const [author, viewer] = await bed.members(2);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1)
      ids.push(await bed.post(author, { content: `post ${i}`, visibility: 'PUBLIC' }));
    await bed.post(author, { content: 'only me', visibility: 'PRIVATE' });
    const PAGE = `query ($id: ID!, $after: String) { user(id: $id) { posts(first: 2, after: $after) {
      pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        user: { posts: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: never[] } };
      } = await bed.run(PAGE, { id: author.id, after }, viewer);
      seen.push(...idsOf(data.user.posts));
      if (!data.user.posts.pageInfo.hasNextPage) break;
      after = data.user.posts.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect(await bed.failure(PAGE, { id: author.id, after: 'not-a-cursor' }, viewer)).toBe('BAD_USER_INPUT');
    expect(await bed.failure(USER_POSTS, { id: 'nope' }, viewer)).toBe('BAD_USER_INPUT');
    // Anonymous viewers see no posts.
    expect(idsOf((await bed.run<{ userPosts: never }>(USER_POSTS, { id: author.id })).userPosts)).toEqual([]);
  });
});
