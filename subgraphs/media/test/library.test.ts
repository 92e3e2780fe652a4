/**
 * A user's media library: lists, search, metadata changes, usage tracking, deletion and the
 * cleanup jobs, and what happens to files when their owner's account is deleted or suspended.
 */
import type { EventEnvelope } from '@social/kit';
import { startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import {
  MEDIA_FIELDS,
  eventually,
  fetchBytes,
  makePng,
  makeWav,
  mediaOf,
  processed,
  requestUpload,
  storedFiles,
  upload,
  type MediaView,
} from './helpers.js';

let supergraph: Supergraph;
let alice: TestAccount;
let bob: TestAccount;
let mongo: MongoClient;
const events: EventEnvelope[] = [];

beforeAll(async () => {
  supergraph = await startSupergraph({
    env: {
      MEDIA_SWEEP_INTERVAL_MS: '200',
      MEDIA_DELETE_GRACE_SECONDS: '0',
      MEDIA_ORPHAN_SCAN_INTERVAL_MS: '300',
      MEDIA_ORPHAN_MIN_AGE_SECONDS: '3600',
    },
  });
  [alice, bob] = await Promise.all([supergraph.user(), supergraph.user()]);
  mongo = await MongoClient.connect(supergraph.mongoUrl);
  await supergraph.stack.resources.events.subscribe('media', 'media-library-test', async (event) => {
    events.push(event);
  });
});
afterAll(async () => {
  await mongo?.close();
  await supergraph?.stop();
});

const mediaFiles = () => mongo.db(`${supergraph.mongoDbPrefix}social_media`).collection('media_files');
const pdf = (text: string) =>
  Buffer.from(`%PDF-1.4\n% ${text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);

interface Page {
  edges: { cursor: string; node: MediaView }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

const MY_MEDIA = `query My($filter: MediaFilter, $first: Int, $after: String) {
  myMedia(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id originalFileName processingStatus fileType category tags } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;
const SEARCH = `query Search($q: String!, $onlyMine: Boolean, $first: Int, $after: String) {
  searchMedia(query: $q, onlyMine: $onlyMine, first: $first, after: $after) {
    edges { cursor node { id originalFileName owner { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateMediaInput!) { updateMedia(id: $id, input: $input) { ${MEDIA_FIELDS} } }`;
const DELETE = `mutation Delete($id: ID!) { deleteMedia(id: $id) }`;
const ATTACH = `mutation Attach($input: MediaUsageInput!) { attachMedia(input: $input) { id usageCount usedIn { entityType entityId } } }`;
const DETACH = `mutation Detach($input: MediaUsageInput!) { detachMedia(input: $input) { id usageCount usedIn { entityType entityId } } }`;
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on MediaFile { id url isPublic usedIn { entityId } } }
}`;

async function myMedia(token: string, variables: Record<string, unknown> = {}) {
  const response = await supergraph.query<{ myMedia: Page }>(MY_MEDIA, variables, { token });
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.myMedia;
}

describe('myMedia', () => {
  let carol: TestAccount;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    carol = await supergraph.user();
    // Oldest first: a processed photo, a processed document, an upload still waiting for its bytes.
    ids.photo = (
      await upload(
        supergraph,
        carol.token,
        { fileName: 'cat.png', mimeType: 'image/png', tags: ['Pets'], category: 'PROFILE' },
        await makePng(64, 64),
      )
    ).mediaId;
    await processed(supergraph, ids.photo, carol.token);
    ids.doc = (
      await upload(
        supergraph,
        carol.token,
        { fileName: 'cv.pdf', mimeType: 'application/pdf', category: 'DOCUMENT' },
        pdf('cv'),
      )
    ).mediaId;
    await processed(supergraph, ids.doc, carol.token);
    ids.pending = (
      await requestUpload(supergraph, carol.token, {
        fileName: 'later.png',
        mimeType: 'image/png',
        fileSize: 100,
      })
    ).mediaId;
  });

  test("lists the viewer's own files newest first, pending ones included, page by page", async () => {
    const first = await myMedia(carol.token, { first: 2 });
    expect(first.edges.map((edge) => edge.node.id)).toEqual([ids.pending, ids.doc]);
    expect(first.edges.map((edge) => edge.node.processingStatus)).toEqual(['PENDING', 'COMPLETED']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await myMedia(carol.token, { first: 2, after: first.pageInfo.endCursor });
    expect(second.edges.map((edge) => edge.node.id)).toEqual([ids.photo]);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // Nobody else's files appear.
    expect((await myMedia(bob.token)).edges.map((edge) => edge.node.id)).not.toContain(ids.photo);
  });

  test('filters by kind, category, tag (any case) and processing state', async () => {
    const only = async (filter: Record<string, unknown>) =>
      (await myMedia(carol.token, { filter })).edges.map((edge) => edge.node.id);
    expect(await only({ fileType: 'DOCUMENT' })).toEqual([ids.doc]);
    expect(await only({ category: 'PROFILE' })).toEqual([ids.photo]);
    expect(await only({ tag: 'PETS' })).toEqual([ids.photo]);
    expect(await only({ processingStatus: 'PENDING' })).toEqual([ids.pending]);
    expect(await only({ fileType: 'IMAGE', processingStatus: 'COMPLETED' })).toEqual([ids.photo]);
  });

  test('needs a signed-in viewer and valid arguments', async () => {
    expect((await supergraph.query(MY_MEDIA)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const variables of [
      { first: 51 },
      { first: -1 },
      { after: 'not-a-cursor' },
      { filter: { tag: 'two words' } },
    ]) {
      const response = await supergraph.query(MY_MEDIA, variables, { token: carol.token });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  test('User.media shows others only the public, processed files', async () => {
    const USER_MEDIA = `query ($id: ID!) { user(id: $id) { id media(first: 10) { edges { node { id } } } } }`;
    await supergraph.query(UPDATE, { id: ids.photo, input: { isPublic: true } }, { token: carol.token });
    const asOwner = await supergraph.query<{ user: { media: Page } }>(
      USER_MEDIA,
      { id: carol.id },
      { token: carol.token },
    );
    expect(asOwner.data?.user.media.edges.map((edge) => edge.node.id)).toEqual([
      ids.pending,
      ids.doc,
      ids.photo,
    ]);
    const asBob = await supergraph.query<{ user: { media: Page } }>(
      USER_MEDIA,
      { id: carol.id },
      { token: bob.token },
    );
    expect(asBob.data?.user.media.edges.map((edge) => edge.node.id)).toEqual([ids.photo]);
  });
});

test("searchMedia finds files by name, description and tags: own ones and others' public ones", async () => {
  const word = `zebra${Date.now().toString(36)}`;
  const mine = await upload(
    supergraph,
    alice.token,
    { fileName: `${word}-private.pdf`, mimeType: 'application/pdf' },
    pdf('a'),
  );
  const theirsPublic = await upload(
    supergraph,
    bob.token,
    {
      fileName: 'notes.pdf',
      mimeType: 'application/pdf',
      isPublic: true,
      description: `A ${word} at the zoo`,
    },
    pdf('b'),
  );
  const theirsPrivate = await upload(
    supergraph,
    bob.token,
    { fileName: 'secret.pdf', mimeType: 'application/pdf', tags: [word] },
    pdf('c'),
  );
  for (const ticket of [mine, theirsPublic])
    await processed(supergraph, ticket.mediaId, ticket === mine ? alice.token : bob.token);
  await processed(supergraph, theirsPrivate.mediaId, bob.token);

  const search = async (token: string | undefined, variables: Record<string, unknown>) => {
    const response = await supergraph.query<{ searchMedia: Page }>(SEARCH, variables, token ? { token } : {});
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.searchMedia.edges.map((edge) => edge.node.id).sort();
  };
  expect(await search(alice.token, { q: word })).toEqual([mine.mediaId, theirsPublic.mediaId].sort());
  expect(await search(alice.token, { q: word, onlyMine: true })).toEqual([mine.mediaId]);
  expect(await search(bob.token, { q: word })).toEqual([theirsPublic.mediaId, theirsPrivate.mediaId].sort());
  expect(await search(undefined, { q: word })).toEqual([theirsPublic.mediaId]);

  // Pages of one result each walk through all matches once.
  const first = await supergraph.query<{ searchMedia: Page }>(
    SEARCH,
    { q: word, first: 1 },
    { token: bob.token },
  );
  const second = await supergraph.query<{ searchMedia: Page }>(
    SEARCH,
    { q: word, first: 1, after: first.data?.searchMedia.pageInfo.endCursor },
    { token: bob.token },
  );
  const walked = [...(first.data?.searchMedia.edges ?? []), ...(second.data?.searchMedia.edges ?? [])].map(
    (e) => e.node.id,
  );
  expect(walked.sort()).toEqual([theirsPublic.mediaId, theirsPrivate.mediaId].sort());
  expect(second.data?.searchMedia.pageInfo.hasNextPage).toBe(false);

  const empty = await supergraph.query(SEARCH, { q: '   ' }, { token: alice.token });
  expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
});

test("updateMedia changes the owner's metadata, refuses others and bad input, and announces the change", async () => {
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'draft.pdf', mimeType: 'application/pdf' },
    pdf('d'),
  );
  const updated = await supergraph.query<{ updateMedia: MediaView }>(
    UPDATE,
    {
      id: ticket.mediaId,
      input: {
        originalFileName: 'final.pdf',
        description: ' Signed contract ',
        tags: ['Work', 'work', 'legal'],
        category: 'DOCUMENT',
      },
    },
    { token: alice.token },
  );
  expect(updated.data?.updateMedia).toMatchObject({
    originalFileName: 'final.pdf',
    description: 'Signed contract',
    tags: ['work', 'legal'],
    category: 'DOCUMENT',
  });
  await eventually(
    async () =>
      events.some(
        (e) => e.type === 'MediaUpdated' && (e.data as { mediaId: string }).mediaId === ticket.mediaId,
      ),
    'MediaUpdated',
  );
  expect(
    events.find(
      (e) => e.type === 'MediaUpdated' && (e.data as { mediaId: string }).mediaId === ticket.mediaId,
    )?.data,
  ).toEqual({
    mediaId: ticket.mediaId,
    ownerId: alice.id,
    isPublic: false,
    category: 'DOCUMENT',
    changed: ['originalFileName', 'description', 'tags', 'category'],
  });

  const cleared = await supergraph.query<{ updateMedia: MediaView }>(
    UPDATE,
    { id: ticket.mediaId, input: { description: null } },
    { token: alice.token },
  );
  expect(cleared.data?.updateMedia.description).toBeNull();

  for (const [input, field] of [
    [{ originalFileName: 'a/b.pdf' }, 'input.originalFileName'],
    [{ originalFileName: null }, 'input.originalFileName'],
    [{ description: 'x'.repeat(501) }, 'input.description'],
    [{ isPublic: null }, 'input.isPublic'],
  ] as const) {
    const response = await supergraph.query(UPDATE, { id: ticket.mediaId, input }, { token: alice.token });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  }
  const asBob = await supergraph.query(
    UPDATE,
    { id: ticket.mediaId, input: { isPublic: true } },
    { token: bob.token },
  );
  expect(asBob.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const unknown = await supergraph.query(
    UPDATE,
    { id: new ObjectId().toHexString(), input: { isPublic: true } },
    { token: alice.token },
  );
  expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  const stored = (await mediaOf(supergraph, ticket.mediaId, alice.token)).media;
  expect(stored).toMatchObject({ originalFileName: 'final.pdf', isPublic: false, description: null });
});

describe('usage tracking', () => {
  let photo: string;
  let song: string;

  beforeAll(async () => {
    photo = (
      await upload(
        supergraph,
        alice.token,
        { fileName: 'p.png', mimeType: 'image/png' },
        await makePng(32, 32),
      )
    ).mediaId;
    song = (await upload(supergraph, alice.token, { fileName: 's.wav', mimeType: 'audio/wav' }, makeWav(1)))
      .mediaId;
    await Promise.all([processed(supergraph, photo, alice.token), processed(supergraph, song, alice.token)]);
  });

  test('attachMedia and detachMedia are idempotent per file and entity and keep usageCount exact', async () => {
    const input = { mediaIds: [photo, song], entityType: 'POST', entityId: 'post-1' };
    const once = await supergraph.query<{ attachMedia: MediaView[] }>(
      ATTACH,
      { input },
      { token: alice.token },
    );
    expect(once.data?.attachMedia).toEqual([
      { id: photo, usageCount: 1, usedIn: [{ entityType: 'POST', entityId: 'post-1' }] },
      { id: song, usageCount: 1, usedIn: [{ entityType: 'POST', entityId: 'post-1' }] },
    ]);
    // Again, concurrently: still one usage each.
    await Promise.all([1, 2, 3].map(() => supergraph.query(ATTACH, { input }, { token: alice.token })));
    const message = await supergraph.query<{ attachMedia: MediaView[] }>(
      ATTACH,
      { input: { mediaIds: [photo], entityType: 'MESSAGE', entityId: 'msg-9' } },
      { token: alice.token },
    );
    expect(message.data?.attachMedia[0]).toMatchObject({ usageCount: 2 });
    // Others see how often a file is used, not where.
    expect((await mediaOf(supergraph, photo, bob.token)).media).toBeNull();
    await supergraph.query(UPDATE, { id: photo, input: { isPublic: true } }, { token: alice.token });
    expect((await mediaOf(supergraph, photo, bob.token)).media).toMatchObject({
      usageCount: 2,
      usedIn: null,
    });

    const detached = await supergraph.query<{ detachMedia: MediaView[] }>(
      DETACH,
      { input },
      { token: alice.token },
    );
    expect(detached.data?.detachMedia).toEqual([
      { id: photo, usageCount: 1, usedIn: [{ entityType: 'MESSAGE', entityId: 'msg-9' }] },
      { id: song, usageCount: 0, usedIn: [] },
    ]);
    const again = await supergraph.query<{ detachMedia: MediaView[] }>(
      DETACH,
      { input },
      { token: alice.token },
    );
    expect(again.data?.detachMedia.map((file) => file.usageCount)).toEqual([1, 0]);
  });

  test('only the owner attaches, to files that exist, with valid input', async () => {
    const asBob = await supergraph.query(
      ATTACH,
      { input: { mediaIds: [song], entityType: 'POST', entityId: 'p' } },
      { token: bob.token },
    );
    expect(asBob.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await supergraph.query(
      ATTACH,
      { input: { mediaIds: [song, new ObjectId().toHexString()], entityType: 'POST', entityId: 'p' } },
      { token: alice.token },
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    for (const input of [
      { mediaIds: [], entityType: 'POST', entityId: 'p' },
      { mediaIds: ['nope'], entityType: 'POST', entityId: 'p' },
      { mediaIds: [song], entityType: 'POST', entityId: 'x'.repeat(101) },
      {
        mediaIds: Array.from({ length: 21 }, () => new ObjectId().toHexString()),
        entityType: 'POST',
        entityId: 'p',
      },
    ]) {
      const response = await supergraph.query(ATTACH, { input }, { token: alice.token });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // None of it changed anything.
    expect((await mediaOf(supergraph, song, alice.token)).media?.usageCount).toBe(0);
  });

  test('a private file used by an entity resolves for viewers of that entity, with signed URLs', async () => {
    await supergraph.query(
      ATTACH,
      { input: { mediaIds: [song], entityType: 'MESSAGE', entityId: 'msg-1' } },
      { token: alice.token },
    );
    const asBob = await supergraph.query<{ _entities: ({ id: string; url: string; usedIn: null } | null)[] }>(
      ENTITIES,
      { representations: [{ __typename: 'MediaFile', id: song }] },
      { token: bob.token, target: 'media' },
    );
    const entity = asBob.data?._entities[0];
    expect(entity).toMatchObject({ id: song, usedIn: null });
    expect(entity?.url).toMatch(/\?expires=\d+&sig=/);
    expect((await fetchBytes(entity?.url ?? '')).status).toBe(200);
    // Directly, by id, it stays private.
    expect((await mediaOf(supergraph, song, bob.token)).media).toBeNull();
  });
});

describe('deleting a file', () => {
  test('hides it everywhere at once, announces it, and removes its bytes after the grace period', async () => {
    const png = await makePng(300, 200);
    const ticket = await upload(
      supergraph,
      alice.token,
      { fileName: 'gone.png', mimeType: 'image/png', isPublic: true },
      png,
    );
    const media = await processed(supergraph, ticket.mediaId, alice.token);
    expect(await storedFiles(supergraph, ticket.mediaId)).not.toEqual([]);

    expect(
      (await supergraph.query(DELETE, { id: ticket.mediaId }, { token: bob.token })).errors?.[0]?.extensions
        ?.code,
    ).toBe('FORBIDDEN');
    const deleted = await supergraph.query<{ deleteMedia: boolean }>(
      DELETE,
      { id: ticket.mediaId },
      { token: alice.token },
    );
    expect(deleted.data?.deleteMedia).toBe(true);

    expect((await mediaOf(supergraph, ticket.mediaId, alice.token)).media).toBeNull();
    expect((await fetchBytes(media.url ?? '')).status).toBe(404);
    expect((await myMedia(alice.token, { first: 50 })).edges.map((edge) => edge.node.id)).not.toContain(
      ticket.mediaId,
    );
    const again = await supergraph.query(DELETE, { id: ticket.mediaId }, { token: alice.token });
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    await eventually(
      async () =>
        events.some(
          (e) => e.type === 'MediaDeleted' && (e.data as { mediaId: string }).mediaId === ticket.mediaId,
        ),
      'MediaDeleted',
    );
    const event = events.find(
      (e) => e.type === 'MediaDeleted' && (e.data as { mediaId: string }).mediaId === ticket.mediaId,
    );
    expect(event?.data).toEqual({
      mediaId: ticket.mediaId,
      ownerId: alice.id,
      deletedAt: expect.any(String),
    });

    // The grace period is 0 in this harness: the sweep removes the bytes and keeps the tombstone.
    await eventually(
      async () => (await storedFiles(supergraph, ticket.mediaId)).length === 0,
      'bytes removed',
    );
    expect(await mediaFiles().findOne({ _id: new ObjectId(ticket.mediaId) })).toMatchObject({
      isDeleted: true,
      purgedAt: expect.any(Date),
    });
  });
});

test('uploads never completed expire: the sweep removes any bytes they left, then the record', async () => {
  const ticket = await requestUpload(supergraph, alice.token, {
    fileName: 'abandoned.png',
    mimeType: 'image/png',
    fileSize: 1000,
  });
  // What a crash mid-upload leaves behind: a partial object under the file's prefix.
  const dir = join(supergraph.mediaStorageDir, ticket.mediaId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'upload.png.deadbeef.part'), Buffer.alloc(500));
  expect(await storedFiles(supergraph, ticket.mediaId)).toHaveLength(1);
  // Not yet expired: nothing happens to it.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(await mediaFiles().countDocuments({ _id: new ObjectId(ticket.mediaId) })).toBe(1);

  // The ticket's 15 minutes are over.
  await mediaFiles().updateOne(
    { _id: new ObjectId(ticket.mediaId) },
    { $set: { expiresAt: new Date(Date.now() - 1000) } },
  );
  await eventually(
    async () => (await mediaFiles().countDocuments({ _id: new ObjectId(ticket.mediaId) })) === 0,
    'expired upload removed',
  );
  expect(await storedFiles(supergraph, ticket.mediaId)).toEqual([]);
  expect((await mediaOf(supergraph, ticket.mediaId, alice.token)).media).toBeNull();
});

test('objects no record owns (left by a crash) are removed by the orphan scan; owned ones are kept', async () => {
  const kept = await upload(
    supergraph,
    alice.token,
    { fileName: 'kept.pdf', mimeType: 'application/pdf' },
    pdf('kept'),
  );
  await processed(supergraph, kept.mediaId, alice.token);
  const orphan = new ObjectId().toHexString();
  const dir = join(supergraph.mediaStorageDir, orphan);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'upload.jpg'), Buffer.alloc(100));
  const keptFile = join(supergraph.mediaStorageDir, kept.mediaId, 'upload.pdf');
  const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
  await utimes(join(dir, 'upload.jpg'), dayAgo, dayAgo);
  await utimes(keptFile, dayAgo, dayAgo);
  await eventually(async () => (await storedFiles(supergraph, orphan)).length === 0, 'orphan removed');
  expect(await storedFiles(supergraph, kept.mediaId)).toEqual(['upload.pdf']);
  expect(
    (
      await fetchBytes(`${new URL(supergraph.subgraphUrls.media).origin}/media/${kept.mediaId}/original`, {
        authorization: `Bearer ${alice.token}`,
      })
    ).status,
  ).toBe(200);
});

describe("the owner's account", () => {
  test('deleted: every file of the account disappears', async () => {
    const dave = await supergraph.user();
    const ticket = await upload(
      supergraph,
      dave.token,
      { fileName: 'd.png', mimeType: 'image/png', isPublic: true },
      await makePng(40, 40),
    );
    const media = await processed(supergraph, ticket.mediaId, dave.token);
    expect((await fetchBytes(media.url ?? '')).status).toBe(200);
    const removed = await supergraph.query<{ deleteAccount: boolean }>(
      'mutation ($password: String!) { deleteAccount(password: $password) }',
      { password: dave.password },
      { token: dave.token },
    );
    expect(removed.data?.deleteAccount).toBe(true);
    await eventually(async () => (await fetchBytes(media.url ?? '')).status === 404, 'files hidden');
    expect((await mediaOf(supergraph, ticket.mediaId, bob.token)).media).toBeNull();
    expect(await mediaFiles().findOne({ _id: new ObjectId(ticket.mediaId) })).toMatchObject({
      isDeleted: true,
    });
  });

  test('suspended: its files are hidden until it is reactivated', async () => {
    const erin = await supergraph.user();
    const moderator = await supergraph.user({ role: 'MODERATOR' });
    const ticket = await upload(
      supergraph,
      erin.token,
      { fileName: 'e.png', mimeType: 'image/png', isPublic: true },
      await makePng(40, 40),
    );
    const media = await processed(supergraph, ticket.mediaId, erin.token);
    const SET_STATUS =
      'mutation ($id: ID!, $status: AccountStatus!) { setAccountStatus(userId: $id, status: $status) { id } }';
    const suspended = await supergraph.query(
      SET_STATUS,
      { id: erin.id, status: 'SUSPENDED' },
      { token: moderator.token },
    );
    expect(suspended.errors).toBeUndefined();
    await eventually(async () => (await fetchBytes(media.url ?? '')).status === 404, 'files hidden');
    expect((await mediaOf(supergraph, ticket.mediaId, bob.token)).media).toBeNull();
    await supergraph.query(SET_STATUS, { id: erin.id, status: 'ACTIVE' }, { token: moderator.token });
    await eventually(async () => (await fetchBytes(media.url ?? '')).status === 200, 'files shown again');
    expect((await mediaOf(supergraph, ticket.mediaId, bob.token)).media?.id).toBe(ticket.mediaId);
  });
});
