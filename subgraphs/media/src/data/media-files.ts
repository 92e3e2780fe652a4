import { textSearchPage } from '@social/kit';
import {
  ObjectId,
  type ClientSession,
  type Collection,
  type Db,
  type Filter,
  type UpdateFilter,
} from 'mongodb';
import {
  MEDIA_FILES,
  type MediaFileDocument,
  type StoredCategory,
  type StoredEntityType,
  type StoredFileType,
  type StoredProcessingStatus,
} from './collections.js';

/** All access to `media_files` (DESIGN 2: Mongo stays inside src/data). */

const HEX_ID = /^[0-9a-f]{24}$/i;

/** The ObjectId of a GraphQL id, or null when it cannot be one (so it matches nothing). */
export function toObjectId(id: string): ObjectId | null {
  return HEX_ID.test(id) ? new ObjectId(id) : null;
}

/** Visible to someone at all: not deleted and the owner's account not suspended. */
const LIVE: Filter<MediaFileDocument> = { isDeleted: false, ownerSuspended: false };

export interface ListFilter {
  readonly fileType?: StoredFileType | null | undefined;
  readonly category?: StoredCategory | null | undefined;
  readonly tag?: string | null | undefined;
  readonly processingStatus?: StoredProcessingStatus | null | undefined;
}

/** Keyset position of a newest-first page: after (uploadedAt, _id). */
export interface PageAfter {
  readonly uploadedAt: Date;
  readonly id: ObjectId;
}

export interface SearchAfter {
  readonly score: number;
  readonly id: ObjectId;
}

export type SearchRow = MediaFileDocument & { searchScore: number };

export interface MediaUsageChange {
  readonly entityType: StoredEntityType;
  readonly entityId: string;
}

export type MediaFiles = ReturnType<typeof createMediaFiles>;

