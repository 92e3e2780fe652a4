import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { VARIANT_NAMES, type MediaFileDocument, type VariantName } from '../data/collections.js';
import { toObjectId } from '../data/media-files.js';
import type { MediaDeps } from '../deps.js';
import { sendError } from './errors.js';

/** How long browsers and CDNs keep a public rendition (its URL's bytes never change). */
const PUBLIC_MAX_AGE_SECONDS = 7 * 24 * 3600;

type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'signed'; readonly expires: number }
  | { readonly kind: 'owner' }
  | { readonly kind: 'denied'; readonly status: number; readonly code: string; readonly message: string };

const notFound: Access = { kind: 'denied', status: 404, code: 'NOT_FOUND', message: 'Not found' };

async function accessOf(
  deps: MediaDeps,
  req: Request,
  file: MediaFileDocument,
  variant: VariantName,
): Promise<Access> {
  if (file.isPublic) return { kind: 'public' };
  const { expires, sig } = req.query;
  if (typeof expires === 'string' || typeof sig === 'string') {
    const at = Number(expires);
    const valid =
      typeof sig === 'string' &&
      /^[0-9]{1,12}$/.test(String(expires)) &&
      deps.signer.verifyAccess(file._id.toHexString(), variant, at, file.accessKey, sig);
    if (!valid) return { kind: 'denied', status: 403, code: 'FORBIDDEN', message: 'This link is not valid' };
    if (at * 1000 <= Date.now()) {
      return { kind: 'denied', status: 403, code: 'EXPIRED', message: 'This link has expired' };
    }
    return { kind: 'signed', expires: at };
  }
  if (req.headers.authorization) {
    let viewer;
    try {
      viewer = await deps.verifier.viewerFromAuthorization(req.headers.authorization);
    } catch {
      return {
        kind: 'denied',
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'The access token is invalid or has expired',
      };
    }
    if (viewer?.id === file.userId) return { kind: 'owner' };
  }
  // Private files do not exist for anyone else.
  return notFound;
}

interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A single `bytes=` range (RFC 9110 14.1.2); several ranges are served whole, as allowed. */
function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || (to !== '' && Number(to) < start)) return 'unsatisfiable';
  return { start, end };
}

function etagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((value) => value.trim().replace(/^W\//, ''))
    .some((value) => value === '*' || value === etag);
}

/**
 * `GET /media/:id/:variant` (original, web, thumbnail): public files for anyone, private ones for
 * the owner's bearer token or a signed URL (`?expires=&sig=`). Strong ETags from the SHA-256 of
 * the served bytes, conditional requests (304) and single byte ranges (206, 416).
 */
export function downloadHandler(deps: MediaDeps) {
  const logger = deps.logger.child({ component: 'download' });
  return async (req: Request, res: Response): Promise<void> => {
    const variant = String(req.params.variant ?? '') as VariantName;
    const id = toObjectId(String(req.params.id ?? ''));
    if (!VARIANT_NAMES.includes(variant) || !id) return sendError(res, 404, 'NOT_FOUND', 'Not found');
    const file = await deps.files.findById(id);
    if (!file || file.isDeleted || file.ownerSuspended || !file.uploadCompletedAt) {
      return sendError(res, 404, 'NOT_FOUND', 'Not found');
    }
    const access = await accessOf(deps, req, file, variant);
    if (access.kind === 'denied') return sendError(res, access.status, access.code, access.message);
    const rendition = file.variants.find((candidate) => candidate.name === variant);
    if (!rendition) {
      const pending = file.processingStatus === 'Pending' || file.processingStatus === 'Processing';
      if (pending) res.setHeader('retry-after', '2');
      return sendError(
        res,
        404,
        'NOT_FOUND',
        pending ? `The ${variant} rendition is not ready yet` : `This file has no ${variant} rendition`,
      );
    }

    const etag = `"${rendition.sha256}"`;
    res.setHeader('etag', etag);
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('x-content-type-options', 'nosniff');
    if (access.kind === 'public') {
      res.setHeader('cache-control', `public, max-age=${PUBLIC_MAX_AGE_SECONDS}`);
    } else if (access.kind === 'signed') {
      const remaining = Math.max(0, Math.min(access.expires - Math.floor(Date.now() / 1000), 3600));
      res.setHeader('cache-control', `private, max-age=${remaining}`);
    } else {
      res.setHeader('cache-control', 'private, no-cache');
      res.setHeader('vary', 'Authorization');
    }
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && etagMatches(ifNoneMatch, etag)) {
      res.status(304).end();
      return;
    }

    const size = rendition.size;
    const rangeHeader = req.headers.range;
    const ifRange = req.headers['if-range'];
    let range: ByteRange | undefined;
    if (rangeHeader && (ifRange === undefined || ifRange === etag)) {
      const parsed = parseRange(rangeHeader, size);
      if (parsed === 'unsatisfiable') {
        res.setHeader('content-range', `bytes */${size}`);
        return sendError(res, 416, 'RANGE_NOT_SATISFIABLE', 'The requested range is outside the file');
      }
      range = parsed;
    }
    res.setHeader('content-type', rendition.mimeType);
    if (variant === 'original') {
      const name = file.originalFileName.replace(/["\\\r\n]/g, '_');
      // Documents (PDF, Office) are downloaded, never rendered in the media origin (a PDF viewer
      // runs scripts); images, video and audio display inline.
      const disposition = file.fileType === 'Document' ? 'attachment' : 'inline';
      res.setHeader(
        'content-disposition',
        `${disposition}; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
    }
    if (range) {
      res.status(206);
      res.setHeader('content-range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('content-length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('content-length', String(size));
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = await deps.storage.get(rendition.key, range);
    if (!stream) {
      logger.error({ mediaId: id.toHexString(), key: rendition.key }, 'stored rendition is missing');
      res.removeHeader('content-length');
      res.removeHeader('content-range');
      return sendError(res, 404, 'NOT_FOUND', 'Not found');
    }
    try {
      await pipeline(stream, res);
    } catch (error) {
      // The client went away mid-download: nothing to answer.
      logger.debug({ err: error, mediaId: id.toHexString() }, 'download interrupted');
    }
  };
}
