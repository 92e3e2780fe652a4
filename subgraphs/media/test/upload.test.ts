/**
 * Uploading through the signed URL, end to end: GraphQL through the gateway, bytes over real HTTP
 * to the media service, processing off the request path, renditions served back.
 */
import { loadConfig, type EventEnvelope } from '@social/kit';
import { startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import exifr from 'exifr';
import { MongoClient, ObjectId } from 'mongodb';
import sharp from 'sharp';
import { mediaConfigSchema } from '../src/config.js';
import { createUrlSigner, urlSecretFrom } from '../src/media/signing.js';
import {
  GPS,
  eventually,
  fetchBytes,
  makeElf,
  makeExe,
  makeJpegWithGps,
  makePng,
  makeWav,
  mediaOf,
  processed,
  putBytes,
  requestUpload,
  storedFiles,
  upload,
  REQUEST_UPLOAD,
} from './helpers.js';

let supergraph: Supergraph;
let alice: TestAccount;
let bob: TestAccount;
let mongo: MongoClient;
const events: EventEnvelope[] = [];

beforeAll(async () => {
  supergraph = await startSupergraph();
  [alice, bob] = await Promise.all([supergraph.user(), supergraph.user()]);
  mongo = await MongoClient.connect(supergraph.mongoUrl);
  await supergraph.stack.resources.events.subscribe('media', 'media-upload-test', async (event) => {
    events.push(event);
  });
});
afterAll(async () => {
  await mongo?.close();
  await supergraph?.stop();
});

const mediaFiles = () => mongo.db(`${supergraph.mongoDbPrefix}social_media`).collection('media_files');
const eventsOf = (type: string, mediaId: string) =>
  events.filter((event) => event.type === type && (event.data as { mediaId: string }).mediaId === mediaId);

test('a PNG uploaded through the signed URL is processed into a 320 px thumbnail and a 1080 px web WebP', async () => {
  const png = await makePng(1600, 1200);
  const ticket = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'holiday.png', mimeType: 'image/png', isPublic: true, tags: ['Beach', 'beach', 'summer'] },
    png,
  );
  expect(ticket.method).toBe('PUT');
  expect(ticket.headers).toEqual({ 'Content-Type': 'image/png' });
  expect(ticket.maxFileSize).toBe(10 * 1024 * 1024);
  expect(ticket.media).toMatchObject({ id: ticket.mediaId, processingStatus: 'PENDING', fileType: 'IMAGE' });
  const expiresIn = Date.parse(ticket.expiresAt) - Date.now();
  expect(expiresIn).toBeGreaterThan(14 * 60 * 1000);
  expect(expiresIn).toBeLessThanOrEqual(15 * 60 * 1000);
  expect(ticket.uploadUrl.startsWith(new URL(supergraph.subgraphUrls.media).origin)).toBe(true);

  const put = await putBytes(ticket, alice.token, png);
  expect(put.status).toBe(200);
  const receipt = (await put.json()) as { checksum: string; fileSize: number };
  const media = await processed(supergraph, ticket.mediaId, alice.token);

  expect(media).toMatchObject({
    processingStatus: 'COMPLETED',
    processingError: null,
    fileType: 'IMAGE',
    mimeType: 'image/png',
    fileSize: png.length,
    originalFileName: 'holiday.png',
    fileName: `${ticket.mediaId}.png`,
    tags: ['beach', 'summer'],
    isPublic: true,
    dimensions: { width: 1600, height: 1200, aspectRatio: '4:3' },
    expiresAt: null,
    owner: { id: alice.id },
  });
  const { createHash } = await import('node:crypto');
  expect(media.checksum).toBe(createHash('sha256').update(png).digest('hex'));
  expect(receipt).toMatchObject({ checksum: media.checksum, fileSize: png.length });

  const thumbnail = await fetchBytes(media.thumbnailUrl ?? '');
  expect(thumbnail.status).toBe(200);
  expect(thumbnail.headers.get('content-type')).toBe('image/webp');
  expect(await sharp(thumbnail.body).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });
  const web = await fetchBytes(media.webUrl ?? '');
  expect(web.headers.get('content-type')).toBe('image/webp');
  expect(await sharp(web.body).metadata()).toMatchObject({ format: 'webp', width: 1080, height: 810 });
  const original = await fetchBytes(media.url ?? '');
  expect(original.headers.get('content-type')).toBe('image/png');
  expect(await sharp(original.body).metadata()).toMatchObject({ format: 'png', width: 1600, height: 1200 });
  expect(
    media.variants.map((variant) => [variant.name, variant.mimeType, variant.width, variant.height]),
  ).toEqual([
    ['ORIGINAL', 'image/png', 1600, 1200],
    ['WEB', 'image/webp', 1080, 810],
    ['THUMBNAIL', 'image/webp', 320, 240],
  ]);

  // Events other services consume: MediaUploaded when the bytes arrived, MediaProcessed with stable URLs.
  const base = new URL(supergraph.subgraphUrls.media).origin;
  await eventually(async () => eventsOf('MediaProcessed', ticket.mediaId).length > 0, 'MediaProcessed');
  expect(eventsOf('MediaUploaded', ticket.mediaId).map((event) => event.data)).toEqual([
    {
      mediaId: ticket.mediaId,
      ownerId: alice.id,
      fileType: 'IMAGE',
      mimeType: 'image/png',
      category: 'POST',
      isPublic: true,
      fileSize: png.length,
      uploadedAt: media.uploadCompletedAt,
    },
  ]);
  expect(eventsOf('MediaProcessed', ticket.mediaId).map((event) => event.data)).toEqual([
    {
      mediaId: ticket.mediaId,
      ownerId: alice.id,
      fileType: 'IMAGE',
      mimeType: 'image/png',
      category: 'POST',
      isPublic: true,
      status: 'COMPLETED',
      url: `${base}/media/${ticket.mediaId}/original`,
      webUrl: `${base}/media/${ticket.mediaId}/web`,
      thumbnailUrl: `${base}/media/${ticket.mediaId}/thumbnail`,
      width: 1600,
      height: 1200,
      duration: null,
      processingError: null,
    },
  ]);
});

