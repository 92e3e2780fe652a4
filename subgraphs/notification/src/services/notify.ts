import type { NotificationSettingsSnapshot, ReplicaUser } from '@social/kit';
import type { ClientSession } from 'mongodb';
import type { StoredChannel, StoredNotificationType } from '../data/collections.js';
import {
  applyDrafts,
  identityOf,
  type ActorIdentity,
  type AppliedNotification,
  type NotificationDraft,
} from '../data/notifications.js';
import type { NotificationDeps } from '../deps.js';

/**
 * Who is notified of what an event calls for, and what happens after the commit. A draft is
 * dropped when its recipient acted themselves, when either of them blocked the other, when either
 * account is deleted or suspended, and when the recipient turned that kind of notification off
 * (profile's notificationSettings, the replica's copy; the defaults for users whose profile has
 * not been seen yet).
 */

export type AfterCommit = (task: () => Promise<void>) => void;

/**
 * The setting that turns each type off. Shares have no setting of their own in the seed: like a
 * reaction, a share is someone endorsing the recipient's post.
 */
const SETTING: Record<StoredNotificationType, keyof NotificationSettingsSnapshot | null> = {
  FriendRequest: 'friendRequestNotifications',
  FriendAccepted: 'friendRequestNotifications',
  Message: 'messageNotifications',
  Post: 'postNotifications',
  Comment: 'commentNotifications',
  CommentReply: 'commentNotifications',
  Like: 'likeNotifications',
  Share: 'likeNotifications',
  Mention: 'mentionNotifications',
  Follow: 'followerNotifications',
  ProfileView: null,
};

export function wants(user: ReplicaUser, type: StoredNotificationType): boolean {
  const setting = SETTING[type];
  return setting === null || user.notificationSettings[setting];
}

/** The drafts that pass every rule, with the users they involve (one replica command per actor). */
async function admit(
  deps: NotificationDeps,
  drafts: readonly NotificationDraft[],
): Promise<{ admitted: NotificationDraft[]; users: Map<string, ReplicaUser> }> {
  const { replica } = deps.store;
  const candidates = drafts.filter((draft) => draft.userId !== draft.actorId);
  if (candidates.length === 0) return { admitted: [], users: new Map() };
  const users = await replica.users(candidates.flatMap((draft) => [draft.userId, draft.actorId]));
  const byActor = new Map<string, string[]>();
  for (const draft of candidates) {
    const recipients = byActor.get(draft.actorId);
    if (recipients) recipients.push(draft.userId);
    else byActor.set(draft.actorId, [draft.userId]);
  }
  const blocked = new Set<string>();
  for (const [actorId, recipients] of byActor) {
    const relations = await replica.relations(actorId, recipients);
    for (const [userId, relation] of relations) if (relation.blocked) blocked.add(`${actorId}:${userId}`);
  }
  const admitted = candidates.filter((draft) => {
    const recipient = users.get(draft.userId) as ReplicaUser;
    const actor = users.get(draft.actorId) as ReplicaUser;
    return (
      !replica.isHidden(recipient) &&
      !replica.isHidden(actor) &&
      !blocked.has(`${draft.actorId}:${draft.userId}`) &&
      wants(recipient, draft.type)
    );
  });
  return { admitted, users };
}

/**
 * The channels of each recipient's new notifications: in the app always, push and email as their
 * settings say (email only to a verified address auth told us about).
 */
async function channelsOf(
  deps: NotificationDeps,
  session: ClientSession,
  recipients: readonly ReplicaUser[],
): Promise<Map<string, StoredChannel[]>> {
  const wantEmail = recipients
    .filter((user) => user.notificationSettings.emailNotifications)
    .map((u) => u.userId);
  const verified =
    wantEmail.length === 0
      ? new Set<string>()
      : new Set(
          (
            await deps.store.emailAddresses
              .find({ _id: { $in: wantEmail }, verified: true }, { session, projection: { _id: 1 } })
              .toArray()
          ).map((address) => address._id),
        );
  return new Map(
    recipients.map((user) => {
      const channels: StoredChannel[] = ['InApp'];
      if (user.notificationSettings.pushNotifications) channels.push('Push');
      if (verified.has(user.userId)) channels.push('Email');
      return [user.userId, channels];
    }),
  );
}

/**
 * Stores the notifications `drafts` call for (in the event's transaction) and, after the commit,
 * tells their recipients' subscriptions and sends them out. Resolves with what was stored.
 */
export async function notify(
  deps: NotificationDeps,
  session: ClientSession,
  drafts: readonly NotificationDraft[],
  after: AfterCommit,
): Promise<AppliedNotification[]> {
  const { admitted, users } = await admit(deps, drafts);
  if (admitted.length === 0) return [];
  const identities = new Map<string, ActorIdentity>(
    [...new Set(admitted.map((draft) => draft.actorId))].map((actorId) => [
      actorId,
      identityOf(users.get(actorId)),
    ]),
  );
  const recipients = [...new Set(admitted.map((draft) => draft.userId))].map(
    (id) => users.get(id) as ReplicaUser,
  );
  const applied = await applyDrafts(deps.store, admitted, {
    session,
    identities,
    channels: await channelsOf(deps, session, recipients),
    ttlMs: deps.config.NOTIFICATION_TTL_DAYS * 86_400_000,
    now: new Date(),
  });
  after(() => announce(deps, applied));
  return applied;
}

/** After a commit: counts invalidated, subscribers told, external channels sent. */
export async function announce(
  deps: NotificationDeps,
  applied: readonly AppliedNotification[],
): Promise<void> {
  deps.delivery.enqueue(applied.filter((item) => item.created).map((item) => item.doc));
  const recipients = new Set(applied.map((item) => item.doc.userId));
  // The count first: a subscriber told of a notification and asking for the count sees it counted.
  await deps.unread.invalidate(recipients);
  await Promise.all(applied.map((item) => deps.notifier.added(item.doc.userId, item.doc._id.toHexString())));
  await deps.notifier.unreadChanged(recipients);
}

/** After a commit that removed or read notifications: these users' counts changed. */
export async function unreadChanged(deps: NotificationDeps, userIds: Iterable<string>): Promise<void> {
  const users = [...new Set(userIds)];
  if (users.length === 0) return;
  await deps.unread.invalidate(users);
  await deps.notifier.unreadChanged(users);
}
