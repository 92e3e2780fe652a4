import { badUserInput, forbidden, notFound, parseInput, type Viewer } from '@social/kit';
import { ObjectId } from 'mongodb';
import { requireVisibleMessage } from '../access.js';
import type { ConversationDocument, MessageDocument } from '../data/collections.js';
import { activeParticipant, activeParticipants } from '../data/conversations.js';
import type { ChatDeps } from '../deps.js';
import type { Loaders } from '../loaders.js';
import { messageSnapshot } from '../realtime/snapshot.js';
import { contentText, emoji as emojiSchema } from '../validation.js';
import { preview, syncUnread } from './append.js';
import { extractMentions, viewerIdentity } from './send.js';

/**
 * What happens to a message after it was sent: edits (sender, within the edit window), deletion
 * for everyone (sender; a soft delete) or for the viewer alone, and reactions (one per user).
 * Every change that moves an unread count writes the conversation in the same transaction, so it
 * serialises with the sends and reads that move the same counts.
 */

async function conversationOf(loaders: Loaders, message: MessageDocument): Promise<ConversationDocument> {
  const conversation = await loaders.conversation.load(message.conversationId);
  if (!conversation) throw notFound('Message', message._id.toHexString());
  return conversation;
}

function participantIds(conversation: ConversationDocument): string[] {
  return activeParticipants(conversation).map((participant) => participant.userId);
}

export async function editMessage(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  messageId: string,
  rawContent: unknown,
): Promise<MessageDocument> {
  const content = parseInput(contentText, rawContent, 'content');
  const message = await requireVisibleMessage(loaders, viewer.id, messageId);
  if (message.senderId !== viewer.id) throw forbidden('Only the sender can edit a message', 'NOT_SENDER');
  if (message.messageType === 'System') throw badUserInput('System messages cannot be edited', 'messageId');
  if (message.isDeleted) throw badUserInput('A deleted message cannot be edited', 'messageId');
  const windowMs = deps.config.CHAT_EDIT_WINDOW_SECONDS * 1000;
  if (Date.now() - message.createdAt.getTime() > windowMs) {
    throw forbidden('Messages can only be edited shortly after sending', 'EDIT_WINDOW_EXPIRED');
  }
  const conversation = await conversationOf(loaders, message);
  const mentions = await extractMentions(deps, conversation, content, viewer.id);
  const { store } = deps;
  const result = await store.conversationTransaction(message.conversationId, async (session) => {
    const now = new Date();
    const edited = await store.messages.findOneAndUpdate(
      { _id: message._id, isDeleted: false },
      { $set: { content, mentions, isEdited: true, editedAt: now, updatedAt: now } },
      { session, returnDocument: 'after' },
    );
    if (!edited) return null;
    // The conversation's preview follows an edit of its newest message.
    const wasLast = await store.conversations.findOneAndUpdate(
      { _id: conversation._id, 'lastMessage.messageId': messageId },
      { $set: { 'lastMessage.content': preview(content) }, $inc: { rev: 1 } },
      { session, returnDocument: 'after' },
    );
    return { edited, wasLast };
  });
  if (!result) throw badUserInput('A deleted message cannot be edited', 'messageId');
  loaders.message.clear(messageId).prime(messageId, result.edited);
  const occurredAt = (result.edited.editedAt ?? new Date()).toISOString();
  await Promise.all([
    deps.notifier.conversation({
      kind: 'MessageEdited',
      conversationId: message.conversationId,
      messageId,
      sequence: message.sequence,
      occurredAt,
      snapshot: messageSnapshot(result.edited),
    }),
    result.wasLast
      ? deps.notifier.users(participantIds(result.wasLast), {
          conversationId: message.conversationId,
          reason: 'MESSAGE_CHANGED',
          occurredAt,
        })
      : undefined,
  ]);
  return result.edited;
}

export async function deleteMessage(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  messageId: string,
  forEveryone: boolean,
): Promise<boolean> {
  const message = await requireVisibleMessage(loaders, viewer.id, messageId);
  return forEveryone
    ? deleteForEveryone(deps, loaders, viewer, message)
    : deleteForViewer(deps, loaders, viewer, message);
}

async function deleteForEveryone(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  message: MessageDocument,
): Promise<boolean> {
  if (message.senderId !== viewer.id) {
    throw forbidden('Only the sender can delete a message for everyone', 'NOT_SENDER');
  }
  if (message.messageType === 'System') throw badUserInput('System messages cannot be deleted', 'messageId');
  if (message.isDeleted) return true;
  const { store } = deps;
  const messageId = message._id.toHexString();
  const conversation = await store.conversationTransaction(message.conversationId, async (session) => {
    const now = new Date();
    const current = await store.messages.findOneAndUpdate(
      { _id: message._id, isDeleted: false },
      {
        $set: {
          isDeleted: true,
          deletedAt: now,
          updatedAt: now,
          content: null,
          mediaUrls: [],
          mentions: [],
          location: null,
          contactUserId: null,
          reactions: [],
        },
      },
      { session, returnDocument: 'before' },
    );
    if (!current) return null;
    // No longer unread for whoever had not read it (and had not deleted it already).
    const set: Record<string, unknown> = {};
    const conversationFilter: Record<string, unknown> = { _id: new ObjectId(message.conversationId) };
    const last = await store.conversations.findOne(conversationFilter, {
      session,
      projection: { lastMessage: 1 },
    });
    if (last?.lastMessage?.messageId === messageId) {
      set['lastMessage.content'] = null;
      set['lastMessage.isDeleted'] = true;
    }
    return store.conversations.findOneAndUpdate(
      conversationFilter,
      {
        $inc: { rev: 1, 'participants.$[unread].unreadCount': -1 },
        ...(Object.keys(set).length > 0 ? { $set: set } : {}),
      },
      {
        session,
        returnDocument: 'after',
        arrayFilters: [
          {
            'unread.userId': { $nin: [current.senderId, ...current.deletedFor] },
            'unread.isActive': true,
            'unread.lastReadSequence': { $lt: current.sequence },
          },
        ],
      },
    );
  });
  loaders.message.clear(messageId);
  if (!conversation) return true;
  loaders.conversation.clear(message.conversationId).prime(message.conversationId, conversation);
  const occurredAt = new Date().toISOString();
  await Promise.all([
    syncUnread(deps, conversation),
    deps.notifier.conversation({
      kind: 'MessageDeleted',
      conversationId: message.conversationId,
      messageId,
      sequence: message.sequence,
      forEveryone: true,
      onlyUserId: null,
      occurredAt,
    }),
    deps.notifier.users(participantIds(conversation), {
      conversationId: message.conversationId,
      reason: 'MESSAGE_CHANGED',
      occurredAt,
    }),
  ]);
  return true;
}

