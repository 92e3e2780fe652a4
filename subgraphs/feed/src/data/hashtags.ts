import { MongoServerError, ObjectId, type AnyBulkWriteOperation, type ClientSession } from 'mongodb';
import type { HashtagDocument } from './collections.js';
import type { FeedStore } from './store.js';

/**
 * Hashtag statistics. `count` (live posts carrying the tag) changes with `$inc` in the transaction
 * of the post change; every use is also recorded in `hashtag_uses` (tag, post, time), which the
 * trend job reads: trendScore = uses in the last 24 h × 0.5 + last 7 d × 0.3 + last 30 d × 0.2
 * (seed 002), recalculated on a schedule (trends.ts).
 */

const DAY_MS = 24 * 3600 * 1000;

function onlyDuplicateKeys(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  if (error.code === 11000) return true;
  const writeErrors = (error as MongoServerError & { writeErrors?: { code: number }[] }).writeErrors;
  return Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000);
}

/**
 * Creates the documents of tags never used before, outside any transaction: two posts creating
 * the same new tag at once would otherwise collide on the unique tag index at commit. A racing
 * insert that won leaves the tag existing, which is all this needs.
 */
export async function ensureHashtags(store: FeedStore, tags: readonly string[], now: Date): Promise<void> {
  if (tags.length === 0) return;
  try {
    await store.hashtags.bulkWrite(
      tags.map((tag) => ({
        updateOne: {
          filter: { tag },
          update: {
            $setOnInsert: {
              _id: new ObjectId(),
              tag,
              count: 0,
              trendScore: 0,
              lastUsed: now,
              createdAt: now,
              updatedAt: now,
            },
          },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  } catch (error) {
    if (!onlyDuplicateKeys(error)) throw error;
  }
}

/** Counts a post's tags added and removed (create, edit, delete), in the post's transaction. */
export async function recordTagChanges(
  store: FeedStore,
  session: ClientSession,
  postId: ObjectId,
  change: { added: readonly string[]; removed: readonly string[] },
  now: Date,
): Promise<void> {
  const { added, removed } = change;
  if (added.length > 0) {
    await store.hashtags.updateMany(
      { tag: { $in: [...added] } },
      { $inc: { count: 1 }, $set: { lastUsed: now, updatedAt: now } },
      { session },
    );
    await store.hashtagUses.insertMany(
      added.map((tag) => ({ _id: new ObjectId(), tag, postId, usedAt: now })),
      { session },
    );
  }
  if (removed.length > 0) {
    await store.hashtags.updateMany(
      { tag: { $in: [...removed] } },
      { $inc: { count: -1 }, $set: { updatedAt: now } },
      { session },
    );
    await store.hashtagUses.deleteMany({ postId, tag: { $in: [...removed] } }, { session });
  }
}

/** The tags in `next` and not in `previous`, and the other way round. */
export function tagChanges(previous: readonly string[], next: readonly string[]) {
  return {
    added: next.filter((tag) => !previous.includes(tag)),
    removed: previous.filter((tag) => !next.includes(tag)),
  };
}

/** The seed's trend score of a tag from its uses in the three windows. */
export function trendScore(uses: { day: number; week: number; month: number }): number {
  return Math.round((uses.day * 0.5 + uses.week * 0.3 + uses.month * 0.2) * 1000) / 1000;
}

/**
 * Recalculates every tag's trend score from the uses of the last 30 days (one aggregation), and
 * resets to 0 the tags with no use left in the window. Idempotent: several instances running it
 * at once write the same scores. Resolves with how many tags have a score above zero.
 */
export async function recalculateTrends(store: FeedStore, now = new Date()): Promise<number> {
  const since = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const rows = await store.hashtagUses
    .aggregate<{ _id: string; day: number; week: number; month: number }>([
      { $match: { usedAt: { $gte: since(30), $lte: now } } },
      {
        $group: {
          _id: '$tag',
          day: { $sum: { $cond: [{ $gte: ['$usedAt', since(1)] }, 1, 0] } },
          week: { $sum: { $cond: [{ $gte: ['$usedAt', since(7)] }, 1, 0] } },
          month: { $sum: 1 },
        },
      },
    ])
    .toArray();
  const operations: AnyBulkWriteOperation<HashtagDocument>[] = rows.map((row) => ({
    updateOne: { filter: { tag: row._id }, update: { $set: { trendScore: trendScore(row) } } },
  }));
  operations.push({
    updateMany: {
      filter: { trendScore: { $gt: 0 }, tag: { $nin: rows.map((row) => row._id) } },
      update: { $set: { trendScore: 0 } },
    },
  });
  await store.hashtags.bulkWrite(operations, { ordered: false });
  return rows.length;
}

export function findHashtag(store: FeedStore, tag: string): Promise<HashtagDocument | null> {
  return store.hashtags.findOne({ tag });
}

/** The tags with the highest trend score (ties by count, then by tag), above zero only. */
export function trendingHashtags(store: FeedStore, first: number): Promise<HashtagDocument[]> {
  return store.hashtags
    .find({ trendScore: { $gt: 0 } })
    .sort({ trendScore: -1, count: -1, tag: 1 })
    .limit(first)
    .toArray();
}
