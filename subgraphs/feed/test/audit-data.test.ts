/**
 * Audit of stored facts (issue 6): the seed's shares record follows edits of the share, and a
 * post's updatedAt moves whenever its counters change, hidden accounts included.
 */
import { ObjectId } from 'mongodb';
import { startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed();
});
afterAll(async () => {
  await bed?.stop();
});

test('editing a share’s caption and visibility updates the seed’s shares record', async () => {
  const [author, sharer] = await bed.members(2);
  const original = await bed.post(author, { content: 'worth sharing', visibility: 'PUBLIC' });
  const { sharePost } = await bed.run<{ sharePost: { id: string } }>(
    `mutation ($id: ID!) { sharePost(input: { postId: $id, caption: "look", visibility: PUBLIC }) { id } }`,
    { id: original },
    sharer,
  );
  await bed.run(
    `mutation ($id: ID!) { editPost(input: { postId: $id, content: "on second thought", visibility: PRIVATE }) { id } }`,
    { id: sharePost.id },
    sharer,
  );
  const record = await bed.db.collection('shares').findOne({ sharedPostId: new ObjectId(sharePost.id) });
  expect(record).toMatchObject({ caption: 'on second thought', visibility: 'Private', userId: sharer.id });
});

test('a post’s updatedAt moves when a hidden account’s comment and reaction stop counting', async () => {
  const [author, commenter] = await bed.members(2);
  const postId = await bed.post(author, { content: 'counted', visibility: 'PUBLIC' });
  await bed.run(
    `mutation ($id: ID!) { addComment(input: { postId: $id, content: "hi" }) { id } }`,
    { id: postId },
    commenter,
  );
  await bed.run(
    `mutation ($id: ID!) { react(input: { entityId: $id, entityType: POST, reaction: LIKE }) { id } }`,
    { id: postId },
    commenter,
  );
  const POST = `query ($id: ID!) { post(id: $id) { likesCount commentsCount updatedAt } }`;
  const read = async () =>
    (
      await bed.run<{ post: { likesCount: number; commentsCount: number; updatedAt: string } }>(
        POST,
        { id: postId },
        author,
      )
    ).post;
  const before = await read();
  expect(before).toMatchObject({ likesCount: 1, commentsCount: 1 });
  await bed.supergraph.stack.resources.events.publish('auth', 'UserStatusChanged', {
    userId: commenter.id,
    status: 'SUSPENDED',
    previousStatus: 'ACTIVE',
    changedBy: author.id,
  });
  const after = await bed.eventually(read, (post) => post.commentsCount === 0);
  expect(after.likesCount).toBe(0);
  expect(new Date(after.updatedAt).getTime()).toBeGreaterThan(new Date(before.updatedAt).getTime());
});

test('a file media deleted after it was attached leaves the post’s media', async () => {
  const author = await bed.member();
  const files = [new ObjectId().toHexString(), new ObjectId().toHexString()];
  for (const mediaId of files) {
    await bed.supergraph.stack.resources.events.publish('media', 'MediaUploaded', {
      mediaId,
      ownerId: author.id,
      fileType: 'IMAGE',
      mimeType: 'image/png',
      category: 'POST',
      isPublic: true,
      fileSize: 10,
      uploadedAt: new Date().toISOString(),
    });
  }
  await bed.mediaKnown(files);
  const postId = await bed.post(author, { postType: 'PHOTO', mediaIds: files, visibility: 'PUBLIC' });
  await bed.supergraph.stack.resources.events.publish('media', 'MediaDeleted', {
    mediaId: files[0],
    ownerId: author.id,
    deletedAt: new Date().toISOString(),
  });
  const MEDIA = `query ($id: ID!) { post(id: $id) { media { id } } }`;
  const post = await bed.eventually(
    async () =>
      (await bed.run<{ post: { media: Array<{ id: string }> } }>(MEDIA, { id: postId }, author)).post,
    (found) => found.media.length === 1,
  );
  expect(post.media).toEqual([{ id: files[1] }]);
});
