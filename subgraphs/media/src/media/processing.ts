import { withTransaction, type Logger, type MongoOutbox } from '@social/kit';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { MongoClient } from 'mongodb';
import type { MediaFileDocument, StoredVariant } from '../data/collections.js';
import type { MediaFiles } from '../data/media-files.js';
import type { MediaEventMap } from '../events.js';
import type { StorageProvider } from '../storage/index.js';
import { processedEvent } from './event-data.js';
import { SIZE_LIMITS, formatOf } from './formats.js';
import { ContentError, aspectRatioOf, processImage, type Rendition } from './images.js';
import { probeMedia } from './probe.js';
import type { MediaUrls, PublicOrigin } from './urls.js';

/**
 * The processing queue is the `media_files` collection itself: a completed upload waits as
 * `Pending`; a processor claims it atomically (findOneAndUpdate to `Processing` with
 * `processingStartedAt`), so each file is processed by one instance at a time, and a file whose
 * processor died (still `Processing` after the lease) is claimed again. Nothing lives only in
 * memory: a restarted service resumes whatever is pending.
 */
export interface Processor {
  /** Looks for work now (after an upload completed). */
  kick(): void;
  stop(): Promise<void>;
}

export interface ProcessorOptions {
  readonly files: MediaFiles;
  readonly storage: StorageProvider;
  readonly client: MongoClient;
  readonly outbox: MongoOutbox<MediaEventMap>;
  readonly urls: MediaUrls;
  readonly origin: PublicOrigin;
  readonly logger: Logger;
  /** false: this instance claims nothing (another one processes) and kick does nothing. */
  readonly enabled: boolean;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  /** Largest image processed, in pixels (MEDIA_MAX_IMAGE_PIXELS). */
  readonly maxImagePixels: number;
}

const sha256 = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex');

async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      stream.destroy();
      throw new ContentError('the stored file is larger than its type allows');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** What processing found out, as fields of the document. */
type Outcome = Partial<MediaFileDocument>;

