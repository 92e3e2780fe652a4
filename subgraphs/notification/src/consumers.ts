import { startStreamConsumers, type EventBus, type EventEnvelope } from '@social/kit';
import type { ClientSession } from 'mongodb';
import { refreshActor, removeWhere, withdrawActor } from './data/notifications.js';
import type { NotificationDeps } from './deps.js';
import {
  CONSUMED_TYPES,
  CONSUMER_GROUP,
  accountPayload,
  emailVerifiedPayload,
  friendRequestAcceptedPayload,
  friendRequestClosedPayload,
  postDeletedPayload,
  profileIdentityPayload,
  userBlockedPayload,
  userIdPayload,
} from './events.js';
import { SOURCES } from './services/sources.js';
import { notify, unreadChanged, type AfterCommit } from './services/notify.js';

/**
 * What the notification service does with other services' events (DESIGN 9). Each is handled
 * exactly once (kit `handleEventOnce`: its id is recorded in the transaction of its effects), so
 * a redelivered event never notifies twice. The social replica (kit) is updated first, in the same
 * transaction, then the notifications the event calls for are written (services/sources.ts,
 * services/notify.ts); subscribers are told and emails and pushes sent after the commit.
 *
 * Besides notifying:
 * - UserDeleted: the user's own notifications go, and they are withdrawn as an actor from
 *   everyone else's (a deleted account never surfaces in a notification).
 * - UserBlocked: each is withdrawn from the other's notifications.
 * - ProfileCreated / ProfileUpdated / a new username: the actor's denormalized username, name and
 *   avatar, and the texts that name them.
 * - FriendRequestClosed: the withdrawn or declined request's notification goes; accepted, it is
 *   marked read.
 * - PostDeleted: the notifications about the post go.
 * - auth's account events: the email addresses the Email channel sends to.
 */

export async function startConsumers(
  deps: NotificationDeps,
  events: EventBus,
): Promise<{ stop(): Promise<void> }> {
  const consumers = await startStreamConsumers({
    events,
    group: CONSUMER_GROUP,
    store: deps.store,
    logger: deps.logger,
    streams: {
      auth: {
        types: CONSUMED_TYPES.auth,
        handle: (session, event, after) => onAuth(deps, session, event, after),
      },
      profile: {
        types: CONSUMED_TYPES.profile,
        handle: (session, event, after) => onProfile(deps, session, event, after),
      },
      feed: {
        types: CONSUMED_TYPES.feed,
        handle: (session, event, after) => onFeed(deps, session, event, after),
      },
      chat: {
        types: CONSUMED_TYPES.chat,
        handle: (session, event, after) => notifyFor(deps, session, event, after),
      },
    },
  });
  deps.logger.debug('notification consumers started');
  return consumers;
}

/** The notifications an event calls for, if it calls for any. */
async function notifyFor(
  deps: NotificationDeps,
  session: ClientSession,
  event: EventEnvelope,
  after: AfterCommit,
): Promise<void> {
  const source = SOURCES[event.type];
  if (!source) return;
  await notify(deps, session, await source(deps, event), after);
}

function afterUnreadChanged(deps: NotificationDeps, after: AfterCommit, users: Iterable<string>): void {
  const changed = [...users];
  if (changed.length > 0) after(() => unreadChanged(deps, changed));
}

