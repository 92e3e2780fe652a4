import { isDuplicateKeyError } from '@social/kit';
import type { AnyBulkWriteOperation, ClientSession, ObjectId } from 'mongodb';
import type { CommentDocument, PostDocument } from './collections.js';
import type { FeedStore } from './store.js';

/**
 * `feed_authors`: one document per author, written by every transaction whose outcome depends on
 * the author's other posts or state (pinning: at most one pinned post; hiding a deleted or
 * suspended account), so two such transactions conflict and one retries instead of both
 * committing on a stale view (write skew).
 */

/**
 * Authors whose document this process knows to exist, per store: author documents are never
 * removed, so every publishing mutation after a user's first skips the upsert. Bounded: cleared
 * when it grows past {@link KNOWN_AUTHORS_MAX}.
 */
const knownAuthors = new WeakMap<FeedStore, Set<string>>();
const KNOWN_AUTHORS_MAX = 100_000;

/** Creates the author's document if missing, outside any transaction (a racing insert is fine). */
export async function ensureAuthor(store: FeedStore, userId: string): Promise<void> {
  let known = knownAuthors.get(store);
  if (known?.has(userId)) return;
  try {
    await store.authors.updateOne(
      { _id: userId },
      { $setOnInsert: { pinnedPostId: null, hidden: false, updatedAt: new Date() } },
      { upsert: true },
    );
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
  }
  if (!known || known.size >= KNOWN_AUTHORS_MAX) {
    known = new Set();
    knownAuthors.set(store, known);
  }
  known.add(userId);
}

/**
 * Claims the author's document in `session` for a new post or comment and resolves with whether
 * the account is hidden (deleted or suspended). The write makes the transaction conflict with the
 * consumer hiding the account at the same moment, so the new content cannot slip past the hiding.
 */
export async function claimAuthor(
  store: FeedStore,
  session: ClientSession,
  userId: string,
): Promise<boolean> {
  const author = await store.authors.findOneAndUpdate(
    { _id: userId },
    { $set: { updatedAt: new Date() } },
    { session, returnDocument: 'after' },
  );
  return author?.hidden ?? false;
}

/** Touches the author's document in `session`, serialising the author's pin changes. */
export async function lockAuthor(store: FeedStore, session: ClientSession, userId: string): Promise<void> {
  await store.authors.updateOne({ _id: userId }, { $set: { updatedAt: new Date() } }, { session });
}

/**
 * Pins `postId` (or nothing) as the author's pinned post: the previous one is unpinned in the
 * same transaction.
 */
export async function setPinned(
  store: FeedStore,
  session: ClientSession,
  userId: string,
  postId: ObjectId | null,
): Promise<void> {
  const now = new Date();
  await store.authors.updateOne(
    { _id: userId },
    { $set: { pinnedPostId: postId, updatedAt: now } },
    { session, upsert: true },
  );
  await store.posts.updateMany(
    { userId, isPinned: true, ...(postId ? { _id: { $ne: postId } } : {}) },
    { $set: { isPinned: false, updatedAt: now } },
    { session },
  );
  if (postId)
    await store.posts.updateOne({ _id: postId }, { $set: { isPinned: true, updatedAt: now } }, { session });
}

/**
 * Hides (or shows again) everything a user wrote, after auth said the account was deleted or
 * suspended (or reactivated): their posts, comments and reactions get `authorHidden` /
 * `userHidden`, and the counters of what others see lose (or regain) them: posts' commentsCount
 * and comments' repliesCount (visible comments), likesCount, reactionCounts and engagementScore
 * (visible reactions; the reaction lists leave hidden users out, and auth no longer resolves a
 * deleted account's User). Runs in the event's transaction; a state equal to the recorded one
 * changes nothing.
 */
