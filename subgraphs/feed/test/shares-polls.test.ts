/**
 * Shares (of originals and of shares, what may not be shared, what viewers of a share see),
 * poll votes, and views counted once per viewer.
 */
import { recordFeedEvents, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;
let recorder: Awaited<ReturnType<typeof recordFeedEvents>>;

beforeAll(async () => {
  bed = await startFeedTestbed();
  recorder = await recordFeedEvents(bed, 'shares-test');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

const SHARE = `mutation ($id: ID!, $caption: String, $visibility: ShareVisibility) {
  sharePost(input: { postId: $id, caption: $caption, visibility: $visibility }) {
    id author { id } content visibility isShare originalPost { id sharesCount } hashtags
  } }`;
const POST = `query ($id: ID!) { post(id: $id) { id content isShare sharesCount viewsCount originalPost { id } } }`;
const VOTE = `mutation ($id: ID!, $options: [ID!]!) { votePoll(postId: $id, optionIds: $options) {
  poll { votersCount viewerVoteOptionIds isClosed options { id votesCount viewerHasVoted } } } }`;
const VIEWED = `mutation ($ids: [ID!]!) { markPostsViewed(ids: $ids) }`;

type Shared = { id: string; isShare: boolean; originalPost: { id: string; sharesCount: number } | null };

test('sharing creates a post whose originalPost is the shared one; a share of a share shares the original', async () => {
  const [author, sharer, friendOfSharer] = await bed.members(3);
  await bed.befriend(sharer, friendOfSharer);
  const original = await bed.post(author, { content: 'worth sharing', visibility: 'PUBLIC' });
  const first = await bed.run<{ sharePost: Shared & Record<string, unknown> }>(
    SHARE,
    { id: original, caption: 'look #shared', visibility: 'PUBLIC' },
    sharer,
  );
  expect(first.sharePost).toMatchObject({
    author: { id: sharer.id },
    content: 'look #shared',
    visibility: 'PUBLIC',
    isShare: true,
    originalPost: { id: original, sharesCount: 1 },
    hashtags: ['shared'],
  });
  const second = await bed.run<{ sharePost: Shared }>(SHARE, { id: first.sharePost.id }, friendOfSharer);
  expect(second.sharePost).toMatchObject({
    visibility: 'FRIENDS',
    originalPost: { id: original, sharesCount: 2 },
  });
  const event = await recorder.waitFor('PostShared', { sharedPostId: second.sharePost.id });
  expect(event.data).toMatchObject({
    actorId: friendOfSharer.id,
    postId: original,
    postAuthorId: author.id,
    shareVisibility: 'FRIENDS',
    postVisibility: 'PUBLIC',
    postPreview: 'worth sharing',
  });
  // Deleting a share takes it off the original's count.
  await bed.run('mutation ($id: ID!) { deletePost(id: $id) }', { id: second.sharePost.id }, friendOfSharer);
  expect(
    (await bed.run<{ post: { sharesCount: number } }>(POST, { id: original }, author)).post.sharesCount,
  ).toBe(1);
});

test('a share never widens the original’s audience; private and custom posts of others cannot be shared', async () => {
  const [author, friend, friendOfFriend, member] = await bed.members(4);
  await bed.befriend(author, friend);
  await bed.befriend(friend, friendOfFriend);
  const friendsOnly = await bed.post(author, { content: 'for friends', visibility: 'FRIENDS' });
  const shared = await bed.run<{ sharePost: Shared }>(
    SHARE,
    { id: friendsOnly, visibility: 'PUBLIC' },
    friend,
  );
  // The friend's friend sees the share, but not the original behind it.
  const seen = await bed.run<{ post: Record<string, unknown> }>(
    POST,
    { id: shared.sharePost.id },
    friendOfFriend,
  );
  expect(seen.post).toMatchObject({ isShare: true, originalPost: null });
  // ...and so cannot share it on.
  expect(await bed.failure(SHARE, { id: shared.sharePost.id }, friendOfFriend)).toBe('NOT_FOUND');

  const custom = await bed.post(author, {
    content: 'few',
    visibility: 'CUSTOM',
    audienceUserIds: [member.id],
  });
  expect(await bed.failure(SHARE, { id: custom }, member)).toBe('FORBIDDEN');
  const own = await bed.post(author, { content: 'mine', visibility: 'PRIVATE' });
  expect(await bed.failure(SHARE, { id: own }, friend)).toBe('NOT_FOUND');
  expect(
    (await bed.run<{ sharePost: Shared }>(SHARE, { id: own, visibility: 'PRIVATE' }, author)).sharePost
      .originalPost,
  ).toMatchObject({ id: own });
  expect(await bed.failure(SHARE, { id: friendsOnly, caption: 'x'.repeat(501) }, friend)).toBe(
    'BAD_USER_INPUT',
  );
  // A deleted original leaves its shares pointing at nothing.
  await bed.run('mutation ($id: ID!) { deletePost(id: $id) }', { id: friendsOnly }, author);
  expect(
    (await bed.run<{ post: Record<string, unknown> }>(POST, { id: shared.sharePost.id }, friend)).post,
  ).toMatchObject({
    isShare: true,
    originalPost: null,
  });
});

describe('polls', () => {
  const createPoll = async (author: Awaited<ReturnType<FeedTestbed['member']>>, multiple: boolean) => {
    const data = await bed.run<{ createPost: { id: string; poll: { options: Array<{ id: string }> } } }>(
      `mutation ($input: CreatePostInput!) { createPost(input: $input) { id poll { options { id } } } }`,
      {
        input: {
          postType: 'POLL',
          visibility: 'PUBLIC',
          content: 'Vote!',
          poll: { question: 'Which?', options: ['A', 'B', 'C'], allowMultipleAnswers: multiple },
        },
      },
      author,
    );
    return { id: data.createPost.id, options: data.createPost.poll.options.map((option) => option.id) };
  };

  test('a vote replaces the previous one; counts are per option and per voter', async () => {
    const [author, a, b] = await bed.members(3);
    const poll = await createPoll(author, false);
    const [optA, optB] = poll.options as [string, string];
    await bed.run(VOTE, { id: poll.id, options: [optA] }, a);
    const voted = await bed.run<{ votePoll: { poll: Record<string, unknown> } }>(
      VOTE,
      { id: poll.id, options: [optA] },
      b,
    );
    expect(voted.votePoll.poll).toMatchObject({ votersCount: 2, viewerVoteOptionIds: [optA] });
    const changed = await bed.run<{ votePoll: { poll: { options: unknown[] } } }>(
      VOTE,
      { id: poll.id, options: [optB] },
      b,
    );
    expect(changed.votePoll.poll).toMatchObject({
      votersCount: 2,
      viewerVoteOptionIds: [optB],
      options: [
        { id: optA, votesCount: 1, viewerHasVoted: false },
        { id: optB, votesCount: 1, viewerHasVoted: true },
        { votesCount: 0, viewerHasVoted: false },
      ],
    });
    expect(await bed.failure(VOTE, { id: poll.id, options: [optA, optB] }, a)).toBe('BAD_USER_INPUT');
    expect(await bed.failure(VOTE, { id: poll.id, options: ['99'] }, a)).toBe('BAD_USER_INPUT');
    expect(await bed.failure(VOTE, { id: poll.id, options: [] }, a)).toBe('BAD_USER_INPUT');
    const text = await bed.post(author, { content: 'no poll', visibility: 'PUBLIC' });
    expect(await bed.failure(VOTE, { id: text, options: ['1'] }, a)).toBe('BAD_USER_INPUT');
  });

  test('multiple answers, concurrent voters, and a closed poll', async () => {
    const [author, ...voters] = await bed.members(11);
    const poll = await createPoll(author!, true);
    const [optA, optB, optC] = poll.options as [string, string, string];
    await Promise.all(voters.map((voter) => bed.run(VOTE, { id: poll.id, options: [optA, optC] }, voter)));
    const result = await bed.run<{ post: { poll: Record<string, unknown> } }>(
      'query ($id: ID!) { post(id: $id) { poll { votersCount options { id votesCount } } } }',
      { id: poll.id },
      author,
    );
    expect(result.post.poll).toEqual({
      votersCount: 10,
      options: [
        { id: optA, votesCount: 10 },
        { id: optB, votesCount: 0 },
        { id: optC, votesCount: 10 },
      ],
    });
    // Time passes: the poll closes.
    await bed.db
      .collection('posts')
      .updateOne(
        { 'poll.question': 'Which?', userId: author!.id },
        { $set: { 'poll.expiresAt': new Date(Date.now() - 1000) } },
      );
    expect(await bed.failure(VOTE, { id: poll.id, options: [optB] }, voters[0])).toBe('BAD_USER_INPUT');
    const closed = await bed.run<{ post: { poll: { isClosed: boolean } } }>(
      'query ($id: ID!) { post(id: $id) { poll { isClosed } } }',
      { id: poll.id },
      author,
    );
    expect(closed.post.poll.isClosed).toBe(true);
  });
});

test('views count each viewer once; posts the viewer may not see and their own are ignored', async () => {
  const [author, friend, stranger] = await bed.members(3);
  await bed.befriend(author, friend);
  const open = await bed.post(author, { content: 'open', visibility: 'PUBLIC' });
  const closed = await bed.post(author, { content: 'closed', visibility: 'FRIENDS' });
  const views = async (id: string) =>
    (await bed.run<{ post: { viewsCount: number } }>(POST, { id }, author)).post.viewsCount;
  await Promise.all([
    bed.run(VIEWED, { ids: [open, closed] }, friend),
    bed.run(VIEWED, { ids: [open, closed, open] }, friend),
  ]);
  await bed.run(VIEWED, { ids: [open, closed, '0123456789abcdef01234567'] }, stranger);
  // An id that cannot be a post id is bad input, and the batch records nothing.
  expect(await bed.failure(VIEWED, { ids: [open, 'bogus'] }, author)).toBe('BAD_USER_INPUT');
  await bed.run(VIEWED, { ids: [open, closed] }, author);
  expect(await views(open)).toBe(2);
  expect(await views(closed)).toBe(1);
  expect(await bed.failure(VIEWED, { ids: [] }, friend)).toBe('BAD_USER_INPUT');
  expect(await bed.failure(VIEWED, { ids: Array.from({ length: 51 }, () => open) }, friend)).toBe(
    'BAD_USER_INPUT',
  );
});
