import { badUserInput, forbidden, isDuplicateKeyError, parseInput, type Viewer } from '@social/kit';
import { ObjectId } from 'mongodb';
import { reachableUsers, requireParticipation } from '../access.js';
import type { ConversationDocument } from '../data/collections.js';
import { directKeyOf, findDirect, identityOf, newParticipant, unreadEntries } from '../data/conversations.js';
import type { ChatDeps } from '../deps.js';
import type { Loaders } from '../loaders.js';
import { userId as userIdSchema } from '../validation.js';
import { viewerIdentity } from './send.js';

/** Direct conversations, per-viewer settings, typing and the unread total. */

/**
 * The one direct conversation of the viewer and `otherId`, created on first use. Checked every
 * time (blocks either way, the other user's allowMessages), even when it exists already.
 */
export async function startDirectConversation(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  rawUserId: unknown,
): Promise<ConversationDocument> {
  const otherId = parseInput(userIdSchema, rawUserId, 'userId');
  if (otherId === viewer.id) throw badUserInput('You cannot start a conversation with yourself', 'userId');
  const users = await reachableUsers(deps, viewer.id, [otherId]);
  const { store } = deps;
  const existing = await findDirect(store, viewer.id, otherId);
  if (existing) return existing;
  const me = await viewerIdentity(deps, viewer);
  const other = identityOf(users.get(otherId) as NonNullable<ReturnType<typeof users.get>>);
  let created: ConversationDocument;
  try {
    created = await store.transaction(async (session) => {
      const now = new Date();
      const conversation: ConversationDocument = {
        _id: new ObjectId(),
        type: 'OneOnOne',
        name: null,
        description: null,
        avatarUrl: null,
        avatarMediaId: null,
        createdBy: { userId: me.userId, username: me.username, displayName: me.displayName },
        participants: [newParticipant(me, 'Member', now, 0), newParticipant(other, 'Member', now, 0)],
        directKey: directKeyOf(viewer.id, otherId),
        lastMessage: null,
        lastSequence: 0,
        participantsCount: 2,
        messagesCount: 0,
        readOnly: false,
        rev: 1,
        createdAt: now,
        updatedAt: now,
      };
      await store.conversations.insertOne(conversation, { session });
      await store.outbox.enqueue(session, 'ConversationCreated', {
        conversationId: conversation._id.toHexString(),
        conversationType: 'ONE_ON_ONE',
        name: null,
        createdBy: viewer.id,
        participantIds: [viewer.id, otherId],
        createdAt: now.toISOString(),
      });
      return conversation;
    });
  } catch (error) {
    // Both users started it at once: the other request created it first.
    if (isDuplicateKeyError(error)) {
      const raced = await findDirect(store, viewer.id, otherId);
      if (raced) return raced;
    }
    throw error;
  }
  const id = created._id.toHexString();
  loaders.conversation.prime(id, created);
  await deps.notifier.users([viewer.id, otherId], {
    conversationId: id,
    reason: 'JOINED',
    occurredAt: created.createdAt.toISOString(),
  });
  return created;
}

/** Sets one of the viewer's own flags on a conversation (mute, archive): theirs alone. */
export async function setViewerFlag(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  flag: 'isMuted' | 'isArchived',
  value: boolean,
): Promise<ConversationDocument> {
  const { participant } = await requireParticipation(loaders, viewer.id, conversationId);
  if (participant[flag] === value)
    return (await loaders.conversation.load(conversationId)) as ConversationDocument;
  const updated = await deps.store.conversations.findOneAndUpdate(
    {
      _id: new ObjectId(conversationId),
      participants: { $elemMatch: { userId: viewer.id, isActive: true } },
    },
    { $set: { [`participants.$[me].${flag}`]: value }, $inc: { rev: 1 } },
    { returnDocument: 'after', arrayFilters: [{ 'me.userId': viewer.id }] },
  );
  if (!updated) throw forbidden('You are not a participant of this conversation', 'NOT_A_PARTICIPANT');
  loaders.conversation.clear(conversationId).prime(conversationId, updated);
  await deps.notifier.users([viewer.id], {
    conversationId,
    reason: 'SETTINGS_CHANGED',
    occurredAt: new Date().toISOString(),
  });
  return updated;
}

/** Renews (or stops) the viewer's typing indicator and tells the conversation's subscribers. */
export async function setTyping(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  isTyping: boolean,
): Promise<boolean> {
  await requireParticipation(loaders, viewer.id, conversationId);
  const expiresAt = await deps.typing.set(conversationId, viewer.id, isTyping);
  await deps.notifier.typing({
    conversationId,
    userId: viewer.id,
    isTyping,
    expiresAt: expiresAt?.toISOString() ?? null,
  });
  return true;
}

/** The viewer's unread messages across their conversations: the cache, else MongoDB (and fill it). */
export async function totalUnreadCount(deps: ChatDeps, userId: string): Promise<number> {
  const cached = await deps.unread.total(userId).catch((err: unknown) => {
    deps.logger.warn({ err }, 'unread cache read failed; counting from the database');
    return null;
  });
  if (cached !== null) return cached;
  const entries = await unreadEntries(deps.store, userId);
  await deps.unread
    .fill(userId, entries)
    .catch((err: unknown) => deps.logger.warn({ err }, 'unread cache fill failed'));
  return entries.reduce((sum, entry) => sum + entry.count, 0);
}
