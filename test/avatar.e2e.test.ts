/**
 * Profile and media together, as a client uses them: upload a picture to media, make it the
 * avatar in profile (which knows the file only from media's events), see it from another
 * account through the gateway, then delete the file and watch the avatar go.
 */
import { eventually, startSupergraph, type Supergraph } from '@social/testing';
import { makePng, processed, upload } from '../subgraphs/media/test/helpers.js';

let supergraph: Supergraph;

beforeAll(async () => {
  supergraph = await startSupergraph({ env: { BCRYPT_COST: '4' } });
});
afterAll(async () => {
  await supergraph?.stop();
});

type AvatarView = {
  profile: {
    avatarUrl: string | null;
    avatar: { id: string; thumbnailUrl: string | null; owner: { username: string } } | null;
  } | null;
};

const AVATAR = `query ($username: String!) {
  profile(username: $username) { avatarUrl avatar { id thumbnailUrl owner { username } } }
}`;

test('an uploaded picture becomes the avatar others see, and goes when the file is deleted', async () => {
  const alice = await supergraph.user({ username: 'alice_avatar' });
  const bob = await supergraph.user({ username: 'bob_avatar' });
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'me.png', mimeType: 'image/png', category: 'PROFILE', isPublic: true },
    await makePng(1600, 1200),
  );
  const file = await processed(supergraph, ticket.mediaId, alice.token);
  expect(file.processingStatus).toBe('COMPLETED');

  const set = await supergraph.query<{ updateProfile: { avatarUrl: string | null } }>(
    `mutation ($id: ID!) { updateProfile(input: { avatarMediaId: $id }) { avatarUrl } }`,
    { id: ticket.mediaId },
    { token: alice.token },
  );
  expect(set.errors).toBeUndefined();

  // Bob sees the avatar: its URL from profile, the file itself resolved by media. Profile learns
  // the processed file's URLs from media's MediaProcessed event, which may still be on its way.
  const seen = await eventually(
    () => supergraph.query<AvatarView>(AVATAR, { username: alice.username }, { token: bob.token }),
    (response) => response.data?.profile?.avatarUrl === file.webUrl,
  );
  expect(seen.errors).toBeUndefined();
  expect(seen.data?.profile).toEqual({
    avatarUrl: file.webUrl,
    avatar: { id: ticket.mediaId, thumbnailUrl: file.thumbnailUrl, owner: { username: alice.username } },
  });
  const picture = await fetch(seen.data!.profile!.avatarUrl!);
  expect(picture.status).toBe(200);
  expect(picture.headers.get('content-type')).toBe('image/webp');

  const deleted = await supergraph.query<{ deleteMedia: boolean }>(
    `mutation ($id: ID!) { deleteMedia(id: $id) }`,
    { id: ticket.mediaId },
    { token: alice.token },
  );
  expect(deleted.data?.deleteMedia).toBe(true);
  // Profile hears of the deletion through media's MediaDeleted event.
  const after = await eventually(
    () => supergraph.query<AvatarView>(AVATAR, { username: alice.username }, { token: bob.token }),
    (response) => response.data?.profile?.avatarUrl === null,
  );
  expect(after.data?.profile).toEqual({ avatarUrl: null, avatar: null });
});