test('a JPEG keeps its camera EXIF in the metadata but no served rendition carries GPS', async () => {
  const jpeg = await makeJpegWithGps(1200, 900);
  expect((await exifr.gps(jpeg))?.latitude).toBeCloseTo(GPS.latitude, 3);
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'eiffel.jpg', mimeType: 'image/jpeg', isPublic: true },
    jpeg,
  );
  const media = await processed(supergraph, ticket.mediaId, alice.token);
  expect(media.processingStatus).toBe('COMPLETED');
  expect(media.exif).toMatchObject({
    camera: 'Canon EOS R5',
    iso: 200,
    aperture: 'f/2.8',
    shutterSpeed: '1/250',
    focalLength: '35mm',
    flash: true,
  });
  // The owner sees where the picture was taken; others do not.
  expect(media.exif?.gps?.latitude).toBeCloseTo(GPS.latitude, 3);
  expect(media.exif?.gps?.longitude).toBeCloseTo(GPS.longitude, 3);
  expect(media.exif?.gps?.altitude).toBe(35);
  const asBob = await mediaOf(supergraph, ticket.mediaId, bob.token);
  expect(asBob.media?.exif?.camera).toBe('Canon EOS R5');
  expect(asBob.media?.exif?.gps).toBeNull();

  for (const url of [media.url, media.webUrl, media.thumbnailUrl]) {
    const served = await fetchBytes(url ?? '');
    expect(served.status).toBe(200);
    const metadata = await sharp(served.body).metadata();
    expect(metadata.width).toBeGreaterThan(0);
    const tags = (await exifr.parse(served.body, { gps: true }).catch(() => undefined)) as
      Record<string, unknown> | undefined;
    expect(tags?.latitude).toBeUndefined();
    expect(tags?.GPSLatitude).toBeUndefined();
    expect(await exifr.gps(served.body).catch(() => undefined)).toBeUndefined();
  }
  const original = await fetchBytes(media.url ?? '');
  expect(original.headers.get('content-type')).toBe('image/jpeg');
  expect(await sharp(original.body).metadata()).toMatchObject({ format: 'jpeg', width: 1200, height: 900 });
  // Nothing with GPS is left in storage either: the upload as received was replaced by the clean copy.
  expect((await storedFiles(supergraph, ticket.mediaId)).sort()).toEqual([
    'original.jpg',
    'thumbnail.webp',
    'web.webp',
  ]);
});

