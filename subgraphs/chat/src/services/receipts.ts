import { badUserInput, forbidden, type Viewer } from '@social/kit';
import { ObjectId } from 'mongodb';
import { messageIdArg, requireParticipation, visibleMessage } from '../access.js';
import type { ConversationDocument } from '../data/collections.js';
import { activeParticipant } from '../data/conversations.js';
import { countUnread } from '../data/messages.js';
import type { ChatDeps } from '../deps.js';
import type { Loaders } from '../loaders.js';
import { syncUnread } from './append.js';
import { viewerIdentity } from './send.js';

/**
 * Read and delivery receipts. A participant's read and delivered positions are sequences that only
 * move forward; each message up to them records the participant in its readBy / deliveredTo
 * (seed 002), and reading recomputes the participant's unread count from the messages left after
 * the new position, in the same transaction (a concurrent send conflicts on the conversation and
 * is retried, so the count stays exact). Reading implies delivery.
 */

interface Target {
  readonly messageId: string;
  readonly sequence: number;
}

async function targetMessage(
  loaders: Loaders,
  viewerId: string,
  conversation: ConversationDocument,
  upToMessageId: string | null | undefined,
): Promise<Target | null> {
  if (upToMessageId === null || upToMessageId === undefined) {
    const last = conversation.lastMessage;
    return last ? { messageId: last.messageId, sequence: conversation.lastSequence } : null;
  }
  messageIdArg(upToMessageId, 'upToMessageId');
  const message = await visibleMessage(loaders, viewerId, upToMessageId);
  if (!message || message.conversationId !== conversation._id.toHexString()) {
    throw badUserInput('upToMessageId must be a message of this conversation', 'upToMessageId');
  }
  return { messageId: upToMessageId, sequence: message.sequence };
}

export async function markRead(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  upToMessageId: string | null | undefined,
): Promise<ConversationDocument> {
  const { conversation, participant } = await requireParticipation(loaders, viewer.id, conversationId);
  const target = await targetMessage(loaders, viewer.id, conversation, upToMessageId);
  if (!target || target.sequence <= participant.lastReadSequence) return conversation;
  const { store } = deps;
  const { username } = await viewerIdentity(deps, viewer);
  const id = new ObjectId(conversationId);
  const result = await store.conversationTransaction(conversationId, async (session) => {
    const now = new Date();
    const current = await store.conversations.findOne({ _id: id }, { session });
    const me = current ? activeParticipant(current, viewer.id) : undefined;
    if (!current || !me) return { conversation: null, delivered: false };
    if (target.sequence <= me.lastReadSequence) return { conversation: current, delivered: false };
    const unread =
      target.sequence >= current.lastSequence
        ? 0
        : await countUnread(store, session, conversationId, viewer.id, target.sequence);
    const fromOthers = { conversationId, senderId: { $ne: viewer.id } };
    await store.messages.updateMany(
      {
        ...fromOthers,
        sequence: { $gt: me.lastReadSequence, $lte: target.sequence },
        'readBy.userId': { $ne: viewer.id },
      },
      { $push: { readBy: { userId: viewer.id, username, at: now } } },
      { session },
    );
    const delivered = target.sequence > me.lastDeliveredSequence;
    if (delivered) {
      await store.messages.updateMany(
        {
          ...fromOthers,
          sequence: { $gt: me.lastDeliveredSequence, $lte: target.sequence },
          'deliveredTo.userId': { $ne: viewer.id },
        },
        { $push: { deliveredTo: { userId: viewer.id, username, at: now } } },
        { session },
      );
    }
    // The entry is replaced whole: the embedded server refuses several `$[me].field` paths in one
    // update (MongoDB accepts them), and the transaction read it, so nothing is lost.
    const entry = {
      ...me,
      lastReadSequence: target.sequence,
      lastReadMessageId: target.messageId,
      lastReadAt: now,
      unreadCount: unread,
      ...(delivered ? { lastDeliveredSequence: target.sequence, lastDeliveredAt: now } : {}),
    };
    const updated = await store.conversations.findOneAndUpdate(
      { _id: id },
      { $set: { 'participants.$[me]': entry }, $inc: { rev: 1 } },
      { session, returnDocument: 'after', arrayFilters: [{ 'me.userId': viewer.id }] },
    );
    return { conversation: updated, delivered };
  });
  if (!result.conversation) {
    throw forbidden('You are not a participant of this conversation', 'NOT_A_PARTICIPANT');
  }
  const updated = result.conversation;
  loaders.conversation.clear(conversationId).prime(conversationId, updated);
  const occurredAt = new Date().toISOString();
  const receipt = {
    conversationId,
    userId: viewer.id,
    upToMessageId: target.messageId,
    upToSequence: target.sequence,
    occurredAt,
  } as const;
  await Promise.all([
    syncUnread(deps, updated),
    result.delivered
      ? deps.notifier.conversation({ kind: 'ReadReceipt', receiptType: 'DELIVERED', ...receipt })
      : undefined,
    deps.notifier.conversation({ kind: 'ReadReceipt', receiptType: 'READ', ...receipt }),
    deps.notifier.users([viewer.id], { conversationId, reason: 'READ', occurredAt }),
  ]);
  return updated;
}

export async function markDelivered(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  upToMessageId: string,
): Promise<boolean> {
  const { conversation, participant } = await requireParticipation(loaders, viewer.id, conversationId);
  const target = await targetMessage(loaders, viewer.id, conversation, upToMessageId);
  if (!target || target.sequence <= participant.lastDeliveredSequence) return true;
  const { store } = deps;
  const { username } = await viewerIdentity(deps, viewer);
  const id = new ObjectId(conversationId);
  const moved = await store.conversationTransaction(conversationId, async (session) => {
    const now = new Date();
    const current = await store.conversations.findOne({ _id: id }, { session });
    const me = current ? activeParticipant(current, viewer.id) : undefined;
    if (!me || target.sequence <= me.lastDeliveredSequence) return false;
    await store.messages.updateMany(
      {
        conversationId,
        senderId: { $ne: viewer.id },
        sequence: { $gt: me.lastDeliveredSequence, $lte: target.sequence },
        'deliveredTo.userId': { $ne: viewer.id },
      },
      { $push: { deliveredTo: { userId: viewer.id, username, at: now } } },
      { session },
    );
    await store.conversations.updateOne(
      { _id: id },
      {
        $set: {
          'participants.$[me]': { ...me, lastDeliveredSequence: target.sequence, lastDeliveredAt: now },
        },
        $inc: { rev: 1 },
      },
      { session, arrayFilters: [{ 'me.userId': viewer.id }] },
    );
    return true;
  });
  if (moved) {
    await deps.notifier.conversation({
      kind: 'ReadReceipt',
      receiptType: 'DELIVERED',
      conversationId,
      userId: viewer.id,
      upToMessageId: target.messageId,
      upToSequence: target.sequence,
      occurredAt: new Date().toISOString(),
    });
  }
  return true;
}