async function deleteForViewer(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  message: MessageDocument,
): Promise<boolean> {
  const { store } = deps;
  const messageId = message._id.toHexString();
  const conversation = await store.conversationTransaction(message.conversationId, async (session) => {
    const current = await store.messages.findOneAndUpdate(
      { _id: message._id, deletedFor: { $ne: viewer.id } },
      { $addToSet: { deletedFor: viewer.id }, $set: { updatedAt: new Date() } },
      { session, returnDocument: 'before' },
    );
    if (!current) return null;
    const conversationId = new ObjectId(message.conversationId);
    const stored = await store.conversations.findOne({ _id: conversationId }, { session });
    const participant = stored ? activeParticipant(stored, viewer.id) : undefined;
    const wasUnread =
      participant !== undefined &&
      !current.isDeleted &&
      current.senderId !== viewer.id &&
      current.sequence > participant.lastReadSequence;
    if (!wasUnread) return stored;
    return store.conversations.findOneAndUpdate(
      { _id: conversationId },
      { $inc: { rev: 1, 'participants.$[viewer].unreadCount': -1 } },
      { session, returnDocument: 'after', arrayFilters: [{ 'viewer.userId': viewer.id }] },
    );
  });
  loaders.message.clear(messageId);
  if (!conversation) return true;
  loaders.conversation.clear(message.conversationId).prime(message.conversationId, conversation);
  const occurredAt = new Date().toISOString();
  await Promise.all([
    syncUnread(deps, conversation),
    deps.notifier.conversation({
      kind: 'MessageDeleted',
      conversationId: message.conversationId,
      messageId,
      sequence: message.sequence,
      forEveryone: false,
      onlyUserId: viewer.id,
      occurredAt,
    }),
    deps.notifier.users([viewer.id], {
      conversationId: message.conversationId,
      reason: 'MESSAGE_CHANGED',
      occurredAt,
    }),
  ]);
  return true;
}

/** Sets the viewer's reaction (one per user and message: a new emoji replaces the old one). */
export async function react(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  messageId: string,
  rawEmoji: unknown,
): Promise<MessageDocument> {
  const emoji = parseInput(emojiSchema, rawEmoji, 'emoji');
  const message = await requireVisibleMessage(loaders, viewer.id, messageId);
  if (message.isDeleted) throw badUserInput('A deleted message cannot be reacted to', 'messageId');
  const { username } = await viewerIdentity(deps, viewer);
  const { messages } = deps.store;
  for (;;) {
    const now = new Date();
    // Replace the viewer's reaction if there is one, else add it; the filters make each step
    // atomic, and a concurrent first reaction of the same viewer sends this one round again.
    const replaced = await messages.findOneAndUpdate(
      { _id: message._id, isDeleted: false, 'reactions.userId': viewer.id },
      { $set: { 'reactions.$.emoji': emoji, 'reactions.$.addedAt': now, updatedAt: now } },
      { returnDocument: 'after' },
    );
    const updated =
      replaced ??
      (await messages.findOneAndUpdate(
        { _id: message._id, isDeleted: false, 'reactions.userId': { $ne: viewer.id } },
        {
          $push: { reactions: { emoji, userId: viewer.id, username, addedAt: now } },
          $set: { updatedAt: now },
        },
        { returnDocument: 'after' },
      ));
    if (updated) return announceReaction(deps, loaders, viewer, updated, emoji);
    const current = await messages.findOne({ _id: message._id }, { projection: { isDeleted: 1 } });
    if (!current || current.isDeleted)
      throw badUserInput('A deleted message cannot be reacted to', 'messageId');
  }
}

/** Removes the viewer's reaction (no-op without one). */
export async function unreact(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  messageId: string,
): Promise<MessageDocument> {
  const message = await requireVisibleMessage(loaders, viewer.id, messageId);
  const updated = await deps.store.messages.findOneAndUpdate(
    { _id: message._id, 'reactions.userId': viewer.id },
    { $pull: { reactions: { userId: viewer.id } }, $set: { updatedAt: new Date() } },
    { returnDocument: 'after' },
  );
  if (!updated) return message;
  return announceReaction(deps, loaders, viewer, updated, null);
}

async function announceReaction(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  message: MessageDocument,
  emoji: string | null,
): Promise<MessageDocument> {
  const messageId = message._id.toHexString();
  loaders.message.clear(messageId).prime(messageId, message);
  await deps.notifier.conversation({
    kind: 'ReactionChanged',
    conversationId: message.conversationId,
    messageId,
    userId: viewer.id,
    emoji,
    occurredAt: message.updatedAt.toISOString(),
    snapshot: messageSnapshot(message),
  });
  return message;
}
