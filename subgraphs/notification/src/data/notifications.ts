import type { ReplicaUser } from '@social/kit';
import { ObjectId, type AnyBulkWriteOperation, type ClientSession, type Filter } from 'mongodb';
import { LIMITS } from '../config.js';
import { UNKNOWN_ACTOR, renderText } from '../services/text.js';
import type {
  NotificationDocument,
  StoredChannel,
  StoredEntityType,
  StoredNotificationType,
  StoredPriority,
} from './collections.js';
import type { NotificationStore } from './store.js';

/**
 * Writing notifications: new ones, events absorbed into an open group, and withdrawals (a deleted
 * or blocked actor, a deleted post). Everything here runs in the transaction of the event that
 * caused it (the kit's handleEventOnce), so a redelivered event changes nothing and a failed one
 * leaves no trace.
 */

/** One notification an event calls for: to whom, about what, by whom. */
export interface NotificationDraft {
  readonly userId: string;
  readonly type: StoredNotificationType;
  readonly actorId: string;
  /** Unread notifications with the same recipient and key absorb this one; null: never grouped. */
  readonly groupKey: string | null;
  readonly relatedEntityId: string | null;
  readonly relatedEntityType: StoredEntityType | null;
  readonly actionUrl: string | null;
  readonly metadata: Record<string, unknown>;
  readonly postId: string | null;
  readonly priority: StoredPriority;
  /** When the event happened. */
  readonly at: Date;
}

/** How a draft ended up: a new notification, or an open group that absorbed it. */
export interface AppliedNotification {
  readonly doc: NotificationDocument;
  readonly created: boolean;
}

/** The identity a notification shows for its newest actor (the seed's denormalized fields). */
export interface ActorIdentity {
  readonly username: string | null;
  readonly displayName: string | null;
  readonly avatarUrl: string | null;
}

export function identityOf(user: ReplicaUser | undefined): ActorIdentity {
  return {
    username: user?.username ?? null,
    displayName: user?.displayName ?? null,
    avatarUrl: user?.avatarUrl ?? null,
  };
}

const nameOf = (identity: ActorIdentity) => identity.displayName || identity.username || UNKNOWN_ACTOR;

/**
 * Message groups count messages; every other group counts each distinct actor once (a repeated
 * reaction by someone among the recent actors refreshes the group without counting them twice).
 */
const countsEvents = (type: StoredNotificationType) => type === 'Message';

export interface ApplyContext {
  readonly session: ClientSession;
  readonly identities: ReadonlyMap<string, ActorIdentity>;
  /** The channels each recipient gets new notifications through (IN_APP always). */
  readonly channels: ReadonlyMap<string, readonly StoredChannel[]>;
  readonly ttlMs: number;
  readonly now: Date;
}

function newDocument(draft: NotificationDraft, context: ApplyContext): NotificationDocument {
  const identity = context.identities.get(draft.actorId) ?? identityOf(undefined);
  const channels = [...(context.channels.get(draft.userId) ?? ['InApp'])];
  const text = renderText({
    type: draft.type,
    actorName: nameOf(identity),
    groupCount: 1,
    relatedEntityType: draft.relatedEntityType,
    metadata: draft.metadata,
  });
  return {
    _id: new ObjectId(),
    userId: draft.userId,
    type: draft.type,
    ...text,
    actorId: draft.actorId,
    actorUsername: identity.username,
    actorDisplayName: identity.displayName,
    actorAvatarUrl: identity.avatarUrl,
    actors: [draft.actorId],
    relatedEntityId: draft.relatedEntityId,
    relatedEntityType: draft.relatedEntityType,
    actionUrl: draft.actionUrl,
    metadata: draft.metadata,
    postId: draft.postId,
    isRead: false,
    readAt: null,
    // In the app it is delivered by being stored; other channels are sent after the commit.
    deliveryStatus: channels.some((channel) => channel !== 'InApp') ? 'Pending' : 'Sent',
    channels,
    sentVia: ['InApp'],
    groupKey: draft.groupKey,
    groupCount: 1,
    priority: draft.priority,
    expiresAt: new Date(draft.at.getTime() + context.ttlMs),
    createdAt: draft.at,
    lastEventAt: draft.at,
    updatedAt: context.now,
  };
}

/**
 * The changes that fold `draft` into the open group `current`. Events may be absorbed out of order
 * (instances consume a stream concurrently, a failed event is retried later): one older than the
 * group's latest event joins the count and the actors (right after the newest) but leaves the
 * newest actor, the texts' name, the facts and lastEventAt to the latest event.
 */
