/**
 * Audit of the events out (issue 6): a UserMentioned carries previews of the post and of the
 * comment, so it goes only to mentioned users who may see the post; the mention itself still
 * shows on the post.
 */
import type { EventEnvelope } from '@social/kit';
import { recordFeedEvents, startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;
let recorder: Awaited<ReturnType<typeof recordFeedEvents>>;

beforeAll(async () => {
  bed = await startFeedTestbed();
  recorder = await recordFeedEvents(bed, 'audit-events-test');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

const told = (event: EventEnvelope) => (event.data as { mentionedUserIds: string[] }).mentionedUserIds;

test('UserMentioned goes only to mentioned users who may see the post', async () => {
  const [author, friend, stranger, member] = await bed.members(4);
  await bed.befriend(author, friend);
  const mention = `@${friend.username} @${stranger.username} @${member.username}`;

  const friendsOnly = await bed.post(author, { content: `friends only ${mention}`, visibility: 'FRIENDS' });
  const { post } = await bed.run<{ post: { mentions: Array<{ id: string }> } }>(
    'query ($id: ID!) { post(id: $id) { mentions { id } } }',
    { id: friendsOnly },
    author,
  );
  expect(post.mentions).toEqual([{ id: friend.id }, { id: stranger.id }, { id: member.id }]);
  expect(told(await recorder.waitFor('UserMentioned', { postId: friendsOnly, source: 'POST' }))).toEqual([
    friend.id,
  ]);

  const custom = await bed.post(author, {
    content: `custom ${mention}`,
    visibility: 'CUSTOM',
    audienceUserIds: [member.id],
  });
  expect(told(await recorder.waitFor('UserMentioned', { postId: custom, source: 'POST' }))).toEqual([
    member.id,
  ]);

  // A friend's comment on the FRIENDS post: the post's author may be told, the stranger not.
  const { addComment } = await bed.run<{ addComment: { id: string } }>(
    `mutation ($id: ID!, $c: String!) { addComment(input: { postId: $id, content: $c }) { id } }`,
    { id: friendsOnly, c: `look @${author.username} @${stranger.username}` },
    friend,
  );
  expect(told(await recorder.waitFor('UserMentioned', { commentId: addComment.id }))).toEqual([author.id]);

  // Nobody who may see it: no event at all; an edit to PUBLIC that mentions them tells them.
  const privatePost = await bed.post(author, { content: `note to self ${mention}`, visibility: 'PRIVATE' });
  await bed.run(
    `mutation ($id: ID!, $c: String!) { editPost(input: { postId: $id, content: $c, visibility: PUBLIC }) { id } }`,
    { id: privatePost, c: `now public ${mention}` },
    author,
  );
  const edited = await recorder.waitFor('UserMentioned', { postId: privatePost, source: 'POST' });
  expect(told(edited)).toEqual([friend.id, stranger.id, member.id]);
  expect(recorder.count('UserMentioned', { postId: privatePost })).toBe(1);

  // A share's caption: those who may see the share.
  const original = await bed.post(member, { content: 'share me', visibility: 'PUBLIC' });
  const { sharePost } = await bed.run<{ sharePost: { id: string } }>(
    `mutation ($id: ID!, $c: String) { sharePost(input: { postId: $id, caption: $c, visibility: FRIENDS }) { id } }`,
    { id: original, c: `via @${friend.username} @${stranger.username}` },
    author,
  );
  expect(told(await recorder.waitFor('UserMentioned', { postId: sharePost.id }))).toEqual([friend.id]);
});
