/**
 * Processing survives a restart: uploads received by an instance that stopped before processing
 * them, and a file whose processor died mid-way, are finished by the next instance on the same
 * database and storage.
 */
import type { EventEnvelope, ServiceInstance, SharedResources } from '@social/kit';
import { postGraphQL, startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import sharp from 'sharp';
import { createService } from '../src/subgraph.js';
import {
  MEDIA,
  REQUEST_UPLOAD,
  eventually,
  fetchBytes,
  makeJpegWithGps,
  makePng,
  putBytes,
  type MediaView,
  type Ticket,
} from './helpers.js';

let supergraph: Supergraph;
let alice: TestAccount;
let mongo: MongoClient;
const events: EventEnvelope[] = [];
const storageDir = join(tmpdir(), `social-media-restart-${Date.now()}`);

beforeAll(async () => {
  supergraph = await startSupergraph();
  alice = await supergraph.user();
  mongo = await MongoClient.connect(supergraph.mongoUrl);
  await supergraph.stack.resources.events.subscribe('media', 'media-restart-test', async (event) => {
    events.push(event);
  });
});
afterAll(async () => {
  await mongo?.close();
  await supergraph?.stop();
  await rm(storageDir, { recursive: true, force: true });
});

/**
 * A media service of its own (not the harness's), on its own database and storage directory, so
 * that only the instances this test starts and stops ever touch these files.
 */
async function startInstance(processing: boolean): Promise<{ service: ServiceInstance; url: string }> {
  const shared = supergraph.stack.resources;
  const resources: SharedResources = {
    ...shared,
    env: {
      ...shared.env,
      MONGO_DB_PREFIX: `${supergraph.mongoDbPrefix}restart_`,
      MEDIA_STORAGE_DIR: storageDir,
      MEDIA_PROCESSING_ENABLED: String(processing),
    },
    // The harness closes the shared clients; an instance must not.
    close: async () => undefined,
  };
  const service = await createService(resources);
  const url = await service.server.listen(0, '127.0.0.1');
  return { service, url };
}

async function stopInstance(instance: { service: ServiceInstance }) {
  await instance.service.server.stop();
  await instance.service.close();
}

const collection = () =>
  mongo.db(`${supergraph.mongoDbPrefix}restart_social_media`).collection('media_files');

async function mediaAt(url: string, id: string): Promise<MediaView | null> {
  const response = await postGraphQL<{ media: MediaView | null }>(url, MEDIA, { id }, { token: alice.token });
  return response.data?.media ?? null;
}

test('files left pending or half-processed by a stopped instance are finished by the next one', async () => {
  const first = await startInstance(false);
  const uploaded: Ticket[] = [];
  for (const [fileName, mimeType, bytes] of [
    ['waiting.png', 'image/png', await makePng(900, 600)],
    ['interrupted.jpg', 'image/jpeg', await makeJpegWithGps(700, 700)],
  ] as const) {
    const response = await postGraphQL<{ requestUpload: Ticket }>(
      first.url,
      REQUEST_UPLOAD,
      { input: { fileName, mimeType, fileSize: bytes.length, category: 'POST', isPublic: true } },
      { token: alice.token },
    );
    const ticket = response.data?.requestUpload;
    if (!ticket) throw new Error(JSON.stringify(response.errors));
    expect((await putBytes(ticket, alice.token, bytes)).status).toBe(200);
    uploaded.push(ticket);
  }
  const [waiting, interrupted] = uploaded as [Ticket, Ticket];
  expect(await mediaAt(first.url, waiting.mediaId)).toMatchObject({
    processingStatus: 'PENDING',
    thumbnailUrl: null,
  });
  // The second file's processor died mid-way: still Processing, long past the lease.
  await collection().updateOne(
    { _id: new ObjectId(interrupted.mediaId) },
    {
      $set: { processingStatus: 'Processing', processingStartedAt: new Date(Date.now() - 3600_000) },
      $inc: { processingAttempts: 1 },
    },
  );
  await stopInstance(first);

  const second = await startInstance(true);
  try {
    const done = await eventually(async () => {
      const files = await Promise.all(uploaded.map((ticket) => mediaAt(second.url, ticket.mediaId)));
      return files.every((file) => file?.processingStatus === 'COMPLETED')
        ? (files as MediaView[])
        : undefined;
    }, 'both files processed');
    const origin = new URL(second.url).origin;
    for (const media of done) {
      expect(media.thumbnailUrl).toBe(`${origin}/media/${media.id}/thumbnail`);
      const thumbnail = await fetchBytes(media.thumbnailUrl ?? '');
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
      expect(
        Math.max(
          (await sharp(thumbnail.body).metadata()).width ?? 0,
          (await sharp(thumbnail.body).metadata()).height ?? 0,
        ),
      ).toBe(320);
    }
    await eventually(
      async () =>
        uploaded.every((ticket) =>
          events.some(
            (event) =>
              event.type === 'MediaProcessed' &&
              (event.data as { mediaId: string }).mediaId === ticket.mediaId,
          ),
        ),
      'MediaProcessed events',
    );
    const processedEvent = events.find(
      (event) =>
        event.type === 'MediaProcessed' && (event.data as { mediaId: string }).mediaId === waiting.mediaId,
    );
    expect(processedEvent?.data).toMatchObject({
      status: 'COMPLETED',
      thumbnailUrl: `${origin}/media/${waiting.mediaId}/thumbnail`,
      width: 900,
      height: 600,
    });
  } finally {
    await stopInstance(second);
  }
});