function absorption(current: NotificationDocument, draft: NotificationDraft, context: ApplyContext) {
  const repeat = current.actors.includes(draft.actorId);
  const increment = countsEvents(draft.type) || !repeat ? 1 : 0;
  const groupCount = current.groupCount + increment;
  if (draft.at < current.lastEventAt) {
    const [newest, ...older] = current.actors;
    const actors = repeat || newest === undefined ? current.actors : [newest, draft.actorId, ...older];
    const text = renderText({
      type: current.type,
      actorName: nameOf({
        username: current.actorUsername,
        displayName: current.actorDisplayName,
        avatarUrl: current.actorAvatarUrl,
      }),
      groupCount,
      relatedEntityType: current.relatedEntityType,
      metadata: current.metadata,
    });
    return {
      $set: { ...text, actors: actors.slice(0, LIMITS.actorsMax), updatedAt: context.now },
      $inc: { groupCount: increment },
    };
  }
  const identity = context.identities.get(draft.actorId) ?? identityOf(undefined);
  const text = renderText({
    type: draft.type,
    actorName: nameOf(identity),
    groupCount,
    relatedEntityType: draft.relatedEntityType,
    metadata: draft.metadata,
  });
  return {
    $set: {
      ...text,
      actorId: draft.actorId,
      actorUsername: identity.username,
      actorDisplayName: identity.displayName,
      actorAvatarUrl: identity.avatarUrl,
      actors: [draft.actorId, ...current.actors.filter((actor) => actor !== draft.actorId)].slice(
        0,
        LIMITS.actorsMax,
      ),
      relatedEntityId: draft.relatedEntityId,
      relatedEntityType: draft.relatedEntityType,
      actionUrl: draft.actionUrl,
      metadata: draft.metadata,
      lastEventAt: draft.at,
      updatedAt: context.now,
    },
    $inc: { groupCount: increment },
  };
}

/** Attempts at folding into or starting a group before giving up (the event is then retried). */
const GROUP_ATTEMPTS = 5;

/**
 * One grouped draft: absorbed by the recipient's open (unread) group with the same key, or the
 * start of a new one. Race-free: a new group is an upsert on the unique partial index of open
 * groups, so two events starting the same group at once end in one (the transaction that lost
 * retries and absorbs); a group changed or read by someone else after it was read here makes
 * this transaction conflict and retry.
 */
async function applyGrouped(
  store: NotificationStore,
  draft: NotificationDraft,
  context: ApplyContext,
): Promise<AppliedNotification> {
  const { session } = context;
  const open = { userId: draft.userId, groupKey: draft.groupKey, isRead: false };
  for (let attempt = 0; attempt < GROUP_ATTEMPTS; attempt += 1) {
    const current = await store.notifications.findOne(open, { session });
    if (current && current.expiresAt <= context.now) {
      // Expired, so gone for its recipient already (inbox.ts), but not yet swept by the TTL
      // monitor: absorbing the event would hide it. It goes now, and a new group starts.
      await store.notifications.deleteOne({ _id: current._id }, { session });
      continue;
    }
    if (current) {
      const updated = await store.notifications.findOneAndUpdate(
        { _id: current._id, isRead: false },
        absorption(current, draft, context),
        { session, returnDocument: 'after' },
      );
      if (updated) return { doc: updated, created: false };
      // Read or deleted since: the next attempt starts a new group.
      continue;
    }
    const fresh = newDocument(draft, context);
    const { userId: _userId, groupKey: _groupKey, isRead: _isRead, ...onInsert } = fresh;
    const stored = await store.notifications.findOneAndUpdate(
      open,
      { $setOnInsert: onInsert },
      { session, upsert: true, returnDocument: 'after' },
    );
    if (stored?._id.equals(fresh._id)) return { doc: stored, created: true };
    // Another event opened the group in between: absorb into it.
  }
  throw new Error(`notification group ${draft.groupKey ?? ''} kept changing; the event will be retried`);
}

/**
 * Stores what an event calls for: ungrouped drafts in one insert (a post's friends notified in one
 * command, whatever their number), grouped ones each into its group.
 */
export async function applyDrafts(
  store: NotificationStore,
  drafts: readonly NotificationDraft[],
  context: ApplyContext,
): Promise<AppliedNotification[]> {
  const applied: AppliedNotification[] = [];
  const single = drafts
    .filter((draft) => draft.groupKey === null)
    .map((draft) => newDocument(draft, context));
  if (single.length > 0) {
    await store.notifications.insertMany(single, { session: context.session });
    applied.push(...single.map((doc) => ({ doc, created: true })));
  }
  for (const draft of drafts) {
    if (draft.groupKey !== null) applied.push(await applyGrouped(store, draft, context));
  }
  return applied;
}

/**
 * Shows `actorId`'s current identity (the replica's, including the event being handled) in the
 * notifications they are the newest actor of: the seed's denormalized actor fields, and the title
 * and message, which name them ("Someone liked your post" becomes "Alice liked your post" once
 * Alice's profile is known; a new display name replaces the old one). Two commands, whatever the
 * number of notifications.
 */
