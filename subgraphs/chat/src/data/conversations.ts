import type { ReplicaUser } from '@social/kit';
import { ObjectId, type ClientSession, type Filter } from 'mongodb';
import type { ConversationDocument, ParticipantDocument, StoredRole } from './collections.js';
import type { ChatStore } from './store.js';

/** Reads of `conversations` and the rules on participants every write shares. */

/** The identity a participant or sender is stored with (seed 002 denormalization). */
export interface Identity {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly avatarUrl: string | null;
}

/** A user's identity from the replica; the token's username while no profile event arrived. */
export function identityOf(user: ReplicaUser, fallbackUsername?: string): Identity {
  const username = user.username ?? fallbackUsername ?? user.userId;
  return {
    userId: user.userId,
    username,
    displayName: user.displayName ?? username,
    avatarUrl: user.avatarUrl,
  };
}

/** The key of the one direct conversation of a pair. */
export function directKeyOf(a: string, b: string): string {
  return [a, b].sort().join(':');
}

/** A 24-hex-digit ObjectId, or null. */
export function parseObjectId(value: string): ObjectId | null {
  return /^[0-9a-fA-F]{24}$/.test(value) ? new ObjectId(value) : null;
}

export function newParticipant(
  identity: Identity,
  role: StoredRole,
  joinedAt: Date,
  lastSequence: number,
): ParticipantDocument {
  return {
    ...identity,
    role,
    joinedAt,
    // Messages from before joining are history, not unread.
    lastReadMessageId: null,
    lastReadSequence: lastSequence,
    lastReadAt: null,
    lastDeliveredSequence: lastSequence,
    lastDeliveredAt: null,
    unreadCount: 0,
    isMuted: false,
    isArchived: false,
    isActive: true,
    leftAt: null,
  };
}

export function participantOf(
  conversation: Pick<ConversationDocument, 'participants'>,
  userId: string,
): ParticipantDocument | undefined {
  return conversation.participants.find((participant) => participant.userId === userId);
}

export function activeParticipant(
  conversation: Pick<ConversationDocument, 'participants'>,
  userId: string,
): ParticipantDocument | undefined {
  const participant = participantOf(conversation, userId);
  return participant?.isActive ? participant : undefined;
}

export function activeParticipants(
  conversation: Pick<ConversationDocument, 'participants'>,
): ParticipantDocument[] {
  return conversation.participants.filter((participant) => participant.isActive);
}

/** Active participants as the API lists them: admins first, then by join time. */
export function listedParticipants(
  conversation: Pick<ConversationDocument, 'participants'>,
): ParticipantDocument[] {
  return activeParticipants(conversation).sort(
    (a, b) =>
      (a.role === 'Admin' ? 0 : 1) - (b.role === 'Admin' ? 0 : 1) ||
      a.joinedAt.getTime() - b.joinedAt.getTime(),
  );
}

/** The conversations a user takes part in now (index `participants`). */
export function activeFilter(userId: string): Filter<ConversationDocument> {
  return { participants: { $elemMatch: { userId, isActive: true } } };
}

export function findConversation(
  store: ChatStore,
  id: ObjectId,
  session?: ClientSession,
): Promise<ConversationDocument | null> {
  return store.conversations.findOne({ _id: id }, session ? { session } : {});
}

export function findDirect(store: ChatStore, a: string, b: string): Promise<ConversationDocument | null> {
  return store.conversations.findOne({ directKey: directKeyOf(a, b) });
}

/** Position after which a page of the viewer's list starts. */
export interface ListPosition {
  readonly updatedAt: Date;
  readonly id: ObjectId;
}

/** The viewer's conversations, most recent activity first (index `viewer_list`). */
export function listConversations(
  store: ChatStore,
  options: {
    userId: string;
    archived: boolean;
    type: ConversationDocument['type'] | null;
    after: ListPosition | null;
    limit: number;
  },
): Promise<ConversationDocument[]> {
  const filter: Filter<ConversationDocument> = {
    participants: { $elemMatch: { userId: options.userId, isActive: true, isArchived: options.archived } },
  };
  if (options.type) filter.type = options.type;
  if (options.after) {
    const { updatedAt, id } = options.after;
    filter.$or = [{ updatedAt: { $lt: updatedAt } }, { updatedAt, _id: { $lt: id } }];
  }
  return store.conversations.find(filter).sort({ updatedAt: -1, _id: -1 }).limit(options.limit).toArray();
}

/** Ids of every conversation the user takes part in now (search scope). */
export async function activeConversationIds(store: ChatStore, userId: string): Promise<string[]> {
  const rows = await store.conversations.find(activeFilter(userId), { projection: { _id: 1 } }).toArray();
  return rows.map((row) => row._id.toHexString());
}

/** The user's unread count in each of their conversations, with each conversation's rev. */
export async function unreadEntries(
  store: ChatStore,
  userId: string,
): Promise<Array<{ conversationId: string; rev: number; count: number }>> {
  const rows = await store.conversations
    .find(activeFilter(userId), {
      projection: {
        rev: 1,
        'participants.userId': 1,
        'participants.unreadCount': 1,
        'participants.isActive': 1,
      },
    })
    .toArray();
  return rows.map((row) => ({
    conversationId: row._id.toHexString(),
    rev: row.rev,
    count: activeParticipant(row, userId)?.unreadCount ?? 0,
  }));
}
