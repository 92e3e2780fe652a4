import {
  MEDIA_EVENT_TYPES,
  SOCIAL_REPLICA_EVENT_TYPES,
  mergeMediaRef,
  readMediaEvent,
  startStreamConsumers,
  type EventBus,
  type EventEnvelope,
} from '@social/kit';
import type { ClientSession } from 'mongodb';
import { z } from 'zod';
import type { ConversationDocument } from './data/collections.js';
import { activeFilter } from './data/conversations.js';
import type { ChatDeps } from './deps.js';
import { CONSUMER_GROUP } from './events.js';
import type { ConversationEventPayload } from './realtime/channels.js';
import { syncUnread } from './services/append.js';

/**
 * What chat does with other services' events (DESIGN 9). The social replica (kit) keeps users,
 * privacy settings, friendships and blocks; each event is applied exactly once (kit
 * `handleEventOnce`), together with chat's own reaction to it:
 *
 * - UserDeleted: the account leaves every group it was in (the longest-standing member becomes
 *   admin when it was the last one), and its direct conversations become read-only: the other
 *   user keeps the history but can no longer send. Its messages stay, shown as sent by a deleted
 *   account (User is resolved by auth and profile, which hide it).
 * - ProfileCreated / ProfileUpdated / UserUpdated: the participants' denormalized identity.
 * - PresenceChanged: relayed to presenceChanged subscribers (no state kept here).
 * - media's events: media_refs, to check attachments and group avatars.
 */

const AUTH_TYPES = [...SOCIAL_REPLICA_EVENT_TYPES.auth];
const PROFILE_TYPES = [...SOCIAL_REPLICA_EVENT_TYPES.profile, 'PresenceChanged'];

const presenceChanged = z.object({
  userId: z.string().min(1),
  isOnline: z.boolean(),
  lastSeenAt: z.string().nullable(),
  showOnlineStatus: z.boolean(),
  showLastSeen: z.boolean(),
});
const identity = z.object({
  userId: z.string().min(1),
  username: z.string().min(1),
  displayName: z.string().optional(),
  avatarUrl: z.string().nullish(),
});
const userDeleted = z.object({ userId: z.string().min(1) });
type AfterCommit = (task: () => Promise<void>) => void;

export async function startConsumers(deps: ChatDeps, events: EventBus): Promise<{ stop(): Promise<void> }> {
  const { store } = deps;
  const consumers = await startStreamConsumers({
    events,
    group: CONSUMER_GROUP,
    store,
    logger: deps.logger,
    streams: {
      auth: {
        types: AUTH_TYPES,
        async handle(session, event, after) {
          await store.replica.apply(session, event);
          if (event.type === 'UserDeleted') {
            await leaveEverything(deps, session, userDeleted.parse(event.data).userId, after);
          }
          if (event.type === 'UserUpdated') await refreshIdentity(deps, session, identity.parse(event.data));
        },
      },
      profile: {
        types: PROFILE_TYPES,
        // Presence changes often and only feeds live subscribers: relayed, not recorded.
        async direct(event) {
          if (event.type !== 'PresenceChanged') return false;
          await deps.notifier.presence(presenceChanged.parse(event.data));
          return true;
        },
        async handle(session, event) {
          await store.replica.apply(session, event);
          if (event.type === 'ProfileCreated' || event.type === 'ProfileUpdated') {
            await refreshIdentity(deps, session, identity.parse(event.data));
          }
        },
      },
      media: { types: MEDIA_EVENT_TYPES, handle: (session, event) => applyMediaEvent(deps, session, event) },
    },
  });
  deps.logger.debug('chat consumers started');
  return consumers;
}

/** The participants' stored copies of a user's username, display name and avatar. */
async function refreshIdentity(
  deps: ChatDeps,
  session: ClientSession,
  data: z.infer<typeof identity>,
): Promise<void> {
  const fields: Array<[string, unknown]> = [['username', data.username]];
  if (data.displayName !== undefined) fields.push(['displayName', data.displayName]);
  if (data.avatarUrl !== undefined) fields.push(['avatarUrl', data.avatarUrl]);
  // One field per update: the embedded server refuses several `$[user].field` paths in one.
  for (const [field, value] of fields) {
    await deps.store.conversations.updateMany(
      { 'participants.userId': data.userId },
      { $set: { [`participants.$[user].${field}`]: value } },
      { session, arrayFilters: [{ 'user.userId': data.userId }] },
    );
  }
}

/** A deleted account leaves its groups; its direct conversations become read-only. */
async function leaveEverything(
  deps: ChatDeps,
  session: ClientSession,
  userId: string,
  after: AfterCommit,
): Promise<void> {
  const { store } = deps;
  const conversations = await store.conversations.find(activeFilter(userId), { session }).toArray();
  const now = new Date();
  for (const conversation of conversations) {
    const id = conversation._id.toHexString();
    if (conversation.type === 'OneOnOne') {
      await store.conversations.updateOne(
        { _id: conversation._id },
        { $set: { readOnly: true }, $inc: { rev: 1 } },
        { session },
      );
      continue;
    }
    let participants = conversation.participants.map((participant) =>
      participant.userId === userId
        ? { ...participant, isActive: false, leftAt: now, unreadCount: 0 }
        : participant,
    );
    const remaining = participants.filter((participant) => participant.isActive);
    const events: ConversationEventPayload[] = [
      {
        kind: 'ParticipantChanged',
        conversationId: id,
        userId,
        change: 'LEFT',
        role: null,
        actorId: userId,
        occurredAt: now.toISOString(),
      },
    ];
    if (remaining.length > 0 && !remaining.some((participant) => participant.role === 'Admin')) {
      const eldest = remaining.reduce((a, b) => (b.joinedAt.getTime() < a.joinedAt.getTime() ? b : a));
      participants = participants.map((participant) =>
        participant.userId === eldest.userId ? { ...participant, role: 'Admin' } : participant,
      );
      events.push({
        kind: 'ParticipantChanged',
        conversationId: id,
        userId: eldest.userId,
        change: 'ROLE_CHANGED',
        role: 'Admin',
        actorId: userId,
        occurredAt: now.toISOString(),
      });
    }
    const updated = (await store.conversations.findOneAndUpdate(
      { _id: conversation._id },
      { $set: { participants, participantsCount: remaining.length }, $inc: { rev: 1 } },
      { session, returnDocument: 'after' },
    )) as ConversationDocument;
    await store.outbox.enqueue(session, 'ParticipantsChanged', {
      conversationId: id,
      conversationName: conversation.name,
      change: 'LEFT',
      userIds: [userId],
      role: null,
      actorId: userId,
      occurredAt: now.toISOString(),
    });
    after(async () => {
      await syncUnread(deps, updated);
      for (const payload of events) await deps.notifier.conversation(payload);
      // The deleted user's typing streams on the group end now, and their indicator stops.
      await deps.notifier.departed(id, userId);
      await deps.notifier.users(
        remaining.map((participant) => participant.userId),
        { conversationId: id, reason: 'DETAILS_CHANGED', occurredAt: now.toISOString() },
      );
    });
  }
}

async function applyMediaEvent(deps: ChatDeps, session: ClientSession, event: EventEnvelope): Promise<void> {
  const change = readMediaEvent(event);
  if (change) await mergeMediaRef(deps.store.mediaRefs, session, change);
}
