/**
 * MediaFile entity references (a post's or a message's media, resolved by the gateway through
 * `_entities`) are batched: a page of references costs one database query (DESIGN 10).
 */
import { onMongoCommand } from '@social/kit';
import { startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import { MongoClient, ObjectId } from 'mongodb';

let supergraph: Supergraph;
let alice: TestAccount;
let mongo: MongoClient;

beforeAll(async () => {
  // No background job of the media service queries the database while the test counts.
  supergraph = await startSupergraph({
    env: { MEDIA_SWEEP_INTERVAL_MS: '600000', OUTBOX_POLL_MS: '600000', MEDIA_PROCESSING_POLL_MS: '600000' },
  });
  alice = await supergraph.user();
  mongo = await MongoClient.connect(supergraph.mongoUrl);
});
afterAll(async () => {
  await mongo?.close();
  await supergraph?.stop();
});

const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on MediaFile { id originalFileName url owner { id } } }
}`;

/** A processed public document, as the upload flow leaves it. */
function storedDocument(ownerId: string, name: string) {
  const id = new ObjectId();
  const now = new Date();
  const key = `${id.toHexString()}/upload.pdf`;
  return {
    _id: id,
    userId: ownerId,
    fileName: `${id.toHexString()}.pdf`,
    originalFileName: name,
    fileType: 'Document',
    mimeType: 'application/pdf',
    fileSize: 10,
    checksum: 'a'.repeat(64),
    storageProvider: 'Local',
    storagePath: key,
    url: `/media/${id.toHexString()}/original`,
    thumbnailUrl: null,
    dimensions: null,
    duration: null,
    bitrate: null,
    codec: null,
    frameRate: null,
    category: 'document',
    tags: [],
    description: null,
    processingStatus: 'Completed',
    processingError: null,
    processingStartedAt: now,
    processingCompletedAt: now,
    processingAttempts: 1,
    usageCount: 0,
    usedIn: [],
    isPublic: true,
    accessKey: 'key',
    keepLocationData: false,
    expiresAt: null,
    uploadClaimedAt: null,
    uploadCompletedAt: now,
    variants: [
      {
        name: 'original',
        key,
        mimeType: 'application/pdf',
        size: 10,
        width: null,
        height: null,
        sha256: 'a'.repeat(64),
      },
    ],
    isDeleted: false,
    deletedAt: null,
    purgeAfter: null,
    purgedAt: null,
    ownerSuspended: false,
    ownerStatusAt: null,
    uploadedAt: now,
    updatedAt: now,
    exifData: null,
  };
}

test('a page of MediaFile references is loaded with one $in query, unknown ones resolving to null', async () => {
  const documents = Array.from({ length: 8 }, (_, i) => storedDocument(alice.id, `doc-${i}.pdf`));
  await mongo.db(`${supergraph.mongoDbPrefix}social_media`).collection('media_files').insertMany(documents);
  const representations = [
    ...documents.map((document) => ({ __typename: 'MediaFile', id: document._id.toHexString() })),
    { __typename: 'MediaFile', id: 'not-an-id' },
    { __typename: 'MediaFile', id: new ObjectId().toHexString() },
  ];
  const commands: string[] = [];
  const stop = onMongoCommand((event) => {
    if (event.appName === 'media') commands.push(event.commandName);
  });
  let response;
  try {
    response = await supergraph.query<{ _entities: ({ id: string; originalFileName: string } | null)[] }>(
      ENTITIES,
      { representations },
      { target: 'media' },
    );
  } finally {
    stop();
  }
  expect(response.errors).toBeUndefined();
  expect(response.data?._entities.map((entity) => entity?.originalFileName ?? null)).toEqual([
    ...documents.map((document) => document.originalFileName),
    null,
    null,
  ]);
  expect(commands).toEqual(['find']);
});