test('an owner who keeps location data gets the original with its GPS', async () => {
  const jpeg = await makeJpegWithGps(400, 300);
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'trail.jpg', mimeType: 'image/jpeg', isPublic: true, keepLocationData: true },
    jpeg,
  );
  const media = await processed(supergraph, ticket.mediaId, alice.token);
  expect(media.keepLocationData).toBe(true);
  const original = await fetchBytes(media.url ?? '');
  expect(original.body.equals(jpeg)).toBe(true);
  expect((await exifr.gps(original.body)).latitude).toBeCloseTo(GPS.latitude, 3);
  // Others may see the location the owner chose to share.
  expect((await mediaOf(supergraph, ticket.mediaId, bob.token)).media?.exif?.gps?.latitude).toBeCloseTo(
    GPS.latitude,
    3,
  );
});

test.each([
  ['an ELF executable', makeElf()],
  ['a Windows executable', makeExe()],
])('%s named .png is refused with 415 and nothing is stored', async (_what, bytes) => {
  const ticket = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'cute-cat.png', mimeType: 'image/png' },
    bytes,
  );
  const response = await putBytes(ticket, alice.token, bytes);
  expect(response.status).toBe(415);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  const { media } = await mediaOf(supergraph, ticket.mediaId, alice.token);
  expect(media).toMatchObject({
    processingStatus: 'PENDING',
    url: null,
    checksum: null,
    uploadCompletedAt: null,
  });
  expect(await storedFiles(supergraph, ticket.mediaId)).toEqual([]);
  expect(eventsOf('MediaUploaded', ticket.mediaId)).toEqual([]);
});

test('a real image whose type differs from the declared one is refused with 415', async () => {
  const png = await makePng(64, 64);
  const ticket = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'a.jpg', mimeType: 'image/jpeg' },
    png,
  );
  const response = await putBytes(ticket, alice.token, png);
  expect(response.status).toBe(415);
  expect(await response.text()).toContain('image/png');
  expect(await storedFiles(supergraph, ticket.mediaId)).toEqual([]);
});

test('a body past the type limit is cut off mid-stream with 413 and nothing is kept', async () => {
  const png = await makePng(32, 32);
  // Declared small; the body is a valid PNG head followed by bytes that never end, sent chunked
  // (no Content-Length): only a server that refuses while the body is still arriving can answer.
  const ticket = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'big.png', mimeType: 'image/png' },
    png,
  );
  const chunk = Buffer.alloc(256 * 1024, 7);
  let started = false;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!started) controller.enqueue(png);
      started = true;
      controller.enqueue(chunk);
    },
  });
  const response = await putBytes(ticket, alice.token, endless);
  expect(response.status).toBe(413);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  expect(await storedFiles(supergraph, ticket.mediaId)).toEqual([]);
  const { media } = await mediaOf(supergraph, ticket.mediaId, alice.token);
  expect(media).toMatchObject({ processingStatus: 'PENDING', uploadCompletedAt: null, checksum: null });
  // The ticket is still usable for the right file.
  expect((await putBytes(ticket, alice.token, png)).status).toBe(200);
});

