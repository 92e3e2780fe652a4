/**
 * Who may fetch what: public files for anyone, private ones for their owner or a signed URL; the
 * HTTP caching and range semantics players and browsers rely on.
 */
import { startSupergraph, type Supergraph, type TestAccount } from '@social/testing';
import sharp from 'sharp';
import { fetchBytes, makePng, makeWav, mediaOf, processed, upload, type MediaView } from './helpers.js';

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

const ACCESS_URL = `query Access($id: ID!, $variant: MediaVariantName, $seconds: Int) {
  media(id: $id) { id accessUrl(variant: $variant, expiresInSeconds: $seconds) }
}`;

const unsigned = (url: string) => url.split('?')[0] ?? url;

describe('a private photo', () => {
  let media: MediaView;

  beforeAll(async () => {
    const png = await makePng(800, 600);
    const ticket = await upload(
      supergraph,
      alice.token,
      { fileName: 'private.png', mimeType: 'image/png' },
      png,
    );
    media = await processed(supergraph, ticket.mediaId, alice.token);
  });

  test('is invisible to others in GraphQL and over HTTP', async () => {
    expect(media.isPublic).toBe(false);
    const asBob = await mediaOf(supergraph, media.id, bob.token);
    expect(asBob.media).toBeNull();
    expect(asBob.errors).toBeUndefined();
    expect((await mediaOf(supergraph, media.id)).media).toBeNull();

    for (const variant of ['original', 'web', 'thumbnail']) {
      const url = `${new URL(supergraph.subgraphUrls.media).origin}/media/${media.id}/${variant}`;
      expect((await fetchBytes(url)).status).toBe(404);
      expect((await fetchBytes(url, { authorization: `Bearer ${bob.token}` })).status).toBe(404);
      // Its owner fetches it with the bearer token.
      const own = await fetchBytes(url, { authorization: `Bearer ${alice.token}` });
      expect(own.status).toBe(200);
      expect(own.headers.get('cache-control')).toBe('private, no-cache');
    }
  });

  test('is served to anyone holding the signed URLs GraphQL gives its owner, until they expire', async () => {
    // The owner's view carries signed, expiring URLs usable in an <img> tag without a token.
    expect(media.url).toMatch(/\?expires=\d+&sig=[\w-]+$/);
    expect(Date.parse(media.urlExpiresAt ?? '')).toBeGreaterThan(Date.now());
    const thumbnail = await fetchBytes(media.thumbnailUrl ?? '');
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(await sharp(thumbnail.body).metadata()).toMatchObject({ width: 320, height: 240 });

    // A share link: signed for one rendition.
    const shared = await supergraph.query<{ media: { accessUrl: string } }>(
      ACCESS_URL,
      { id: media.id, variant: 'WEB', seconds: 120 },
      { token: alice.token },
    );
    const link = shared.data?.media.accessUrl ?? '';
    expect((await fetchBytes(link)).status).toBe(200);
    const expires = Number(new URL(link).searchParams.get('expires'));
    expect(expires * 1000 - Date.now()).toBeLessThanOrEqual(120_000);

    // Tampering with it (another rendition, a later expiry, another signature) fails.
    const url = new URL(link);
    const otherVariant = new URL(link.replace('/web?', '/original?'));
    const later = new URL(link);
    later.searchParams.set('expires', String(expires + 3600));
    expect((await fetchBytes(otherVariant.toString())).status).toBe(403);
    expect((await fetchBytes(later.toString())).status).toBe(403);
    url.searchParams.set('sig', 'A'.repeat(43));
    expect((await fetchBytes(url.toString())).status).toBe(403);

    // Others cannot make share links.
    const asBob = await supergraph.query<{ media: null }>(ACCESS_URL, { id: media.id }, { token: bob.token });
    expect(asBob.data?.media).toBeNull();
    const badLifetime = await supergraph.query(
      ACCESS_URL,
      { id: media.id, seconds: 5 },
      { token: alice.token },
    );
    expect(badLifetime.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('an expired signed URL is refused', async () => {
    const shared = await supergraph.query<{ media: { accessUrl: string } }>(
      ACCESS_URL,
      { id: media.id, seconds: 60 },
      { token: alice.token },
    );
    if (!shared.data?.media.accessUrl) throw new Error(JSON.stringify(shared));
    const link = new URL(shared.data.media.accessUrl);
    // The signature covers the expiry, so a valid expired link can only come from the signer:
    // sign one in the past with the service's own key.
    const { loadConfig } = await import('@social/kit');
    const { mediaConfigSchema } = await import('../src/config.js');
    const { createUrlSigner, urlSecretFrom } = await import('../src/media/signing.js');
    const { MongoClient, ObjectId } = await import('mongodb');
    const signer = createUrlSigner(
      urlSecretFrom(loadConfig('media', mediaConfigSchema, supergraph.stack.resources.env)),
    );
    const client = await MongoClient.connect(supergraph.mongoUrl);
    try {
      const stored = await client
        .db(`${supergraph.mongoDbPrefix}social_media`)
        .collection<{ accessKey: string }>('media_files')
        .findOne({ _id: new ObjectId(media.id) });
      const past = Math.floor(Date.now() / 1000) - 10;
      link.searchParams.set('expires', String(past));
      link.searchParams.set(
        'sig',
        signer.accessSignature(media.id, 'original', past, stored?.accessKey ?? ''),
      );
    } finally {
      await client.close();
    }
    const response = await fetchBytes(link.toString());
    expect(response.status).toBe(403);
    expect(response.body.toString()).toContain('expired');
  });

  test('made public, its unsigned URLs work for everyone and cache publicly', async () => {
    const UPDATE = `mutation ($id: ID!, $input: UpdateMediaInput!) { updateMedia(id: $id, input: $input) { id isPublic url thumbnailUrl urlExpiresAt } }`;
    const updated = await supergraph.query<{
      updateMedia: { isPublic: boolean; url: string; urlExpiresAt: string | null };
    }>(UPDATE, { id: media.id, input: { isPublic: true } }, { token: alice.token });
    expect(updated.data?.updateMedia).toMatchObject({ isPublic: true, urlExpiresAt: null });
    expect(updated.data?.updateMedia.url).toBe(unsigned(media.url ?? ''));
    const anyone = await fetchBytes(updated.data?.updateMedia.url ?? '');
    expect(anyone.status).toBe(200);
    expect(anyone.headers.get('cache-control')).toMatch(/^public, max-age=\d{5,}$/);
    const asBob = await mediaOf(supergraph, media.id, bob.token);
    expect(asBob.media?.id).toBe(media.id);
    await supergraph.query(UPDATE, { id: media.id, input: { isPublic: false } }, { token: alice.token });
    expect((await fetchBytes(updated.data?.updateMedia.url ?? '')).status).toBe(404);
  });
});

test('renditions carry a strong ETag; If-None-Match answers 304 without a body', async () => {
  const png = await makePng(500, 500);
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'etag.png', mimeType: 'image/png', isPublic: true },
    png,
  );
  const media = await processed(supergraph, ticket.mediaId, alice.token);
  const first = await fetchBytes(media.thumbnailUrl ?? '');
  const etag = first.headers.get('etag') ?? '';
  expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
  const again = await fetchBytes(media.thumbnailUrl ?? '', { 'if-none-match': etag });
  expect(again.status).toBe(304);
  expect(again.body.length).toBe(0);
  expect(again.headers.get('etag')).toBe(etag);
  const changed = await fetchBytes(media.thumbnailUrl ?? '', { 'if-none-match': '"something-else"' });
  expect(changed.status).toBe(200);
  // Different renditions have different tags.
  expect((await fetchBytes(media.webUrl ?? '')).headers.get('etag')).not.toBe(etag);
});

describe('an audio file', () => {
  const wav = makeWav(3);
  let media: MediaView;

  beforeAll(async () => {
    const ticket = await upload(
      supergraph,
      alice.token,
      { fileName: 'tone.wav', mimeType: 'audio/wav', isPublic: true, category: 'CHAT' },
      wav,
    );
    media = await processed(supergraph, ticket.mediaId, alice.token);
  });

  test('is processed with its duration and no image renditions', () => {
    expect(media).toMatchObject({
      processingStatus: 'COMPLETED',
      fileType: 'AUDIO',
      mimeType: 'audio/wav',
      thumbnailUrl: null,
      webUrl: null,
      dimensions: null,
      bitrate: 128000,
    });
    expect(media.duration).toBeCloseTo(3, 3);
    expect(media.variants.map((variant) => variant.name)).toEqual(['ORIGINAL']);
  });

  test('is served in byte ranges (206), with 416 for a range past its end', async () => {
    const url = media.url ?? '';
    const whole = await fetchBytes(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.body.equals(wav)).toBe(true);

    const part = await fetchBytes(url, { range: 'bytes=100-1099' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${wav.length}`);
    expect(part.body.equals(wav.subarray(100, 1100))).toBe(true);

    const tail = await fetchBytes(url, { range: 'bytes=-44' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(wav.subarray(wav.length - 44))).toBe(true);

    const open = await fetchBytes(url, { range: `bytes=${wav.length - 10}-` });
    expect(open.body.equals(wav.subarray(wav.length - 10))).toBe(true);

    const outside = await fetchBytes(url, { range: `bytes=${wav.length}-` });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${wav.length}`);

    // A stale If-Range (the file changed) gets the whole file instead of a piece of the new one.
    const stale = await fetchBytes(url, { range: 'bytes=0-9', 'if-range': '"old"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(wav.length);
  });
});

test('unknown files and renditions answer 404', async () => {
  const origin = new URL(supergraph.subgraphUrls.media).origin;
  expect((await fetchBytes(`${origin}/media/0123456789abcdef01234567/original`)).status).toBe(404);
  expect((await fetchBytes(`${origin}/media/not-an-id/original`)).status).toBe(404);
  const wav = makeWav(1);
  const ticket = await upload(
    supergraph,
    alice.token,
    { fileName: 'a.wav', mimeType: 'audio/wav', isPublic: true },
    wav,
  );
  await processed(supergraph, ticket.mediaId, alice.token);
  expect((await fetchBytes(`${origin}/media/${ticket.mediaId}/thumbnail`)).status).toBe(404);
  expect((await fetchBytes(`${origin}/media/${ticket.mediaId}/huge`)).status).toBe(404);
});
