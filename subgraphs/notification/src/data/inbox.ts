import { OBJECT_ID_PATTERN } from '@social/kit';
import { ObjectId, type Filter } from 'mongodb';
import type { NotificationDocument, StoredNotificationType } from './collections.js';
import type { NotificationStore } from './store.js';

/**
 * The recipient's side: their notifications, newest event first, and what they do with them. An
 * expired notification is gone for its recipient at once, even before the TTL monitor deletes it
 * (MongoDB's runs once a minute), so every read filters on `expiresAt`.
 */

/** Where a page starts: after this (lastEventAt, id). */
export interface InboxPosition {
  readonly lastEventAt: Date;
  readonly id: ObjectId;
}

export function parseObjectId(value: string): ObjectId | null {
  return OBJECT_ID_PATTERN.test(value) ? new ObjectId(value.toLowerCase()) : null;
}

const live = (now: Date) => ({ expiresAt: { $gt: now } });

/**
 * One page of a user's notifications (limit rows, newest event first). Pages follow each other by
 * (lastEventAt, id) without duplicates: what arrives while the viewer pages lands above the cursor,
 * and so does a group that absorbs an event (its lastEventAt moves up), so a group not reached yet
 * is not repeated further down but shows at the top of a fresh first page, with its new count.
 */
export function inboxPage(
  store: NotificationStore,
  userId: string,
  options: {
    unreadOnly: boolean;
    types: readonly StoredNotificationType[];
    after: InboxPosition | null;
    limit: number;
  },
): Promise<NotificationDocument[]> {
  const filter: Filter<NotificationDocument> = { userId, ...live(new Date()) };
  if (options.unreadOnly) filter.isRead = false;
  if (options.types.length > 0) filter.type = { $in: [...options.types] };
  const { after } = options;
  if (after) {
    filter.$or = [
      { lastEventAt: { $lt: after.lastEventAt } },
      { lastEventAt: after.lastEventAt, _id: { $lt: after.id } },
    ];
  }
  return store.notifications.find(filter).sort({ lastEventAt: -1, _id: -1 }).limit(options.limit).toArray();
}

/** Notifications by id (any recipient; callers check ownership), in one command. */
export function notificationsByIds(
  store: NotificationStore,
  ids: readonly string[],
): Promise<NotificationDocument[]> {
  const objectIds = ids.flatMap((id) => parseObjectId(id) ?? []);
  if (objectIds.length === 0) return Promise.resolve([]);
  return store.notifications.find({ _id: { $in: objectIds } }).toArray();
}

/** The recipient's live notification `id`, or null. */
export function ownNotification(
  store: NotificationStore,
  userId: string,
  id: ObjectId,
): Promise<NotificationDocument | null> {
  return store.notifications.findOne({ _id: id, userId, ...live(new Date()) });
}

/** Whether `doc` is `userId`'s and has not expired. */
export function isLiveFor(doc: NotificationDocument | null, userId: string | undefined): boolean {
  return doc !== null && doc.userId === userId && doc.expiresAt.getTime() > Date.now();
}

/** How many unread notifications a user has, and when the first of them expires (null: none). */
export interface UnreadSummary {
  readonly count: number;
  readonly nextExpiry: Date | null;
}

export async function unreadSummary(store: NotificationStore, userId: string): Promise<UnreadSummary> {
  const [row] = await store.notifications
    .aggregate<{ count: number; next: Date }>([
      { $match: { userId, isRead: false, ...live(new Date()) } },
      { $group: { _id: null, count: { $sum: 1 }, next: { $min: '$expiresAt' } } },
    ])
    .toArray();
  return row ? { count: row.count, nextExpiry: row.next } : { count: 0, nextExpiry: null };
}

/**
 * Marks one notification read. `changed` is true only for the call that flipped it, so
 * concurrent calls for the same notification change the unread count once.
 */
export async function markRead(
  store: NotificationStore,
  userId: string,
  id: ObjectId,
): Promise<{ doc: NotificationDocument; changed: boolean } | null> {
  const now = new Date();
  const flipped = await store.notifications.findOneAndUpdate(
    { _id: id, userId, isRead: false, ...live(now) },
    { $set: { isRead: true, readAt: now, updatedAt: now } },
    { returnDocument: 'after' },
  );
  if (flipped) return { doc: flipped, changed: true };
  const current = await ownNotification(store, userId, id);
  return current ? { doc: current, changed: false } : null;
}

/** Marks every unread notification of the user read; resolves with how many changed. */
export async function markAllRead(store: NotificationStore, userId: string): Promise<number> {
  const now = new Date();
  const result = await store.notifications.updateMany(
    { userId, isRead: false, ...live(now) },
    { $set: { isRead: true, readAt: now, updatedAt: now } },
  );
  return result.modifiedCount;
}

/** Deletes one of the user's notifications; null when it is not theirs (or gone). */
export function deleteOwn(
  store: NotificationStore,
  userId: string,
  id: ObjectId,
): Promise<NotificationDocument | null> {
  return store.notifications.findOneAndDelete({ _id: id, userId, ...live(new Date()) });
}