test('an upload URL works once, for its user only, and not after it expired', async () => {
  const png = await makePng(40, 30);
  const ticket = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'once.png', mimeType: 'image/png' },
    png,
  );

  const anonymous = await putBytes(ticket, undefined, png);
  expect(anonymous.status).toBe(401);
  const foreign = await putBytes(ticket, bob.token, png);
  expect(foreign.status).toBe(403);
  const tampered = await putBytes(
    { ...ticket, uploadUrl: ticket.uploadUrl.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) },
    alice.token,
    png,
  );
  expect(tampered.status).toBe(403);
  expect(await storedFiles(supergraph, ticket.mediaId)).toEqual([]);

  expect((await putBytes(ticket, alice.token, png)).status).toBe(200);
  const reused = await putBytes(ticket, alice.token, png);
  expect(reused.status).toBe(409);
  expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('ALREADY_USED');

  // Expired tickets, as if 15 minutes went by: the URL's own signed expiry passed...
  const late = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'late.png', mimeType: 'image/png' },
    png,
  );
  const signer = createUrlSigner(
    urlSecretFrom(loadConfig('media', mediaConfigSchema, supergraph.stack.resources.env)),
  );
  const expiredUrl = new URL(late.uploadUrl);
  expiredUrl.pathname = `/media/upload/${signer.uploadToken(late.mediaId, alice.id, new Date(Date.now() - 1000))}`;
  const expired = await putBytes({ ...late, uploadUrl: expiredUrl.toString() }, alice.token, png);
  expect(expired.status).toBe(410);
  expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('EXPIRED');
  // ...or the record's ticket expiry passed.
  await mediaFiles().updateOne(
    { _id: new ObjectId(late.mediaId) },
    { $set: { expiresAt: new Date(Date.now() - 1000) } },
  );
  expect((await putBytes(late, alice.token, png)).status).toBe(410);
  expect(await storedFiles(supergraph, late.mediaId)).toEqual([]);
});

test('bad upload requests are refused with BAD_USER_INPUT and store nothing', async () => {
  const before = await mediaFiles().countDocuments({ userId: alice.id });
  const cases: [Record<string, unknown>, string][] = [
    [
      { fileName: 'x.exe', mimeType: 'application/x-msdownload', fileSize: 10, category: 'OTHER' },
      'input.mimeType',
    ],
    [
      { fileName: 'big.png', mimeType: 'image/png', fileSize: 10 * 1024 * 1024 + 1, category: 'POST' },
      'input.fileSize',
    ],
    [{ fileName: 'zero.png', mimeType: 'image/png', fileSize: 0, category: 'POST' }, 'input.fileSize'],
    [{ fileName: '../etc/passwd', mimeType: 'image/png', fileSize: 10, category: 'POST' }, 'input.fileName'],
    [{ fileName: '', mimeType: 'image/png', fileSize: 10, category: 'POST' }, 'input.fileName'],
    [
      {
        fileName: 'a.png',
        mimeType: 'image/png',
        fileSize: 10,
        category: 'POST',
        description: 'x'.repeat(501),
      },
      'input.description',
    ],
    [
      { fileName: 'a.png', mimeType: 'image/png', fileSize: 10, category: 'POST', tags: ['no spaces'] },
      'input.tags.0',
    ],
    [
      {
        fileName: 'a.png',
        mimeType: 'image/png',
        fileSize: 10,
        category: 'POST',
        tags: Array.from({ length: 21 }, (_, i) => `t${i}`),
      },
      'input.tags',
    ],
  ];
  for (const [input, field] of cases) {
    const response = await supergraph.query(REQUEST_UPLOAD, { input }, { token: alice.token });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(response.data?.requestUpload ?? null).toBeNull();
  }
  const anonymous = await supergraph.query(REQUEST_UPLOAD, {
    input: { fileName: 'a.png', mimeType: 'image/png', fileSize: 10, category: 'POST' },
  });
  expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(await mediaFiles().countDocuments({ userId: alice.id })).toBe(before);
});