export function createMediaFiles(db: Db) {
  const files: Collection<MediaFileDocument> = db.collection<MediaFileDocument>(MEDIA_FILES);

  const afterClause = (after: PageAfter | undefined): Filter<MediaFileDocument> =>
    after
      ? {
          $or: [
            { uploadedAt: { $lt: after.uploadedAt } },
            { uploadedAt: after.uploadedAt, _id: { $lt: after.id } },
          ],
        }
      : {};

  const listFilter = (filter: ListFilter | undefined): Filter<MediaFileDocument> => ({
    ...(filter?.fileType ? { fileType: filter.fileType } : {}),
    ...(filter?.category ? { category: filter.category } : {}),
    ...(filter?.tag ? { tags: filter.tag } : {}),
    ...(filter?.processingStatus ? { processingStatus: filter.processingStatus } : {}),
  });

  return {
    collection: files,

    async insert(document: MediaFileDocument): Promise<void> {
      await files.insertOne(document);
    },

    /** Documents by id in any order, deleted ones included (callers decide visibility). */
    findByIds(ids: readonly string[]): Promise<MediaFileDocument[]> {
      const objectIds = ids.map(toObjectId).filter((id): id is ObjectId => id !== null);
      if (objectIds.length === 0) return Promise.resolve([]);
      return files.find({ _id: { $in: objectIds } }).toArray();
    },

    findById(id: ObjectId, session?: ClientSession): Promise<MediaFileDocument | null> {
      return files.findOne({ _id: id }, session ? { session } : {});
    },

    /** Which of these ids have a record (deleted or not): the orphan scan's question. */
    async existingIds(ids: readonly ObjectId[]): Promise<Set<string>> {
      const rows = await files.find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } }).toArray();
      return new Set(rows.map((row) => row._id.toHexString()));
    },

    /** The owner's live files, newest first (`limit` rows). */
    listOwn(userId: string, filter: ListFilter | undefined, after: PageAfter | undefined, limit: number) {
      return files
        .find({ ...LIVE, userId, ...listFilter(filter), ...afterClause(after) })
        .sort({ uploadedAt: -1, _id: -1 })
        .limit(limit)
        .toArray();
    },

    /** Another user's files as others see them: public and processed. */
    listPublicOf(
      userId: string,
      filter: ListFilter | undefined,
      after: PageAfter | undefined,
      limit: number,
    ) {
      return files
        .find({
          ...LIVE,
          userId,
          isPublic: true,
          processingStatus: 'Completed',
          ...listFilter(filter),
          ...afterClause(after),
        })
        .sort({ uploadedAt: -1, _id: -1 })
        .limit(limit)
        .toArray();
    },

    /**
     * Full-text search (text index), best match first: the viewer's own live files and others'
     * public processed ones (`viewerId` null: public ones only; `onlyMine`: own only).
     */
    search(
      text: string,
      viewerId: string | null,
      onlyMine: boolean,
      after: SearchAfter | undefined,
      limit: number,
    ): Promise<SearchRow[]> {
      const publicDone = { isPublic: true, processingStatus: 'Completed' };
      const audience =
        viewerId === null
          ? publicDone
          : onlyMine
            ? { userId: viewerId }
            : { $or: [{ userId: viewerId }, publicDone] };
      return files
        .aggregate<SearchRow>(
          textSearchPage({ $text: { $search: text }, ...LIVE, ...audience }, after ?? null, limit),
        )
        .toArray();
    },

    /**
     * Claims a one-time upload ticket: only for the owner, before the upload completed, and when no
     * other upload holds it (or the holder's claim is older than `staleBefore`: it crashed).
     */
    claimUpload(id: ObjectId, userId: string, now: Date, staleBefore: Date) {
      return files.findOneAndUpdate(
        {
          _id: id,
          userId,
          isDeleted: false,
          uploadCompletedAt: null,
          expiresAt: { $gt: now },
          $or: [{ uploadClaimedAt: null }, { uploadClaimedAt: { $lt: staleBefore } }],
        },
        { $set: { uploadClaimedAt: now } },
        { returnDocument: 'after' },
      );
    },

    /** Gives a ticket back after a rejected or failed upload, so it can be used until it expires. */
    async releaseUpload(id: ObjectId, claimedAt: Date): Promise<void> {
      await files.updateOne(
        { _id: id, uploadClaimedAt: claimedAt, uploadCompletedAt: null },
        { $set: { uploadClaimedAt: null } },
      );
    },

    /** Records the received bytes, fenced by the claim; false when the claim was lost meanwhile. */
    async completeUpload(
      session: ClientSession,
      id: ObjectId,
      claimedAt: Date,
      set: Partial<MediaFileDocument>,
    ): Promise<MediaFileDocument | null> {
      return files.findOneAndUpdate(
        { _id: id, uploadClaimedAt: claimedAt, uploadCompletedAt: null, isDeleted: false },
        { $set: { ...set, uploadClaimedAt: null, expiresAt: null } },
        { session, returnDocument: 'after' },
      );
    },

    /**
     * Takes the oldest file waiting for processing, or one whose processing lease lapsed (its
     * processor died), and marks it Processing now.
     */
    claimForProcessing(now: Date, leaseExpiredBefore: Date) {
      return files.findOneAndUpdate(
        {
          isDeleted: false,
          uploadCompletedAt: { $ne: null },
          $or: [
            { processingStatus: 'Pending' },
            { processingStatus: 'Processing', processingStartedAt: { $lt: leaseExpiredBefore } },
          ],
        },
        {
          $set: { processingStatus: 'Processing', processingStartedAt: now, updatedAt: now },
          $inc: { processingAttempts: 1 },
        },
        { sort: { uploadCompletedAt: 1 }, returnDocument: 'after' },
      );
    },

    /**
     * Stores a processing outcome, fenced by the claim (a retry that took over wins); a file deleted
     * meanwhile stays as it is (no late MediaProcessed for it).
     */
    finishProcessing(
      session: ClientSession,
      id: ObjectId,
      startedAt: Date,
      set: Partial<MediaFileDocument>,
    ): Promise<MediaFileDocument | null> {
      return files.findOneAndUpdate(
        { _id: id, processingStatus: 'Processing', processingStartedAt: startedAt, isDeleted: false },
        { $set: set },
        { session, returnDocument: 'after' },
      );
    },

    /** Puts a file back in the queue after a transient failure (storage unreachable...). */
    async requeue(id: ObjectId, startedAt: Date, error: string): Promise<void> {
      await files.updateOne(
        { _id: id, processingStatus: 'Processing', processingStartedAt: startedAt },
        { $set: { processingStatus: 'Pending', processingError: error, updatedAt: new Date() } },
      );
    },

    updateMetadata(
      session: ClientSession,
      id: ObjectId,
      set: Partial<MediaFileDocument>,
    ): Promise<MediaFileDocument | null> {
      return files.findOneAndUpdate(
        { _id: id, ...LIVE },
        { $set: set },
        { session, returnDocument: 'after' },
      );
    },

    softDelete(
      session: ClientSession,
      id: ObjectId,
      deletedAt: Date,
      purgeAfter: Date,
    ): Promise<MediaFileDocument | null> {
      return files.findOneAndUpdate(
        { _id: id, isDeleted: false },
        { $set: { isDeleted: true, deletedAt, purgeAfter, updatedAt: deletedAt } },
        { session, returnDocument: 'after' },
      );
    },

    /**
     * Records the usage on every listed file that does not have it yet: idempotent per file and
     * entity, and `usageCount` moves only with the entry it counts.
     */
    async attach(ids: readonly ObjectId[], usage: MediaUsageChange, now: Date): Promise<void> {
      const entry = { entityType: usage.entityType, entityId: usage.entityId };
      await files.updateMany(
        { _id: { $in: [...ids] }, ...LIVE, usedIn: { $not: { $elemMatch: entry } } },
        {
          $push: { usedIn: { ...entry, attachedAt: now } },
          $inc: { usageCount: 1 },
          $set: { updatedAt: now },
        },
      );
    },

    async detach(ids: readonly ObjectId[], usage: MediaUsageChange, now: Date): Promise<void> {
      const entry = { entityType: usage.entityType, entityId: usage.entityId };
      await files.updateMany(
        { _id: { $in: [...ids] }, ...LIVE, usedIn: { $elemMatch: entry } },
        { $pull: { usedIn: entry }, $inc: { usageCount: -1 }, $set: { updatedAt: now } },
      );
    },

    /** Uploads never completed whose ticket expired and that no upload is writing to now. */
    expiredPending(now: Date, claimStaleBefore: Date, limit: number) {
      return files
        .find({
          uploadCompletedAt: null,
          expiresAt: { $lt: now },
          $or: [{ uploadClaimedAt: null }, { uploadClaimedAt: { $lt: claimStaleBefore } }],
        })
        .limit(limit)
        .toArray();
    },

    async deleteExpiredPending(id: ObjectId, now: Date): Promise<boolean> {
      const result = await files.deleteOne({ _id: id, uploadCompletedAt: null, expiresAt: { $lt: now } });
      return result.deletedCount === 1;
    },

    /** Deleted files whose grace period is over and whose bytes are still stored. */
    purgeDue(now: Date, limit: number) {
      return files
        .find({ isDeleted: true, purgeAfter: { $lte: now }, purgedAt: null })
        .limit(limit)
        .toArray();
    },

    async markPurged(id: ObjectId, now: Date): Promise<void> {
      await files.updateOne(
        { _id: id, isDeleted: true },
        { $set: { purgedAt: now, variants: [], url: null, thumbnailUrl: null, updatedAt: now } },
      );
    },

    /** UserDeleted: every live file of the user is soft-deleted (bytes purged after `purgeAfter`). */
    async deleteAllOf(session: ClientSession, userId: string, deletedAt: Date, purgeAfter: Date) {
      const result = await files.updateMany(
        { userId, isDeleted: false },
        { $set: { isDeleted: true, deletedAt, purgeAfter, updatedAt: deletedAt } },
        { session },
      );
      return result.modifiedCount;
    },

    /**
     * UserStatusChanged: hides (or shows again) the user's files, unless a later status event was
     * applied already (events can be redelivered out of order).
     */
    async setOwnerSuspended(session: ClientSession, userId: string, suspended: boolean, at: Date) {
      const update: UpdateFilter<MediaFileDocument> = {
        $set: { ownerSuspended: suspended, ownerStatusAt: at },
      };
      const result = await files.updateMany(
        { userId, $or: [{ ownerStatusAt: null }, { ownerStatusAt: { $lt: at } }] },
        update,
        { session },
      );
      return result.modifiedCount;
    },
  };
}
