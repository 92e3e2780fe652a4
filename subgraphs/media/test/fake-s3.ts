/**
 * A minimal S3-compatible server for the storage contract test (there is no S3 here): path-style
 * PutObject, GetObject (with Range), HeadObject, DeleteObject, ListObjectsV2 (paged), and the
 * multipart upload calls, in memory.
 *
 * Every request's SigV4 `Authorization` header is verified independently of the client library:
 * the canonical request, string to sign and signing key are rebuilt here from the AWS Signature
 * Version 4 specification with node:crypto, and the `x-amz-content-sha256` payload hash must be
 * the SHA-256 of the body actually received. What that proves: the provider sends well-formed,
 * correctly signed S3 REST requests and speaks the subset of the API it uses, as this fake reads
 * the specification. What it does not prove: compatibility with a real S3's every quirk (error
 * bodies, eventual consistency, its own canonicalisation of unusual keys).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly objects: Map<string, Buffer>;
  /** Multipart uploads created and neither completed nor aborted. */
  readonly openUploads: Map<string, { key: string; parts: Map<number, Buffer> }>;
  /** Signed requests seen (method and path), to check which calls were made. */
  readonly requests: string[];
  /** Requests refused for a bad signature. */
  readonly rejected: string[];
  close(): Promise<void>;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (everything but unreserved characters). */
const uriEncode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function verifySignature(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  credentials: { accessKeyId: string; secretAccessKey: string; region: string },
): string | null {
  const header = request.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!match) return `malformed Authorization header: ${header}`;
  const [, accessKeyId, date, region, signedHeaders = '', signature] = match;
  if (accessKeyId !== credentials.accessKeyId) return 'unknown access key';
  if (region !== credentials.region) return 'wrong region';
  const amzDate = request.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date ?? '-'))
    return 'missing or inconsistent x-amz-date';
  const payloadHash = request.headers['x-amz-content-sha256'];
  if (typeof payloadHash !== 'string') return 'missing x-amz-content-sha256';
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body))
    return 'payload hash does not match the body';
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256')) {
    return `required headers are not signed: ${signedHeaders}`;
  }
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalQuery = [...url.searchParams]
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date ?? ''), region ?? ''), 's3'),
    'aws4_request',
  );
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? null : 'SignatureDoesNotMatch';
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>${body}`;
const escape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export async function startFakeS3(options: { pageSize?: number } = {}): Promise<FakeS3> {
  const bucket = 'media-test';
  const credentials = {
    accessKeyId: 'AKIDFAKES3EXAMPLE',
    secretAccessKey: 'fake/secret+key/for/the/contract/test',
    region: 'eu-test-1',
  };
  const objects = new Map<string, Buffer>();
  const openUploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  const requests: string[] = [];
  const rejected: string[] = [];
  const pageSize = options.pageSize ?? 1000;

  const send = (res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/xml', ...headers });
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string) =>
    send(res, status, xml(`<Error><Code>${code}</Code><Message>${code}</Message></Error>`));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');
    const problem = verifySignature(req, url, body, credentials);
    if (problem) {
      rejected.push(`${req.method} ${url.pathname}: ${problem}`);
      return error(res, 403, 'SignatureDoesNotMatch');
    }
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const [, bucketName, ...rest] = url.pathname.split('/');
    if (bucketName !== bucket) return error(res, 404, 'NoSuchBucket');
    const key = rest.map(decodeURIComponent).join('/');
    const query = url.searchParams;

    if (key === '') {
      if (req.method !== 'GET' || query.get('list-type') !== '2') return error(res, 400, 'InvalidRequest');
      const prefix = query.get('prefix') ?? '';
      const keys = [...objects.keys()].filter((name) => name.startsWith(prefix)).sort();
      // Like S3's, the continuation token names where the listing stopped (not an offset).
      const after = query.get('continuation-token');
      const rest = after === null ? keys : keys.filter((name) => name > after);
      const page = rest.slice(0, pageSize);
      const truncated = rest.length > pageSize;
      const contents = page
        .map(
          (name) =>
            `<Contents><Key>${escape(name)}</Key><Size>${objects.get(name)?.length ?? 0}</Size><LastModified>2020-01-01T00:00:00.000Z</LastModified></Contents>`,
        )
        .join('');
      return send(
        res,
        200,
        xml(
          `<ListBucketResult><Name>${bucket}</Name><Prefix>${escape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${escape(page.at(-1) ?? '')}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
        ),
      );
    }

    if (req.method === 'POST' && query.has('uploads')) {
      const uploadId = randomUUID();
      openUploads.set(uploadId, { key, parts: new Map() });
      return send(
        res,
        200,
        xml(
          `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        ),
      );
    }
    const uploadId = query.get('uploadId');
    if (uploadId !== null) {
      const upload = openUploads.get(uploadId);
      if (!upload || upload.key !== key) return error(res, 404, 'NoSuchUpload');
      if (req.method === 'PUT') {
        const partNumber = Number(query.get('partNumber'));
        upload.parts.set(partNumber, body);
        return send(res, 200, '', { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      }
      if (req.method === 'DELETE') {
        openUploads.delete(uploadId);
        return send(res, 204);
      }
      if (req.method === 'POST') {
        const listed = [
          ...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber><ETag>([^<]+)<\/ETag>/g),
        ];
        const parts: Buffer[] = [];
        for (const [, number, etag] of listed) {
          const part = upload.parts.get(Number(number));
          const expected = part ? `"${createHash('md5').update(part).digest('hex')}"` : undefined;
          if (!part || etag?.replaceAll('&quot;', '"') !== expected) return error(res, 400, 'InvalidPart');
          parts.push(part);
        }
        objects.set(key, Buffer.concat(parts));
        openUploads.delete(uploadId);
        return send(
          res,
          200,
          xml(`<CompleteMultipartUploadResult><Key>${escape(key)}</Key></CompleteMultipartUploadResult>`),
        );
      }
    }

    const object = objects.get(key);
    switch (req.method) {
      case 'PUT':
        objects.set(key, body);
        return send(res, 200, '', { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      case 'HEAD':
        if (!object) return send(res, 404);
        res.writeHead(200, { 'content-length': String(object.length) });
        return res.end();
      case 'GET': {
        if (!object) return error(res, 404, 'NoSuchKey');
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (range) {
          const start = Number(range[1]);
          const end = Math.min(Number(range[2]), object.length - 1);
          res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${object.length}` });
          return res.end(object.subarray(start, end + 1));
        }
        res.writeHead(200, { 'content-length': String(object.length) });
        return res.end(object);
      }
      case 'DELETE':
        objects.delete(key);
        return send(res, 204);
      default:
        return error(res, 405, 'MethodNotAllowed');
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => error(res, 500, 'InternalError'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    ...credentials,
    objects,
    openUploads,
    requests,
    rejected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