export async function refreshActor(
  store: NotificationStore,
  session: ClientSession,
  actorId: string,
  now: Date,
): Promise<void> {
  const user = await store.replica.usersCollection.findOne({ _id: actorId }, { session });
  if (!user) return;
  const identity: ActorIdentity = {
    username: user.username ?? null,
    displayName: user.displayName ?? null,
    avatarUrl: user.avatarUrl ?? null,
  };
  const docs = await store.notifications
    .find(
      { actorId },
      {
        session,
        projection: {
          type: 1,
          title: 1,
          message: 1,
          groupCount: 1,
          relatedEntityType: 1,
          metadata: 1,
          actorUsername: 1,
          actorDisplayName: 1,
          actorAvatarUrl: 1,
        },
      },
    )
    .toArray();
  const operations: AnyBulkWriteOperation<NotificationDocument>[] = [];
  for (const doc of docs) {
    const text = renderText({
      type: doc.type,
      actorName: nameOf(identity),
      groupCount: doc.groupCount,
      relatedEntityType: doc.relatedEntityType,
      metadata: doc.metadata,
    });
    const unchanged =
      doc.title === text.title &&
      doc.message === text.message &&
      doc.actorUsername === identity.username &&
      doc.actorDisplayName === identity.displayName &&
      doc.actorAvatarUrl === identity.avatarUrl;
    if (unchanged) continue;
    operations.push({
      updateOne: {
        filter: { _id: doc._id, actorId },
        update: {
          $set: {
            ...text,
            actorUsername: identity.username,
            actorDisplayName: identity.displayName,
            actorAvatarUrl: identity.avatarUrl,
            updatedAt: now,
          },
        },
      },
    });
  }
  if (operations.length > 0) await store.notifications.bulkWrite(operations, { session, ordered: false });
}

/** Recipients whose unread notifications a withdrawal removed or changed. */
export type AffectedUsers = Set<string>;

/**
 * Takes `actorId` out of notifications (of `recipients` only, when given): those they alone caused
 * go; in groups, the next most recent actor takes their place and the count drops by one (a
 * message group keeps counting the messages, which chat still shows). Resolves with the
 * recipients whose unread notifications changed.
 */
export async function withdrawActor(
  store: NotificationStore,
  session: ClientSession,
  actorId: string,
  now: Date,
  recipients?: readonly string[],
): Promise<AffectedUsers> {
  const filter: Filter<NotificationDocument> = {
    actors: actorId,
    ...(recipients ? { userId: { $in: [...recipients] } } : {}),
  };
  const docs = await store.notifications
    .find(filter, {
      session,
      projection: {
        userId: 1,
        type: 1,
        actors: 1,
        groupCount: 1,
        isRead: 1,
        relatedEntityType: 1,
        metadata: 1,
      },
    })
    .toArray();
  if (docs.length === 0) return new Set();
  const remaining = (doc: NotificationDocument) => doc.actors.filter((actor) => actor !== actorId);
  const nextActors = [...new Set(docs.flatMap((doc) => remaining(doc).slice(0, 1)))];
  const users = await store.replica.users(nextActors);
  const operations: AnyBulkWriteOperation<NotificationDocument>[] = docs.map((doc) => {
    const actors = remaining(doc);
    const next = actors[0];
    if (next === undefined) return { deleteOne: { filter: { _id: doc._id } } };
    const identity = identityOf(users.get(next));
    const groupCount = countsEvents(doc.type) ? doc.groupCount : Math.max(1, doc.groupCount - 1);
    const text = renderText({
      type: doc.type,
      actorName: nameOf(identity),
      groupCount,
      relatedEntityType: doc.relatedEntityType,
      metadata: doc.metadata,
    });
    return {
      updateOne: {
        filter: { _id: doc._id },
        update: {
          $set: {
            ...text,
            actors,
            groupCount,
            actorId: next,
            actorUsername: identity.username,
            actorDisplayName: identity.displayName,
            actorAvatarUrl: identity.avatarUrl,
            updatedAt: now,
          },
        },
      },
    };
  });
  await store.notifications.bulkWrite(operations, { session, ordered: true });
  return new Set(docs.filter((doc) => !doc.isRead).map((doc) => doc.userId));
}

/** Deletes the notifications matching `filter`; resolves with the recipients of unread ones. */
export async function removeWhere(
  store: NotificationStore,
  session: ClientSession,
  filter: Filter<NotificationDocument>,
): Promise<AffectedUsers> {
  const unread = await store.notifications
    .find({ ...filter, isRead: false }, { session, projection: { userId: 1 } })
    .toArray();
  await store.notifications.deleteMany(filter, { session });
  return new Set(unread.map((doc) => doc.userId));
}