export function startProcessor(options: ProcessorOptions): Processor {
  const logger = options.logger.child({ component: 'processor' });
  const { files, storage } = options;
  let active = 0;
  let stopped = false;
  let started = false;
  const inFlight = new Set<Promise<void>>();

  async function store(key: string, rendition: Rendition): Promise<StoredVariant> {
    await storage.put(key, Readable.from([rendition.buffer]), { contentType: rendition.mimeType });
    return {
      name: 'original',
      key,
      mimeType: rendition.mimeType,
      size: rendition.buffer.length,
      width: rendition.width,
      height: rendition.height,
      sha256: sha256(rendition.buffer),
    };
  }

  async function processImageFile(
    file: MediaFileDocument,
  ): Promise<{ outcome: Outcome; obsolete: string[] }> {
    const format = formatOf(file.mimeType);
    if (!format) throw new ContentError(`unsupported type ${file.mimeType}`);
    const stream = await storage.get(file.storagePath);
    if (!stream) throw new Error(`the uploaded bytes are missing from storage (${file.storagePath})`);
    const input = await readAll(stream, SIZE_LIMITS.Image);
    const image = await processImage(input, format, file.keepLocationData, options.maxImagePixels);
    const id = file._id.toHexString();
    const thumbnail = {
      ...(await store(`${id}/thumbnail.webp`, image.thumbnail)),
      name: 'thumbnail' as const,
    };
    const web = { ...(await store(`${id}/web.webp`, image.web)), name: 'web' as const };
    let original: StoredVariant;
    const obsolete: string[] = [];
    if (image.original) {
      original = await store(`${id}/original.${format.ext}`, image.original);
      // The upload as received still carries its metadata (GPS): it goes once the clean copy is recorded.
      if (original.key !== file.storagePath) obsolete.push(file.storagePath);
    } else {
      original = {
        name: 'original',
        key: file.storagePath,
        mimeType: file.mimeType,
        size: file.fileSize,
        width: image.width,
        height: image.height,
        sha256: file.checksum ?? sha256(input),
      };
    }
    return {
      outcome: {
        dimensions: { width: image.width, height: image.height, aspectRatio: image.aspectRatio },
        exifData: image.exif,
        variants: [original, web, thumbnail],
        storagePath: original.key,
        url: `/media/${id}/original`,
        thumbnailUrl: `/media/${id}/thumbnail`,
      },
      obsolete,
    };
  }

  async function probeFile(file: MediaFileDocument): Promise<Outcome> {
    const stream = await storage.get(file.storagePath);
    if (!stream) throw new Error(`the uploaded bytes are missing from storage (${file.storagePath})`);
    try {
      const probed = await probeMedia(stream, file.mimeType, file.fileSize);
      const { width, height } = probed;
      return {
        duration: probed.duration,
        bitrate: probed.bitrate,
        codec: probed.codec,
        ...(width && height
          ? { dimensions: { width, height, aspectRatio: aspectRatioOf(width, height) } }
          : {}),
      };
    } catch (error) {
      // An unreadable container still plays in many players: keep the file, without a duration.
      logger.warn({ err: error, mediaId: file._id.toHexString() }, 'duration could not be probed');
      return {};
    } finally {
      stream.destroy();
    }
  }

  async function finish(file: MediaFileDocument, set: Outcome): Promise<MediaFileDocument | null> {
    const started = file.processingStartedAt;
    if (!started) return null;
    return withTransaction(options.client, async (session) => {
      const updated = await files.finishProcessing(session, file._id, started, set);
      if (updated)
        await options.outbox.enqueue(session, 'MediaProcessed', processedEvent(updated, options.urls));
      return updated;
    });
  }

  async function fail(file: MediaFileDocument, message: string): Promise<void> {
    const now = new Date();
    await finish(file, {
      processingStatus: 'Failed',
      processingError: message.slice(0, 500),
      processingCompletedAt: now,
      updatedAt: now,
    });
    options.outbox.kick();
  }

  async function processOne(file: MediaFileDocument): Promise<void> {
    const mediaId = file._id.toHexString();
    if (file.processingAttempts > options.maxAttempts) {
      logger.error({ mediaId, attempts: file.processingAttempts - 1 }, 'processing abandoned');
      await fail(file, `processing did not finish after ${file.processingAttempts - 1} attempts`);
      return;
    }
    try {
      let outcome: Outcome = {};
      let obsolete: string[] = [];
      if (file.fileType === 'Image') {
        ({ outcome, obsolete } = await processImageFile(file));
      } else if (file.fileType === 'Video' || file.fileType === 'Audio') {
        outcome = await probeFile(file);
      }
      const now = new Date();
      const done = await finish(file, {
        ...outcome,
        processingStatus: 'Completed',
        processingError: null,
        processingCompletedAt: now,
        updatedAt: now,
      });
      options.outbox.kick();
      if (done) {
        for (const key of obsolete) await storage.delete(key);
        logger.info({ mediaId, fileType: file.fileType }, 'media processed');
      }
    } catch (error) {
      if (error instanceof ContentError) {
        logger.info({ mediaId, reason: error.message }, 'media processing failed');
        await fail(file, error.message);
      } else if (file.processingAttempts >= options.maxAttempts) {
        logger.error({ err: error, mediaId }, 'media processing failed on its last attempt');
        await fail(file, 'processing failed');
      } else {
        logger.warn({ err: error, mediaId }, 'media processing failed; it will be retried');
        await files.requeue(file._id, file.processingStartedAt ?? new Date(), 'retrying');
      }
    }
  }

  async function claimAndRun(): Promise<boolean> {
    const now = new Date();
    const leaseExpired = new Date(now.getTime() - options.leaseSeconds * 1000);
    const file = await files.claimForProcessing(now, leaseExpired);
    if (!file) return false;
    active += 1;
    const run = processOne(file)
      .catch((error: unknown) => logger.error({ err: error }, 'processing crashed'))
      .finally(() => {
        active -= 1;
        inFlight.delete(run);
        pump();
      });
    inFlight.add(run);
    return true;
  }

  let pumping = false;
  let again = false;
  function pump(): void {
    if (stopped || !started) return;
    if (pumping) {
      // A kick during a pass: look again when it ends, so an upload completed meanwhile is not missed.
      again = true;
      return;
    }
    pumping = true;
    void (async () => {
      try {
        do {
          again = false;
          while (!stopped && active < options.concurrency) {
            if (!(await claimAndRun())) break;
          }
        } while (again && !stopped && active < options.concurrency);
      } catch (error) {
        logger.error({ err: error }, 'processing queue unavailable');
      } finally {
        pumping = false;
      }
    })();
  }

  const timer = options.enabled ? setInterval(pump, options.pollMs) : undefined;
  timer?.unref();
  if (options.enabled) {
    // URLs in MediaProcessed need the origin, known once the service listens.
    void options.origin.ready.then(() => {
      started = true;
      pump();
    });
  }

  return {
    kick: pump,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
