/**
 * Avatar and cover images: profile knows media's files only from media's events (MediaUploaded,
 * MediaProcessed, MediaUpdated, MediaDeleted), published here as media publishes them.
 */
import type { EventEnvelope } from '@social/kit';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import {
  fails,
  firstEvent,
  mediaKnown,
  newMediaId,
  ok,
  publishImage,
  recordEvents,
  updateProfile,
} from './profile-fixtures.js';

let bed: ProfileTestbed;
let recorder: { events: EventEnvelope[]; stop(): Promise<void> };

beforeAll(async () => {
  bed = await startProfileTestbed({ EVENT_WAIT_MS: '1500' });
  recorder = await recordEvents(bed, 'profile');
});
afterAll(async () => {
  await recorder?.stop();
  await bed?.stop();
});

const eventFor = (type: string, userId: string, where?: (data: Record<string, unknown>) => boolean) =>
  firstEvent(bed, recorder, type, userId, where);

describe('avatar and cover from media', () => {
  const SET_AVATAR = `mutation ($id: ID) { updateProfile(input: { avatarMediaId: $id }) { avatarUrl avatar { id } } }`;

  test('a processed public image becomes the avatar; deleting the file removes it', async () => {
    const account = await bed.member();
    const image = await publishImage(bed, account.id);
    await mediaKnown(bed, image.mediaId);
    const set = await ok<{ updateProfile: unknown }>(bed, SET_AVATAR, { id: image.mediaId }, account.token);
    expect(set.updateProfile).toEqual({ avatarUrl: image.webUrl, avatar: { id: image.mediaId } });
    const event = await eventFor('ProfileUpdated', account.id, (data) => data.avatarUrl === image.webUrl);
    expect(event.data.changed).toEqual(expect.arrayContaining(['avatar', 'avatarUrl']));

    const cover = await publishImage(bed, account.id);
    await mediaKnown(bed, cover.mediaId);
    const withCover = await updateProfile(bed, account, { coverImageMediaId: cover.mediaId });
    expect(withCover).toMatchObject({ coverImageUrl: cover.webUrl, coverImage: { id: cover.mediaId } });

    await bed.supergraph.stack.resources.events.publish('media', 'MediaDeleted', {
      mediaId: image.mediaId,
      ownerId: account.id,
      deletedAt: new Date().toISOString(),
    });
    const AVATAR = '{ me { avatarUrl avatar { id } coverImageUrl } }';
    const after = await bed.eventually(
      () => ok<{ me: { avatarUrl: string | null } }>(bed, AVATAR, {}, account.token),
      (result) => result.me.avatarUrl === null,
    );
    expect(after.me).toEqual({ avatarUrl: null, avatar: null, coverImageUrl: cover.webUrl });

    // null removes the cover.
    expect(await updateProfile(bed, account, { coverImageMediaId: null })).toMatchObject({
      coverImageUrl: null,
      coverImage: null,
    });
  });

  test('an avatar set right after uploading waits for the event, and gets the web URL once processed', async () => {
    const account = await bed.member();
    const mediaId = newMediaId();
    const pending = ok<{ updateProfile: { avatarUrl: string | null; avatar: { id: string } } }>(
      bed,
      SET_AVATAR,
      { id: mediaId },
      account.token,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const events = bed.supergraph.stack.resources.events;
    const common = {
      mediaId,
      ownerId: account.id,
      fileType: 'IMAGE',
      mimeType: 'image/png',
      category: 'PROFILE',
      isPublic: true,
    };
    await events.publish('media', 'MediaUploaded', {
      ...common,
      fileSize: 10,
      uploadedAt: new Date().toISOString(),
    });
    expect((await pending).updateProfile).toEqual({ avatarUrl: null, avatar: { id: mediaId } });

    // A late MediaUploaded after the processing result does not undo it.
    const webUrl = `https://cdn.example.com/${mediaId}/web.webp`;
    await events.publish('media', 'MediaProcessed', {
      ...common,
      status: 'COMPLETED',
      url: `https://cdn.example.com/${mediaId}/original.png`,
      webUrl,
      thumbnailUrl: null,
      width: 10,
      height: 10,
      duration: null,
      processingError: null,
    });
    await events.publish('media', 'MediaUploaded', {
      ...common,
      fileSize: 10,
      uploadedAt: new Date().toISOString(),
    });
    await bed.eventually(
      () => ok<{ me: { avatarUrl: string | null } }>(bed, '{ me { avatarUrl } }', {}, account.token),
      (result) => result.me.avatarUrl === webUrl,
    );
    const [ref] = await Promise.all([bed.db.collection('media_refs').findOne({ _id: mediaId as never })]);
    expect(ref?.status).toBe('COMPLETED');

    // Made private: no longer usable as a public avatar.
    await events.publish('media', 'MediaUpdated', {
      mediaId,
      ownerId: account.id,
      isPublic: false,
      category: 'PROFILE',
      changed: ['isPublic'],
    });
    await bed.eventually(
      () => ok<{ me: { avatarUrl: string | null } }>(bed, '{ me { avatarUrl } }', {}, account.token),
      (result) => result.me.avatarUrl === null,
    );
  });

  test('an avatar set while media reports the file processed ends with the processed URL', async () => {
    // The edit and the MediaProcessed handler race; whichever commits second must see the other.
    const account = await bed.member();
    const events = bed.supergraph.stack.resources.events;
    for (let round = 0; round < 12; round += 1) {
      const upload = await publishImage(bed, account.id, { processed: false });
      await mediaKnown(bed, upload.mediaId, 'UPLOADED');
      await Promise.all([
        events.publish('media', 'MediaProcessed', {
          mediaId: upload.mediaId,
          ownerId: account.id,
          fileType: 'IMAGE',
          mimeType: 'image/png',
          category: 'PROFILE',
          isPublic: true,
          status: 'COMPLETED',
          url: `https://cdn.example.com/${upload.mediaId}/original.png`,
          webUrl: upload.webUrl,
          thumbnailUrl: null,
          width: 10,
          height: 10,
          duration: null,
          processingError: null,
        }),
        ok(bed, SET_AVATAR, { id: upload.mediaId }, account.token),
      ]);
      await mediaKnown(bed, upload.mediaId, 'COMPLETED');
      const { me } = await bed.eventually(
        () => ok<{ me: { avatarUrl: string | null } }>(bed, '{ me { avatarUrl } }', {}, account.token),
        (result) => result.me.avatarUrl === upload.webUrl,
        3_000,
      );
      expect(me.avatarUrl).toBe(upload.webUrl);
    }
  });

  test("only the viewer's own public images are accepted", async () => {
    const account = await bed.member();
    const other = await bed.member();
    const others = await publishImage(bed, other.id);
    const hidden = await publishImage(bed, account.id, { isPublic: false });
    const video = await publishImage(bed, account.id, { fileType: 'VIDEO' });
    await Promise.all([others, hidden, video].map((file) => mediaKnown(bed, file.mediaId)));

    const unknown = await fails(bed, SET_AVATAR, { id: newMediaId() }, account.token);
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    const notMine = await fails(bed, SET_AVATAR, { id: others.mediaId }, account.token);
    expect(notMine.extensions?.code).toBe('NOT_FOUND');
    for (const file of [hidden, video]) {
      const error = await fails(bed, SET_AVATAR, { id: file.mediaId }, account.token);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.avatarMediaId' });
    }
    expect(
      (await ok<{ me: { avatarUrl: null } }>(bed, '{ me { avatarUrl } }', {}, account.token)).me.avatarUrl,
    ).toBeNull();
  });
});