test('a video over 100 MB or audio over 20 MB is refused at request time', async () => {
  for (const [mimeType, size] of [
    ['video/mp4', 100 * 1024 * 1024 + 1],
    ['audio/mpeg', 20 * 1024 * 1024 + 1],
    ['application/pdf', 20 * 1024 * 1024 + 1],
  ] as const) {
    const response = await supergraph.query(
      REQUEST_UPLOAD,
      { input: { fileName: 'f', mimeType, fileSize: size, category: 'OTHER' } },
      { token: alice.token },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.fileSize',
    });
  }
  const ok = await supergraph.query<{ requestUpload: { maxFileSize: number } }>(
    REQUEST_UPLOAD,
    { input: { fileName: 'clip.mp4', mimeType: 'video/mp4', fileSize: 100 * 1024 * 1024, category: 'POST' } },
    { token: alice.token },
  );
  expect(ok.data?.requestUpload.maxFileSize).toBe(100 * 1024 * 1024);
});

test('a body announced larger than the limit is refused before it is read', async () => {
  const png = await makePng(16, 16);
  const ticket = await requestUpload(
    supergraph,
    alice.token,
    { fileName: 'huge.png', mimeType: 'image/png' },
    png,
  );
  const body = Buffer.concat([png, Buffer.alloc(10 * 1024 * 1024)]);
  const response = await putBytes(ticket, alice.token, body);
  expect(response.status).toBe(413);
  expect(await storedFiles(supergraph, ticket.mediaId)).toEqual([]);
});

test('an image that cannot be decoded fails processing, says why, and is announced as FAILED', async () => {
  // A PNG signature and header, then garbage: accepted as a PNG by its bytes, undecodable.
  const broken = Buffer.concat([(await makePng(64, 64)).subarray(0, 33), Buffer.alloc(2000, 0x41)]);
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'broken.png', mimeType: 'image/png', isPublic: true },
    broken,
  );
  const media = await processed(supergraph, ticket.mediaId, alice.token);
  expect(media).toMatchObject({ processingStatus: 'FAILED', url: null, thumbnailUrl: null, webUrl: null });
  expect(media.processingError).toMatch(/could not be/);
  await eventually(async () => eventsOf('MediaProcessed', ticket.mediaId).length > 0, 'MediaProcessed');
  expect(eventsOf('MediaProcessed', ticket.mediaId)[0]?.data).toMatchObject({
    status: 'FAILED',
    url: null,
    thumbnailUrl: null,
    processingError: media.processingError,
  });
  // The bytes as received (possibly with metadata) are never served for an image that was not cleaned.
  const origin = new URL(supergraph.subgraphUrls.media).origin;
  expect((await fetchBytes(`${origin}/media/${ticket.mediaId}/original`)).status).toBe(404);
});

test('an audio upload is announced with its duration', async () => {
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'voice.wav', mimeType: 'audio/x-wav', category: 'CHAT' },
    makeWav(2),
  );
  await eventually(async () => eventsOf('MediaProcessed', ticket.mediaId).length > 0, 'MediaProcessed');
  const base = new URL(supergraph.subgraphUrls.media).origin;
  expect(eventsOf('MediaProcessed', ticket.mediaId)[0]?.data).toEqual({
    mediaId: ticket.mediaId,
    ownerId: alice.id,
    fileType: 'AUDIO',
    mimeType: 'audio/wav',
    category: 'CHAT',
    isPublic: false,
    status: 'COMPLETED',
    url: `${base}/media/${ticket.mediaId}/original`,
    webUrl: null,
    thumbnailUrl: null,
    width: null,
    height: null,
    duration: 2,
    processingError: null,
  });
});