async function onAuth(
  deps: NotificationDeps,
  session: ClientSession,
  event: EventEnvelope,
  after: AfterCommit,
): Promise<void> {
  const { store } = deps;
  await store.replica.apply(session, event);
  const at = new Date(event.occurredAt);
  switch (event.type) {
    case 'UserRegistered': {
      const data = accountPayload.parse(event.data);
      await setEmailAddress(deps, session, data.userId, data.email, at);
      return;
    }
    case 'UserUpdated': {
      const data = accountPayload.parse(event.data);
      if (data.changed?.includes('email')) await setEmailAddress(deps, session, data.userId, data.email, at);
      if (data.changed?.includes('username')) await refreshActor(store, session, data.userId, new Date());
      return;
    }
    case 'UserEmailVerified': {
      const data = emailVerifiedPayload.parse(event.data);
      const created = await store.emailAddresses.updateOne(
        { _id: data.userId },
        { $setOnInsert: { email: data.email, verified: true, at } },
        { session, upsert: true },
      );
      if (created.upsertedCount === 0) {
        await store.emailAddresses.updateOne(
          { _id: data.userId, email: data.email },
          { $set: { verified: true } },
          { session },
        );
      }
      return;
    }
    case 'UserDeleted': {
      const { userId } = userIdPayload.parse(event.data);
      const own = await removeWhere(store, session, { userId });
      const others = await withdrawActor(store, session, userId, new Date());
      await store.emailAddresses.deleteOne({ _id: userId }, { session });
      afterUnreadChanged(deps, after, new Set([...own, ...others]));
      deps.logger.info({ userId }, 'deleted account: its notifications removed and withdrawn as an actor');
      return;
    }
  }
}

/**
 * A new (unverified) address, unless a newer event set one already. The document is created with
 * an upsert on its id, never an insert that could fail inside the event's transaction.
 */
async function setEmailAddress(
  deps: NotificationDeps,
  session: ClientSession,
  userId: string,
  email: string,
  at: Date,
): Promise<void> {
  const { emailAddresses } = deps.store;
  const created = await emailAddresses.updateOne(
    { _id: userId },
    { $setOnInsert: { email, verified: false, at } },
    { session, upsert: true },
  );
  if (created.upsertedCount > 0) return;
  await emailAddresses.updateOne(
    { _id: userId, at: { $lte: at } },
    { $set: { email, verified: false, at } },
    { session },
  );
}

async function onProfile(
  deps: NotificationDeps,
  session: ClientSession,
  event: EventEnvelope,
  after: AfterCommit,
): Promise<void> {
  const { store } = deps;
  await store.replica.apply(session, event);
  switch (event.type) {
    case 'ProfileCreated':
    case 'ProfileUpdated': {
      const data = profileIdentityPayload.parse(event.data);
      await refreshActor(store, session, data.userId, new Date());
      return;
    }
    case 'UserBlocked': {
      const data = userBlockedPayload.parse(event.data);
      const now = new Date();
      const fromBlocked = await withdrawActor(store, session, data.blockedId, now, [data.blockerId]);
      const fromBlocker = await withdrawActor(store, session, data.blockerId, now, [data.blockedId]);
      afterUnreadChanged(deps, after, new Set([...fromBlocked, ...fromBlocker]));
      return;
    }
    case 'FriendRequestClosed': {
      const data = friendRequestClosedPayload.parse(event.data);
      const removed = await removeWhere(store, session, {
        userId: data.receiverId,
        type: 'FriendRequest',
        relatedEntityId: data.requestId,
      });
      afterUnreadChanged(deps, after, removed);
      return;
    }
    case 'FriendRequestAccepted': {
      const data = friendRequestAcceptedPayload.parse(event.data);
      const now = new Date();
      const read = await store.notifications.updateMany(
        { userId: data.receiverId, type: 'FriendRequest', relatedEntityId: data.requestId, isRead: false },
        { $set: { isRead: true, readAt: now, updatedAt: now } },
        { session },
      );
      if (read.modifiedCount > 0) afterUnreadChanged(deps, after, [data.receiverId]);
      break;
    }
  }
  await notifyFor(deps, session, event, after);
}

async function onFeed(
  deps: NotificationDeps,
  session: ClientSession,
  event: EventEnvelope,
  after: AfterCommit,
): Promise<void> {
  if (event.type === 'PostDeleted') {
    const { postId } = postDeletedPayload.parse(event.data);
    afterUnreadChanged(deps, after, await removeWhere(deps.store, session, { postId }));
    return;
  }
  await notifyFor(deps, session, event, after);
}
