/**
 * The StorageProvider contract (DESIGN 3), run against both providers: local disk, and the S3
 * provider talking to a fake S3 server that verifies every request's SigV4 signature (see
 * fake-s3.ts for what that does and does not prove).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createLocalStorage } from '../src/storage/local.js';
import type { StorageProvider } from '../src/storage/provider.js';
import { createS3Storage } from '../src/storage/s3.js';
import { startFakeS3, type FakeS3 } from './fake-s3.js';

const PART = 5 * 1024 * 1024;

async function readAll(stream: Readable | null): Promise<Buffer | null> {
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A body delivered in small chunks, as an upload arrives from the network. */
function chunked(data: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += chunkSize)
        yield data.subarray(offset, offset + chunkSize);
    })(),
  );
}

/** A body that fails after `bytes` bytes, as when an upload trips its size limit mid-stream. */
function failingAfter(bytes: number): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(bytes, 1);
      throw new Error('limit tripped');
    })(),
  );
}

function pattern(size: number): Buffer {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) buffer[i] = (i * 31 + 7) % 251;
  return buffer;
}

interface Subject {
  provider: StorageProvider;
  /** Whether the backend holds anything for the key, by its own means (not the provider's). */
  leftovers(): Promise<number>;
  close(): Promise<void>;
}

function contract(name: string, make: () => Promise<Subject>) {
  describe(`${name} storage`, () => {
    let subject: Subject;
    let storage: StorageProvider;
    beforeEach(async () => {
      subject = await make();
      storage = subject.provider;
    });
    afterEach(async () => {
      await subject.close();
    });

    test('stores a streamed body and reads it back whole and in ranges', async () => {
      const data = pattern(300_000);
      expect(await storage.put('abc/original.png', chunked(data), { contentType: 'image/png' })).toEqual({
        size: data.length,
      });
      expect(await storage.stat('abc/original.png')).toEqual({ size: data.length });
      expect((await readAll(await storage.get('abc/original.png')))?.equals(data)).toBe(true);
      const range = await readAll(await storage.get('abc/original.png', { start: 1000, end: 1999 }));
      expect(range?.equals(data.subarray(1000, 2000))).toBe(true);
    });

    test('a body larger than one multipart part arrives intact', async () => {
      const data = pattern(2 * PART + 12_345);
      expect(
        await storage.put('big/upload.mp4', chunked(data, 256 * 1024), { contentType: 'video/mp4' }),
      ).toEqual({
        size: data.length,
      });
      expect((await readAll(await storage.get('big/upload.mp4')))?.equals(data)).toBe(true);
    });

    test('an empty body is an empty object', async () => {
      expect(await storage.put('e/empty.bin', Readable.from([]), { contentType: 'application/pdf' })).toEqual(
        { size: 0 },
      );
      expect(await storage.stat('e/empty.bin')).toEqual({ size: 0 });
    });

    test('a body that fails mid-stream leaves nothing behind, small or multipart', async () => {
      for (const size of [1000, PART + 1000]) {
        await expect(
          storage.put(`fail/${size}.png`, failingAfter(size), { contentType: 'image/png' }),
        ).rejects.toThrow('limit tripped');
        expect(await storage.stat(`fail/${size}.png`)).toBeNull();
      }
      expect(await subject.leftovers()).toBe(0);
    });

    test('missing objects read as null and delete quietly', async () => {
      expect(await storage.get('none/original.png')).toBeNull();
      expect(await storage.stat('none/original.png')).toBeNull();
      await storage.delete('none/original.png');
    });

    test('lists by prefix and removes a prefix as a whole', async () => {
      for (const key of ['m1/a.png', 'm1/b.webp', 'm1/c.webp', 'm2/a.png']) {
        await storage.put(key, Readable.from([Buffer.from(key)]), { contentType: 'image/png' });
      }
      const listed = [];
      for await (const object of storage.list('m1/')) listed.push([object.key, object.size]);
      expect(listed.sort()).toEqual([
        ['m1/a.png', 8],
        ['m1/b.webp', 9],
        ['m1/c.webp', 9],
      ]);
      const everything = [];
      for await (const object of storage.list()) {
        everything.push(object.key);
        expect(Number.isNaN(object.lastModified.getTime())).toBe(false);
      }
      expect(everything.sort()).toEqual(['m1/a.png', 'm1/b.webp', 'm1/c.webp', 'm2/a.png']);
      expect(await storage.deletePrefix('m1/')).toBe(3);
      expect(await storage.stat('m1/a.png')).toBeNull();
      expect(await storage.stat('m2/a.png')).toEqual({ size: 8 });
      await storage.delete('m2/a.png');
      expect(await storage.stat('m2/a.png')).toBeNull();
    });

    test('refuses keys that could escape its namespace', async () => {
      for (const key of ['../etc/passwd', '/abs/path', 'a/../../b', 'a//b', '']) {
        await expect(
          storage.put(key, Readable.from([Buffer.from('x')]), { contentType: 'image/png' }),
        ).rejects.toThrow('Invalid storage key');
      }
    });
  });
}

contract('local', async () => {
  const root = await mkdtemp(join(tmpdir(), 'media-storage-'));
  const walk = async (dir: string): Promise<number> => {
    let count = 0;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      count += entry.isDirectory() ? await walk(join(dir, entry.name)) : 1;
    }
    return count;
  };
  return {
    provider: createLocalStorage(root),
    // No object and no partial write under the failed keys.
    leftovers: () => walk(root),
    close: () => rm(root, { recursive: true, force: true }),
  };
});

contract('S3-compatible', async () => {
  // Pages of 2 keys, so listing must follow continuation tokens.
  const s3: FakeS3 = await startFakeS3({ pageSize: 2 });
  return {
    provider: createS3Storage({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      partSize: PART,
    }),
    // No object and no multipart upload left open (an aborted upload's parts would be billed).
    leftovers: async () => s3.objects.size + s3.openUploads.size,
    async close() {
      // Every request the provider made carried a valid signature.
      expect(s3.rejected).toEqual([]);
      await s3.close();
    },
  };
});

test('the fake S3 refuses a request signed with the wrong secret (the signature check is real)', async () => {
  const s3 = await startFakeS3();
  try {
    const storage = createS3Storage({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: 'not-the-secret',
      forcePathStyle: true,
    });
    await expect(
      storage.put('k/x.png', Readable.from([Buffer.from('x')]), { contentType: 'image/png' }),
    ).rejects.toThrow(/HTTP 403 \(SignatureDoesNotMatch\)/);
    expect(s3.rejected).toHaveLength(1);
    expect(s3.objects.size).toBe(0);
  } finally {
    await s3.close();
  }
});

test('multipart uploads go part by part: one part held in memory at a time', async () => {
  const s3 = await startFakeS3();
  try {
    const storage = createS3Storage({
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      partSize: PART,
    });
    await storage.put('mp/upload.mp4', chunked(pattern(3 * PART)), { contentType: 'video/mp4' });
    const calls = s3.requests.map((request) => request.replace(/uploadId=[^&]+/, 'uploadId=ID'));
    expect(calls).toEqual([
      'POST /media-test/mp/upload.mp4?uploads=',
      'PUT /media-test/mp/upload.mp4?partNumber=1&uploadId=ID',
      'PUT /media-test/mp/upload.mp4?partNumber=2&uploadId=ID',
      'PUT /media-test/mp/upload.mp4?partNumber=3&uploadId=ID',
      'POST /media-test/mp/upload.mp4?uploadId=ID',
    ]);
  } finally {
    await s3.close();
  }
});
