/**
 * Contract audit of the media subgraph: rules of the SDL descriptions and DESIGN 11 that hold at
 * the edges (requests sent straight to the subgraph, hostile representations, malformed cursors and
 * names, how documents are served).
 */
import { encodeCursor } from '@social/kit';
import { ObjectId } from 'mongodb';
import { startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import { fetchBytes, makePng, mediaOf, processed, requestUpload, upload } from './helpers.js';

let supergraph: Supergraph;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [alice, bob] = await Promise.all([supergraph.user(), supergraph.user()]);
});
afterAll(async () => {
  await supergraph?.stop();
});

const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on MediaFile { id url thumbnailUrl }
    ... on User { media { edges { node { id owner { id } } } } }
  }
}`;

const pdf = (text: string) =>
  Buffer.from(`%PDF-1.4\n% ${text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);

describe('entity references sent straight to the media subgraph', () => {
  let privatePhoto: string;
  let publicPhoto: string;

  beforeAll(async () => {
    const png = await makePng(64, 64);
    privatePhoto = (await upload(supergraph, alice.token, { fileName: 'p.png', mimeType: 'image/png' }, png))
      .mediaId;
    publicPhoto = (
      await upload(supergraph, alice.token, { fileName: 'q.png', mimeType: 'image/png', isPublic: true }, png)
    ).mediaId;
    await processed(supergraph, privatePhoto, alice.token);
    await processed(supergraph, publicPhoto, alice.token);
  });

  test("do not give a stranger signed URLs of someone's private file that nothing uses", async () => {
    const response = await supergraph.query<{ _entities: unknown[] }>(
      ENTITIES,
      { representations: [{ __typename: 'MediaFile', id: privatePhoto }] },
      { token: bob.token, target: 'media' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toEqual([null]);
  });

  test('with an id that is not a string resolve to null instead of failing', async () => {
    const response = await supergraph.query<{ _entities: unknown[] }>(
      ENTITIES,
      {
        representations: [
          { __typename: 'MediaFile', id: { $gt: '' } },
          { __typename: 'MediaFile', id: 42 },
          { __typename: 'MediaFile', id: publicPhoto },
        ],
      },
      { token: bob.token, target: 'media' },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?._entities).toEqual([null, null, expect.objectContaining({ id: publicPhoto })]);
  });

  test("User.media with a query operator as the user id lists nobody's files", async () => {
    const response = await supergraph.query<{
      _entities: ({ media: { edges: { node: { owner: { id: string } } }[] } } | null)[];
    }>(
      ENTITIES,
      { representations: [{ __typename: 'User', id: { $ne: 'nobody' } }] },
      { token: bob.token, target: 'media' },
    );
    const owners = (response.data?._entities ?? []).flatMap(
      (entity) => entity?.media.edges.map((edge) => edge.node.owner.id) ?? [],
    );
    expect(owners).not.toContain(alice.id);
    expect(owners).toEqual([]);
  });
});

test('a cursor whose time is out of range is BAD_USER_INPUT', async () => {
  const after = encodeCursor([1e300, '0123456789abcdef01234567']);
  const response = await supergraph.query(
    `query ($after: String) { myMedia(after: $after) { edges { cursor } } }`,
    { after },
    { token: alice.token },
  );
  expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});

test('file names with C1 control characters or bidirectional overrides are BAD_USER_INPUT', async () => {
  for (const fileName of ['report\u0085.pdf', 'invoice\u202Efdp.exe']) {
    await expect(
      requestUpload(supergraph, alice.token, { fileName, mimeType: 'application/pdf', fileSize: 100 }),
    ).rejects.toThrow(/BAD_USER_INPUT/);
  }
});

test('a document is served as an attachment, never rendered in the media origin', async () => {
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'notes.pdf', mimeType: 'application/pdf', isPublic: true, category: 'DOCUMENT' },
    pdf('notes'),
  );
  const media = await processed(supergraph, ticket.mediaId, alice.token);
  const response = await fetchBytes(media.url ?? '');
  expect(response.status).toBe(200);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="notes\.pdf"/);
  expect((await mediaOf(supergraph, ticket.mediaId, bob.token)).media?.id).toBe(ticket.mediaId);
});

test('file ids are random, not guessable from the time and order of your own uploads', async () => {
  const tickets = await Promise.all(
    [1, 2].map(() => requestUpload(supergraph, alice.token, { mimeType: 'image/png', fileSize: 100 })),
  );
  const ids = tickets.map((ticket) => new ObjectId(ticket.mediaId));
  // A driver-made ObjectId starts with the creation time and ends with a per-process counter.
  for (const id of ids) expect(Math.abs(id.getTimestamp().getTime() - Date.now())).toBeGreaterThan(3_600_000);
  const counter = (id: ObjectId) => Buffer.from(id.id).readUIntBE(9, 3);
  expect(Math.abs(counter(ids[0]!) - counter(ids[1]!))).not.toBe(1);
});
