import { withTransaction } from '@social/kit';
import type { Viewer } from '@social/kit';
import type { Request, Response } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { MediaFileDocument, StoredVariant } from '../data/collections.js';
import { toObjectId } from '../data/media-files.js';
import type { ObjectId } from 'mongodb';
import type { MediaDeps } from '../deps.js';
import { uploadedEvent } from '../media/event-data.js';
import { SIZE_LIMITS, SNIFF_BYTES, confirms, formatOf, normalizeMime } from '../media/formats.js';
import { RequestBody } from './body.js';
import { sendError } from './errors.js';

/** The client went away or broke the connection mid-upload. */
class ClientAborted extends Error {}

class TooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The file is larger than the ${Math.round(limit / 1024 / 1024)} MB allowed for its type`);
  }
}

type Refusal = readonly [status: number, code: string, message: string];

/** Checked before a claim is taken: who is uploading, with which ticket, is it still valid. */
async function admit(
  deps: MediaDeps,
  req: Request,
  token: string,
): Promise<{ viewer: Viewer; mediaId: ObjectId } | { refusal: Refusal }> {
  let viewer;
  try {
    viewer = await deps.verifier.viewerFromAuthorization(req.headers.authorization);
  } catch {
    return { refusal: [401, 'UNAUTHENTICATED', 'The access token is invalid or has expired'] };
  }
  if (!viewer) {
    const message = 'Send the uploader\'s access token as "Authorization: Bearer <token>" with the upload';
    return { refusal: [401, 'UNAUTHENTICATED', message] };
  }
  const ticket = deps.signer.verifyUploadToken(token, viewer.id);
  const mediaId = ticket === 'invalid' ? null : toObjectId(ticket.mediaId);
  if (ticket === 'invalid' || !mediaId) {
    return { refusal: [403, 'FORBIDDEN', 'This upload URL is not valid for this user'] };
  }
  if (ticket.expiresAt.getTime() <= Date.now()) {
    return { refusal: [410, 'EXPIRED', 'This upload URL has expired; request a new upload'] };
  }
  return { viewer, mediaId };
}

/** Why a ticket could not be claimed, from the record as it is now. */
function claimRefusal(file: MediaFileDocument | null): Refusal {
  if (!file || file.isDeleted) return [410, 'GONE', 'This upload no longer exists; request a new upload'];
  if (file.uploadCompletedAt) return [409, 'ALREADY_USED', 'This upload URL has already been used'];
  if (file.expiresAt && file.expiresAt.getTime() <= Date.now()) {
    return [410, 'EXPIRED', 'This upload URL has expired; request a new upload'];
  }
  return [409, 'IN_PROGRESS', 'An upload to this URL is already in progress'];
}

/**
 * `PUT /media/upload/:token`: receives the bytes of a file requested with `requestUpload`.
 *
 * The ticket is one-time: it is claimed atomically before any byte is read and consumed when the
 * bytes are recorded; a refused or broken upload gives it back (usable until it expires). The
 * first 64 KB are sniffed before anything is written: a type that is not allowed or not what was
 * declared is refused (415) with nothing stored. The rest streams to storage through a counter (a
 * body past the type's limit fails mid-stream, 413, and the partial object is removed) and a
 * SHA-256 hash.
 */
export function uploadHandler(deps: MediaDeps) {
  const logger = deps.logger.child({ component: 'upload' });
  return async (req: Request, res: Response): Promise<void> => {
    // Every refusal stops reading the body (draining a little so the client sees the answer).
    const body = new RequestBody(req);
    let release = async (): Promise<void> => {};
    const refuse = async (...[status, code, message]: Refusal) => {
      body.discard(res);
      await release();
      sendError(res, status, code, message);
    };

    const admitted = await admit(deps, req, String(req.params.token ?? ''));
    if ('refusal' in admitted) return refuse(...admitted.refusal);
    const { mediaId: id, viewer } = admitted;

    const now = new Date();
    const staleBefore = new Date(now.getTime() - deps.config.MEDIA_UPLOAD_URL_TTL_SECONDS * 1000);
    const file = await deps.files.claimUpload(id, viewer.id, now, staleBefore);
    if (!file) return refuse(...claimRefusal(await deps.files.findById(id)));
    const claimedAt = file.uploadClaimedAt ?? now;
    release = () => deps.files.releaseUpload(id, claimedAt);

    const format = formatOf(file.mimeType);
    if (!format) return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', `${file.mimeType} is not an allowed type`);
    const limit = SIZE_LIMITS[format.fileType];
    const declaredType = req.headers['content-type'];
    if (
      declaredType !== undefined &&
      normalizeMime(declaredType) !== format.mime &&
      normalizeMime(declaredType) !== 'application/octet-stream'
    ) {
      return refuse(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${declaredType} is not the declared ${format.mime}`,
      );
    }
    const declaredLength = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declaredLength) && declaredLength > limit) {
      return refuse(413, 'PAYLOAD_TOO_LARGE', new TooLarge(limit).message);
    }

    const hash = createHash('sha256');
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) throw new TooLarge(limit);
      hash.update(chunk);
    };

    // The head: enough bytes to tell what the file really is.
    const head: Buffer[] = [];
    let headBytes = 0;
    try {
      for (let chunk = await body.next(); chunk; chunk = headBytes < SNIFF_BYTES ? await body.next() : null) {
        count(chunk);
        head.push(chunk);
        headBytes += chunk.length;
      }
    } catch (error) {
      if (error instanceof TooLarge) return refuse(413, 'PAYLOAD_TOO_LARGE', error.message);
      await release();
      logger.debug({ err: error }, 'upload aborted');
      if (!res.headersSent && !res.destroyed) sendError(res, 400, 'ABORTED', 'The upload was interrupted');
      return;
    }
    const first = Buffer.concat(head);
    if (first.length === 0) return refuse(400, 'EMPTY', 'The upload is empty');
    const sniffed = (await fileTypeFromBuffer(first))?.mime;
    if (!confirms(format, sniffed)) {
      const what = sniffed ?? 'not a file type this service accepts';
      return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', `The bytes are ${what}, not the declared ${format.mime}`);
    }

    const mediaId = id.toHexString();
    const key = `${mediaId}/upload.${format.ext}`;
    const next = () =>
      body.next().catch((error: unknown) => {
        throw new ClientAborted((error as Error).message, { cause: error });
      });
    async function* stream(): AsyncGenerator<Buffer> {
      yield first;
      for (let chunk = await next(); chunk; chunk = await next()) {
        count(chunk);
        yield chunk;
      }
    }
    try {
      await deps.storage.put(key, Readable.from(stream()), { contentType: format.mime });
    } catch (error) {
      if (error instanceof TooLarge) return refuse(413, 'PAYLOAD_TOO_LARGE', error.message);
      await release();
      if (error instanceof ClientAborted) {
        logger.debug({ err: error, mediaId }, 'upload aborted');
        if (!res.headersSent && !res.destroyed) sendError(res, 400, 'ABORTED', 'The upload was interrupted');
      } else {
        logger.error({ err: error, mediaId }, 'storage refused an upload');
        body.discard(res);
        sendError(res, 503, 'STORAGE_UNAVAILABLE', 'The file could not be stored; try again');
      }
      return;
    }

    const checksum = hash.digest('hex');
    const completedAt = new Date();
    // Images are served only once processing made a copy without metadata, unless the owner keeps it.
    const servable = format.fileType !== 'Image' || file.keepLocationData;
    const original: StoredVariant = {
      name: 'original',
      key,
      mimeType: format.mime,
      size: received,
      width: null,
      height: null,
      sha256: checksum,
    };
    let recorded: MediaFileDocument | null;
    try {
      recorded = await withTransaction(deps.client, async (session) => {
        const updated = await deps.files.completeUpload(session, id, claimedAt, {
          fileName: `${mediaId}.${format.ext}`,
          fileType: format.fileType,
          mimeType: format.mime,
          fileSize: received,
          checksum,
          storageProvider: deps.storage.name,
          storagePath: key,
          variants: servable ? [original] : [],
          url: servable ? `/media/${mediaId}/original` : null,
          uploadCompletedAt: completedAt,
          updatedAt: completedAt,
        });
        if (updated) await deps.outbox.enqueue(session, 'MediaUploaded', uploadedEvent(updated));
        return updated;
      });
    } catch (error) {
      await deps.storage.delete(key).catch(() => undefined);
      await release();
      throw error;
    }
    if (!recorded) {
      // The record expired or was deleted while the bytes arrived: keep nothing.
      await deps.storage.delete(key);
      return sendError(res, 410, 'GONE', 'This upload no longer exists; request a new upload');
    }
    deps.outbox.kick();
    deps.processor.kick();
    logger.info({ mediaId, size: received, mimeType: format.mime }, 'upload received');
    res.status(200).json({
      mediaId,
      mimeType: format.mime,
      fileSize: received,
      checksum,
      processingStatus: 'PENDING',
    });
  };
}
