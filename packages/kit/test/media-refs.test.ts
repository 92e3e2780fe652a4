import { startMongoEmbedded, type MongoEmbedded } from '@social/mongo-embedded';
import { MongoClient, type Collection } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import {
  mediaRefsOf,
  mergeMediaRef,
  readMediaEvent,
  usableBy,
  waitForMediaRefs,
  type MediaRefDocument,
} from '../src/media-refs.js';
import { withTransaction } from '../src/mongo-store.js';

let server: MongoEmbedded;
let client: MongoClient;
let refs: Collection<MediaRefDocument>;
let dbCount = 0;

beforeAll(async () => {
  server = await startMongoEmbedded({ port: 0, logger: silentLogger() });
  client = await MongoClient.connect(server.uri);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});
beforeEach(() => {
  dbCount += 1;
  refs = mediaRefsOf(client.db(`kit_media_refs_${dbCount}`));
});

function event(type: string, data: Record<string, unknown>): EventEnvelope {
  return { id: randomUUID(), type, producer: 'media', occurredAt: new Date().toISOString(), data };
}

async function apply(...events: EventEnvelope[]): Promise<MediaRefDocument | undefined> {
  let last: MediaRefDocument | undefined;
  for (const e of events) {
    const change = readMediaEvent(e);
    if (!change) continue;
    last = await withTransaction(client, (session) => mergeMediaRef(refs, session, change));
  }
  return last;
}

const uploaded = {
  mediaId: 'm1',
  ownerId: 'u1',
  fileType: 'IMAGE',
  mimeType: 'image/png',
  isPublic: true,
  url: '/o',
};

test('a late MediaUploaded only fills gaps and never undoes the processing result', async () => {
  const processed = event('MediaProcessed', {
    ...uploaded,
    status: 'COMPLETED',
    webUrl: '/web',
    category: 'POST',
  });
  const ref = await apply(processed, event('MediaUploaded', { ...uploaded, url: '/stale' }));
  expect(ref).toMatchObject({ status: 'COMPLETED', url: '/o', webUrl: '/web', fileType: 'IMAGE' });
  expect(usableBy(ref!, 'u1')).toBe(true);
  expect(usableBy(ref!, 'someone else')).toBe(false);
});

test('deletion is final and a failed file is not usable', async () => {
  const deleted = await apply(event('MediaUploaded', uploaded), event('MediaDeleted', uploaded));
  expect(deleted?.status).toBe('DELETED');
  expect(await apply(event('MediaProcessed', { ...uploaded, status: 'COMPLETED' }))).toMatchObject({
    status: 'DELETED',
  });
  const failed = await apply(event('MediaProcessed', { ...uploaded, mediaId: 'm2', status: 'FAILED' }));
  expect(usableBy(failed!, 'u1')).toBe(false);
});

test('MediaUpdated changes visibility only, other types are not media facts, bad payloads throw', async () => {
  await apply(event('MediaProcessed', { ...uploaded, status: 'COMPLETED' }));
  expect(await apply(event('MediaUpdated', { mediaId: 'm1', ownerId: 'u1', isPublic: false }))).toMatchObject(
    {
      isPublic: false,
      status: 'COMPLETED',
    },
  );
  expect(readMediaEvent(event('UserDeleted', { userId: 'u1' }))).toBeNull();
  expect(() => readMediaEvent(event('MediaProcessed', { mediaId: 'm1', status: 'DONE' }))).toThrow();
});

test('waitForMediaRefs waits for files not seen yet, and gives up with what it knows', async () => {
  await apply(event('MediaUploaded', uploaded));
  const late = setTimeout(() => void apply(event('MediaUploaded', { ...uploaded, mediaId: 'm2' })), 100);
  const found = await waitForMediaRefs(refs, ['m1', 'm2'], 5000);
  clearTimeout(late);
  expect([...found.keys()].sort()).toEqual(['m1', 'm2']);
  const partial = await waitForMediaRefs(refs, ['m1', 'never'], 150);
  expect([...partial.keys()]).toEqual(['m1']);
});