export async function setAuthorHidden(
  store: FeedStore,
  session: ClientSession,
  userId: string,
  hidden: boolean,
): Promise<void> {
  const now = new Date();
  const current = await store.authors.findOne({ _id: userId }, { session });
  if ((current?.hidden ?? false) === hidden) return;
  await store.authors.updateOne(
    { _id: userId },
    { $set: { hidden, updatedAt: now }, $setOnInsert: { pinnedPostId: null } },
    { session, upsert: true },
  );
  await store.posts.updateMany({ userId }, { $set: { authorHidden: hidden } }, { session });
  await setCommentsHidden(store, session, userId, hidden, now);
  await setReactionsHidden(store, session, userId, hidden, now);
}

type Tally = Map<string, { id: ObjectId; count: number }>;

function tally(map: Tally, id: ObjectId, by = 1): void {
  const entry = map.get(id.toHexString()) ?? { id, count: 0 };
  entry.count += by;
  map.set(id.toHexString(), entry);
}

/**
 * All the user's comments get `authorHidden` (soft-deleted ones too: a deleted comment with
 * replies is listed, and its author must resolve); the counters lose the visible ones only.
 */
async function setCommentsHidden(
  store: FeedStore,
  session: ClientSession,
  userId: string,
  hidden: boolean,
  now: Date,
): Promise<void> {
  const counted = await store.comments
    .find(
      { userId, isDeleted: false, authorHidden: !hidden },
      { session, projection: { postId: 1, parentCommentId: 1 } },
    )
    .toArray();
  await store.comments.updateMany({ userId }, { $set: { authorHidden: hidden } }, { session });
  if (counted.length === 0) return;
  const sign = hidden ? -1 : 1;
  const perPost: Tally = new Map();
  const perParent: Tally = new Map();
  for (const comment of counted) {
    tally(perPost, comment.postId);
    if (comment.parentCommentId) tally(perParent, comment.parentCommentId);
  }
  const postUpdates: AnyBulkWriteOperation<PostDocument>[] = [...perPost.values()].map(({ id, count }) => ({
    updateOne: {
      filter: { _id: id },
      update: {
        $inc: { commentsCount: sign * count, engagementScore: sign * 2 * count },
        $set: { updatedAt: now },
      },
    },
  }));
  await store.posts.bulkWrite(postUpdates, { session });
  if (perParent.size > 0) {
    const parentUpdates: AnyBulkWriteOperation<CommentDocument>[] = [...perParent.values()].map(
      ({ id, count }) => ({
        updateOne: {
          filter: { _id: id },
          update: { $inc: { repliesCount: sign * count }, $set: { updatedAt: now } },
        },
      }),
    );
    await store.comments.bulkWrite(parentUpdates, { session });
  }
}

/** The user's reactions stop (or start again) counting and being listed. */
async function setReactionsHidden(
  store: FeedStore,
  session: ClientSession,
  userId: string,
  hidden: boolean,
  now: Date,
): Promise<void> {
  const likes = await store.likes
    .find(
      { userId, userHidden: hidden ? { $ne: true } : true },
      { session, projection: { entityId: 1, entityType: 1, reactionType: 1 } },
    )
    .toArray();
  if (likes.length === 0) return;
  await store.likes.updateMany(
    { _id: { $in: likes.map((like) => like._id) } },
    { $set: { userHidden: hidden } },
    { session },
  );
  const sign = hidden ? -1 : 1;
  const postUpdates: AnyBulkWriteOperation<PostDocument>[] = [];
  const commentUpdates: AnyBulkWriteOperation<CommentDocument>[] = [];
  // One user has at most one reaction per entity, so every like is its own update.
  for (const like of likes) {
    const $inc: Record<string, number> = { likesCount: sign, [`reactionCounts.${like.reactionType}`]: sign };
    if (like.entityType === 'Post') {
      postUpdates.push({
        updateOne: {
          filter: { _id: like.entityId },
          update: { $inc: { ...$inc, engagementScore: sign }, $set: { updatedAt: now } },
        },
      });
    } else {
      commentUpdates.push({
        updateOne: { filter: { _id: like.entityId }, update: { $inc, $set: { updatedAt: now } } },
      });
    }
  }
  if (postUpdates.length > 0) await store.posts.bulkWrite(postUpdates, { session });
  if (commentUpdates.length > 0) await store.comments.bulkWrite(commentUpdates, { session });
}
