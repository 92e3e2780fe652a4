/**
 * Files attached to posts: the feed knows media's files only from media's events (MediaUploaded,
 * MediaProcessed, MediaDeleted), published here as media publishes them.
 */
import { ObjectId } from 'mongodb';
import { startFeedTestbed, type FeedTestbed } from './helpers.js';

let bed: FeedTestbed;

beforeAll(async () => {
  bed = await startFeedTestbed({ EVENT_WAIT_MS: '1500' });
});
afterAll(async () => {
  await bed?.stop();
});

const CREATE = `mutation ($input: CreatePostInput!) { createPost(input: $input) { id postType media { id } } }`;
const EDIT = `mutation ($input: EditPostInput!) { editPost(input: $input) { id media { id } isEdited } }`;

function uploaded(ownerId: string, fileType = 'IMAGE') {
  const mediaId = new ObjectId().toHexString();
  const data = {
    mediaId,
    ownerId,
    fileType,
    mimeType: fileType === 'IMAGE' ? 'image/png' : 'video/mp4',
    category: 'POST',
    isPublic: true,
    fileSize: 1234,
    uploadedAt: new Date().toISOString(),
  };
  return {
    mediaId,
    publish: () => bed.supergraph.stack.resources.events.publish('media', 'MediaUploaded', data),
  };
}

test('a photo post shows its files in order; media-only posts need no text', async () => {
  const author = await bed.member();
  const files = [uploaded(author.id), uploaded(author.id)];
  for (const file of files) await file.publish();
  await bed.mediaKnown(files.map((file) => file.mediaId));
  const ids = files.map((file) => file.mediaId).reverse();
  const { createPost } = await bed.run<{ createPost: { id: string; media: Array<{ id: string }> } }>(
    CREATE,
    { input: { postType: 'PHOTO', mediaIds: ids, visibility: 'PUBLIC' } },
    author,
  );
  expect(createPost).toMatchObject({ postType: 'PHOTO', media: ids.map((id) => ({ id })) });
  // Replacing the list; a PHOTO post cannot lose all its files.
  const edited = await bed.run<{ editPost: { media: Array<{ id: string }>; isEdited: boolean } }>(
    EDIT,
    { input: { postId: createPost.id, mediaIds: [ids[1]] } },
    author,
  );
  expect(edited.editPost).toMatchObject({ media: [{ id: ids[1] }], isEdited: true });
  expect(await bed.failure(EDIT, { input: { postId: createPost.id, mediaIds: [] } }, author)).toBe(
    'BAD_USER_INPUT',
  );
});

test('a file attached right after uploading waits for media’s event', async () => {
  const author = await bed.member();
  const file = uploaded(author.id);
  const pending = bed.run<{ createPost: { media: Array<{ id: string }> } }>(
    CREATE,
    { input: { content: 'just uploaded', mediaIds: [file.mediaId] } },
    author,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  await file.publish();
  expect((await pending).createPost.media).toEqual([{ id: file.mediaId }]);
});

test('files of others, unknown, deleted or failed files, and wrong kinds are refused', async () => {
  const [author, other] = await bed.members(2);
  const theirs = uploaded(other.id);
  const deleted = uploaded(author.id);
  const failed = uploaded(author.id);
  const video = uploaded(author.id, 'VIDEO');
  for (const file of [theirs, deleted, failed, video]) await file.publish();
  const events = bed.supergraph.stack.resources.events;
  await events.publish('media', 'MediaDeleted', {
    mediaId: deleted.mediaId,
    ownerId: author.id,
    deletedAt: new Date().toISOString(),
  });
  await events.publish('media', 'MediaProcessed', {
    mediaId: failed.mediaId,
    ownerId: author.id,
    fileType: 'IMAGE',
    mimeType: 'image/png',
    category: 'POST',
    isPublic: true,
    status: 'FAILED',
    url: null,
    webUrl: null,
    thumbnailUrl: null,
    width: null,
    height: null,
    duration: null,
    processingError: 'corrupt',
  });
  await bed.mediaKnown([theirs.mediaId, video.mediaId]);
  await bed.eventually(
    () =>
      bed.db
        .collection('media_refs')
        .find({ _id: { $in: [deleted.mediaId, failed.mediaId] as never[] } })
        .toArray(),
    (refs) =>
      refs
        .map((ref) => ref.status)
        .sort()
        .join() === 'DELETED,FAILED',
  );
  const attempt = (mediaIds: string[], postType = 'TEXT') =>
    bed.failure(CREATE, { input: { content: 'with files', postType, mediaIds } }, author);
  expect(await attempt([theirs.mediaId])).toBe('NOT_FOUND');
  expect(await attempt([deleted.mediaId])).toBe('NOT_FOUND');
  expect(await attempt([new ObjectId().toHexString()])).toBe('NOT_FOUND');
  expect(await attempt([failed.mediaId])).toBe('BAD_USER_INPUT');
  expect(await attempt([video.mediaId], 'PHOTO')).toBe('BAD_USER_INPUT');
  expect(await attempt(['not-a-media-id'])).toBe('BAD_USER_INPUT');
  expect(await attempt([video.mediaId, video.mediaId])).toBe('BAD_USER_INPUT');
  expect(await bed.db.collection('posts').countDocuments({ userId: author.id })).toBe(0);
  // A video post takes the video.
  const ok = await bed.run<{ createPost: { postType: string } }>(
    CREATE,
    { input: { postType: 'VIDEO', mediaIds: [video.mediaId] } },
    author,
  );
  expect(ok.createPost.postType).toBe('VIDEO');
});
