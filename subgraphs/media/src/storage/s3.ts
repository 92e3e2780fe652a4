import { AwsClient } from 'aws4fetch';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { assertKey, assertPrefix, type StorageProvider, type StoredObjectInfo } from './provider.js';

export interface S3StorageOptions {
  /** e.g. https://s3.eu-west-1.amazonaws.com or http://minio:9000 */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `<endpoint>/<bucket>/<key>` (MinIO and most clones) instead of `<bucket>.<endpoint host>/<key>`. */
  readonly forcePathStyle: boolean;
  /**
   * Size of one multipart part (S3's minimum is 5 MiB). A body is held in memory at most one part
   * at a time: bodies smaller than a part are sent with one PutObject, larger ones as a multipart
   * upload, so no upload is ever buffered whole.
   */
  readonly partSize?: number;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;

export class S3Error extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    body: string,
  ) {
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    super(`S3 ${operation} failed with HTTP ${status}${code ? ` (${code})` : ''}`);
    this.name = 'S3Error';
  }
}

function xmlDecode(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

function xmlEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function tag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : xmlDecode(match[1]);
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * An S3-compatible object store (AWS S3, MinIO, R2, ...) over its REST API, every request signed
 * with AWS Signature Version 4 (`aws4fetch`), payloads signed with their SHA-256.
 */
export function createS3Storage(options: S3StorageOptions): StorageProvider {
  const client = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: 's3',
    region: options.region,
    retries: 3,
  });
  const partSize = Math.max(options.partSize ?? 8 * 1024 * 1024, MIN_PART_SIZE);
  const endpoint = new URL(options.endpoint);

  const bucketUrl = (): URL => {
    const url = new URL(endpoint);
    if (options.forcePathStyle) {
      url.pathname = `${url.pathname.replace(/\/$/, '')}/${options.bucket}/`;
    } else {
      url.hostname = `${options.bucket}.${url.hostname}`;
      url.pathname = `${url.pathname.replace(/\/$/, '')}/`;
    }
    return url;
  };
  const objectUrl = (key: string, query: Record<string, string> = {}): URL => {
    assertKey(key);
    const url = bucketUrl();
    url.pathname += key.split('/').map(encodeURIComponent).join('/');
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url;
  };

  async function request(
    operation: string,
    url: URL,
    init: { method: string; headers?: Record<string, string>; body?: Buffer | string },
    okStatuses: readonly number[] = [200],
  ): Promise<Response> {
    const body = init.body ?? '';
    const response = await client.fetch(url.toString(), {
      method: init.method,
      headers: { 'x-amz-content-sha256': sha256Hex(body), ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    if (!okStatuses.includes(response.status)) {
      throw new S3Error(operation, response.status, await response.text().catch(() => ''));
    }
    return response;
  }

  async function putWhole(key: string, body: Buffer, contentType: string): Promise<void> {
    await request('PutObject', objectUrl(key), {
      method: 'PUT',
      headers: { 'content-type': contentType },
      body,
    });
  }

  async function multipart(
    key: string,
    first: Buffer,
    rest: AsyncIterator<Buffer>,
    contentType: string,
  ): Promise<number> {
    const created = await request('CreateMultipartUpload', objectUrl(key, { uploads: '' }), {
      method: 'POST',
      headers: { 'content-type': contentType },
    });
    const uploadId = tag(await created.text(), 'UploadId');
    if (!uploadId) throw new Error('S3 CreateMultipartUpload answered without an UploadId');
    const etags: string[] = [];
    let total = 0;
    try {
      const send = async (part: Buffer) => {
        const partNumber = etags.length + 1;
        const response = await request(
          'UploadPart',
          objectUrl(key, { partNumber: String(partNumber), uploadId }),
          { method: 'PUT', body: part },
        );
        const etag = response.headers.get('etag');
        if (!etag) throw new Error(`S3 UploadPart ${partNumber} answered without an ETag`);
        etags.push(etag);
        total += part.length;
      };
      await send(first);
      for (let next = await rest.next(); !next.done; next = await rest.next()) await send(next.value);
      const manifest =
        '<CompleteMultipartUpload>' +
        etags
          .map(
            (etag, index) =>
              `<Part><PartNumber>${index + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`,
          )
          .join('') +
        '</CompleteMultipartUpload>';
      const completed = await request('CompleteMultipartUpload', objectUrl(key, { uploadId }), {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: manifest,
      });
      // S3 may answer 200 with an error document when completion fails late.
      const text = await completed.text();
      if (text.includes('<Error>')) throw new S3Error('CompleteMultipartUpload', 200, text);
      return total;
    } catch (error) {
      await request(
        'AbortMultipartUpload',
        objectUrl(key, { uploadId }),
        { method: 'DELETE' },
        [200, 204, 404],
      ).catch(() => undefined);
      throw error;
    }
  }

  /** Regroups a stream's chunks into parts of exactly `partSize` bytes (the last one shorter). */
  async function* parts(body: Readable): AsyncGenerator<Buffer> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of body) {
      let buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      while (pendingBytes + buffer.length >= partSize) {
        const take = partSize - pendingBytes;
        pending.push(buffer.subarray(0, take));
        yield Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        buffer = buffer.subarray(take);
      }
      if (buffer.length > 0) {
        pending.push(buffer);
        pendingBytes += buffer.length;
      }
    }
    if (pendingBytes > 0 || pending.length > 0) yield Buffer.concat(pending);
  }

  async function* listAll(prefix: string): AsyncGenerator<StoredObjectInfo> {
    let token: string | undefined;
    do {
      const url = bucketUrl();
      url.searchParams.set('list-type', '2');
      if (prefix !== '') url.searchParams.set('prefix', prefix);
      if (token) url.searchParams.set('continuation-token', token);
      const xml = await (await request('ListObjectsV2', url, { method: 'GET' })).text();
      for (const match of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const entry = match[1] ?? '';
        const key = tag(entry, 'Key');
        if (key === undefined) continue;
        yield {
          key,
          size: Number(tag(entry, 'Size') ?? 0),
          lastModified: new Date(tag(entry, 'LastModified') ?? 0),
        };
      }
      token = tag(xml, 'IsTruncated') === 'true' ? tag(xml, 'NextContinuationToken') : undefined;
    } while (token);
  }

  return {
    name: 'S3',

    async put(key, body, { contentType }) {
      assertKey(key);
      const iterator = parts(body)[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) {
        await putWhole(key, Buffer.alloc(0), contentType);
        return { size: 0 };
      }
      if (first.value.length < partSize) {
        // The whole body fit in one part: the generator has ended unless it is exactly one part.
        const second = await iterator.next();
        if (second.done) {
          await putWhole(key, first.value, contentType);
          return { size: first.value.length };
        }
        throw new Error('unreachable: a short part was followed by another');
      }
      const size = await multipart(key, first.value, iterator, contentType);
      return { size };
    },

    async get(key, range) {
      const response = await request(
        'GetObject',
        objectUrl(key),
        { method: 'GET', headers: range ? { range: `bytes=${range.start}-${range.end}` } : {} },
        [200, 206, 404],
      );
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.body) return Readable.from([]);
      return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    },

    async stat(key) {
      const response = await request('HeadObject', objectUrl(key), { method: 'HEAD' }, [200, 404]);
      if (response.status === 404) return null;
      return { size: Number(response.headers.get('content-length') ?? 0) };
    },

    async delete(key) {
      await request('DeleteObject', objectUrl(key), { method: 'DELETE' }, [200, 204, 404]);
    },

    async deletePrefix(prefix) {
      assertPrefix(prefix);
      // Listed first, deleted after: deleting while paging must not move the listing under us.
      const keys: string[] = [];
      for await (const object of listAll(prefix)) keys.push(object.key);
      for (const key of keys) {
        await request('DeleteObject', objectUrl(key), { method: 'DELETE' }, [200, 204, 404]);
      }
      return keys.length;
    },

    list(prefix = '') {
      assertPrefix(prefix);
      return listAll(prefix);
    },
  };
}
