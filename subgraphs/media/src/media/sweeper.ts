import type { Logger } from '@social/kit';
import { ObjectId } from 'mongodb';
import type { MediaFiles } from '../data/media-files.js';
import type { StorageProvider } from '../storage/index.js';

const BATCH = 100;
const MEDIA_PREFIX = /^([0-9a-f]{24})\//;

export interface SweepResult {
  /** Uploads never completed whose ticket expired: record and any bytes removed. */
  readonly expiredUploads: number;
  /** Deleted files past their grace period whose bytes were removed. */
  readonly purged: number;
}

export interface Sweeper {
  runOnce(): Promise<SweepResult>;
  /** Removes stored objects no record owns (and stale partial writes); resolves with how many. */
  scanOrphans(): Promise<number>;
  stop(): Promise<void>;
}

export interface SweeperOptions {
  readonly files: MediaFiles;
  readonly storage: StorageProvider;
  readonly logger: Logger;
  readonly intervalMs: number;
  /** An upload holding its ticket longer than this is taken to be dead (the ticket's lifetime). */
  readonly uploadClaimSeconds: number;
  /** 0: no orphan scan. */
  readonly orphanScanIntervalMs: number;
  readonly orphanMinAgeSeconds: number;
}

/**
 * The media cleanup jobs, on every instance (each step is safe to run concurrently):
 *
 * - uploads never completed: once the ticket expired (and no upload is writing), the bytes under
 *   the file's prefix are removed first, then the record. The TTL index on `expiresAt` fires an
 *   hour later, as a backstop only, so in normal operation it finds nothing: bytes are never left
 *   without the record that leads to them;
 * - deleted files: their bytes are removed once `purgeAfter` passed; the record stays as the
 *   seed's soft-delete tombstone;
 * - orphans (rare: a crash between writing bytes and recording them, or the TTL backstop firing
 *   while no instance swept): a periodic scan of storage removes objects whose media id has no
 *   record, and partial writes, once older than a day.
 */
export function startSweeper(options: SweeperOptions): Sweeper {
  const logger = options.logger.child({ component: 'sweeper' });
  const { files, storage } = options;
  let running: Promise<SweepResult> | undefined;
  let scanning: Promise<number> | undefined;

  async function sweep(): Promise<SweepResult> {
    const now = new Date();
    const claimStale = new Date(now.getTime() - options.uploadClaimSeconds * 1000);
    let expiredUploads = 0;
    for (;;) {
      const batch = await files.expiredPending(now, claimStale, BATCH);
      for (const file of batch) {
        await storage.deletePrefix(`${file._id.toHexString()}/`);
        if (await files.deleteExpiredPending(file._id, now)) expiredUploads += 1;
      }
      if (batch.length < BATCH) break;
    }
    let purged = 0;
    for (;;) {
      const batch = await files.purgeDue(now, BATCH);
      for (const file of batch) {
        await storage.deletePrefix(`${file._id.toHexString()}/`);
        await files.markPurged(file._id, now);
        purged += 1;
      }
      if (batch.length < BATCH) break;
    }
    if (expiredUploads + purged > 0) logger.info({ expiredUploads, purged }, 'media storage swept');
    return { expiredUploads, purged };
  }

  async function scan(): Promise<number> {
    const youngest = Date.now() - options.orphanMinAgeSeconds * 1000;
    const candidates = new Map<string, boolean>();
    let removed = 0;
    for await (const object of storage.list()) {
      const old = object.lastModified.getTime() <= youngest;
      if (old && object.key.endsWith('.part')) {
        await storage.delete(object.key);
        removed += 1;
        continue;
      }
      const mediaId = MEDIA_PREFIX.exec(object.key)?.[1];
      if (!mediaId) continue;
      // A prefix is an orphan candidate only if every object under it is old enough.
      candidates.set(mediaId, (candidates.get(mediaId) ?? true) && old);
    }
    const ids = [...candidates].filter(([, old]) => old).map(([id]) => id);
    for (let start = 0; start < ids.length; start += BATCH) {
      const slice = ids.slice(start, start + BATCH);
      const known = await files.existingIds(slice.map((id) => new ObjectId(id)));
      for (const id of slice) {
        if (known.has(id)) continue;
        removed += await storage.deletePrefix(`${id}/`);
      }
    }
    if (removed > 0) logger.warn({ removed }, 'orphaned media objects removed');
    return removed;
  }

  const runOnce = () => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
    return running;
  };
  const scanOrphans = () => {
    scanning ??= scan().finally(() => {
      scanning = undefined;
    });
    return scanning;
  };
  const tick = () => {
    runOnce().catch((error: unknown) => logger.error({ err: error }, 'media sweep failed'));
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  const orphanTimer =
    options.orphanScanIntervalMs > 0
      ? setInterval(() => {
          scanOrphans().catch((error: unknown) => logger.error({ err: error }, 'orphan scan failed'));
        }, options.orphanScanIntervalMs)
      : undefined;
  orphanTimer?.unref();

  return {
    runOnce,
    scanOrphans,
    async stop() {
      clearInterval(timer);
      if (orphanTimer) clearInterval(orphanTimer);
      await Promise.allSettled([running, scanning]);
    },
  };
}
