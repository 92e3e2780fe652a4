import {
  badUserInput,
  forbidden,
  isDuplicateKeyError,
  notFound,
  parseInput,
  type ReplicaUser,
  type Viewer,
  usableBy,
  waitForMediaRefs,
} from '@social/kit';
import { ObjectId } from 'mongodb';
import { assertDirectMessageAllowed, requireParticipation, visibleMessage } from '../access.js';
import type {
  ConversationDocument,
  MessageDocument,
  MessageMediaDocument,
  StoredMessageType,
} from '../data/collections.js';
import { activeParticipant, identityOf, type Identity } from '../data/conversations.js';
import { findClientMessage } from '../data/messages.js';
import type { ChatDeps } from '../deps.js';
import type { Loaders } from '../loaders.js';
import { sendMessageInput, type SendMessageInput } from '../validation.js';
import { announceMessage, appendMessage, preview } from './append.js';

/**
 * sendMessage: validated input, idempotency by clientMessageId, the sender's rate limit, the
 * conversation's rules (active participant; in a direct conversation the recipient's blocks and
 * allowMessages), then one transaction for the message, its sequence and its MessageSent event.
 */

/** The viewer's stored identity (the replica's, or the token's username before any profile event). */
export async function viewerIdentity(deps: ChatDeps, viewer: Viewer): Promise<Identity> {
  const users = await deps.store.replica.users([viewer.id]);
  return identityOf(users.get(viewer.id) as ReplicaUser, viewer.username);
}

const MENTION = /(?<![\w@])@([A-Za-z0-9_]{3,50})(?![A-Za-z0-9_])/g;

/** The active participants (other than the author) @mentioned in `content`, once each. */
export async function extractMentions(
  deps: ChatDeps,
  conversation: ConversationDocument,
  content: string | null,
  authorId: string,
): Promise<MessageDocument['mentions']> {
  if (!content) return [];
  const usernames = [
    ...new Set([...content.matchAll(MENTION)].map((match) => (match[1] ?? '').toLowerCase())),
  ];
  if (usernames.length === 0) return [];
  const users = await deps.store.replica.usersByUsername(usernames);
  const mentions: MessageDocument['mentions'] = [];
  for (const username of usernames) {
    const user = users.get(username);
    if (!user || user.userId === authorId || !activeParticipant(conversation, user.userId)) continue;
    const participant = activeParticipant(conversation, user.userId);
    mentions.push({
      userId: user.userId,
      username: user.username ?? participant?.username ?? username,
      displayName: user.displayName ?? participant?.displayName ?? username,
    });
  }
  return mentions;
}

/** File kinds each message type accepts (media's fileType names). */
const ACCEPTED_FILES: Partial<Record<StoredMessageType, ReadonlySet<string> | 'any'>> = {
  Media: new Set(['IMAGE', 'VIDEO']),
  Voice: new Set(['AUDIO']),
  File: 'any',
};

async function attachments(
  deps: ChatDeps,
  viewerId: string,
  messageType: StoredMessageType,
  mediaIds: readonly string[],
): Promise<MessageMediaDocument[]> {
  const refs = await waitForMediaRefs(deps.store.mediaRefs, mediaIds, deps.config.EVENT_WAIT_MS);
  const accepted = ACCEPTED_FILES[messageType];
  return mediaIds.map((mediaId, index) => {
    const ref = refs.get(mediaId);
    if (!ref || !usableBy(ref, viewerId)) throw notFound('MediaFile', mediaId);
    if (accepted !== 'any' && !accepted?.has(ref.fileType)) {
      throw badUserInput(
        `input.mediaIds.${index} is a ${ref.fileType.toLowerCase() || 'file'} file, not allowed in a ${messageType.toUpperCase()} message`,
        `input.mediaIds.${index}`,
      );
    }
    return {
      mediaId,
      type: ref.fileType,
      url: ref.webUrl ?? ref.url,
      thumbnailUrl: ref.thumbnailUrl,
      mimeType: ref.mimeType || null,
    };
  });
}

async function replyTarget(
  loaders: Loaders,
  viewerId: string,
  conversationId: string,
  replyToMessageId: string,
): Promise<MessageDocument['replyTo']> {
  const target = await visibleMessage(loaders, viewerId, replyToMessageId);
  if (!target || target.conversationId !== conversationId) {
    throw badUserInput(
      'input.replyToMessageId must be a message of the same conversation',
      'input.replyToMessageId',
    );
  }
  if (target.isDeleted) {
    throw badUserInput('input.replyToMessageId is a deleted message', 'input.replyToMessageId');
  }
  return {
    messageId: replyToMessageId,
    sequence: target.sequence,
    content: preview(target.content),
    senderId: target.senderId,
    senderUsername: target.senderUsername,
  };
}

async function sharedContact(deps: ChatDeps, contactUserId: string): Promise<string> {
  const user = (await deps.store.replica.users([contactUserId])).get(contactUserId);
  if (!user?.known || deps.store.replica.isHidden(user)) throw notFound('User', contactUserId);
  return contactUserId;
}

export async function sendMessage(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  rawInput: unknown,
): Promise<MessageDocument> {
  const input: SendMessageInput = parseInput(sendMessageInput, rawInput, 'input');
  const { store } = deps;
  // Only an active participant gets anything back, a retried message included (one who left or
  // was removed must not read its reactions and receipts through a retry).
  const { conversation, participant } = await requireParticipation(loaders, viewer.id, input.conversationId);
  // A retried send (same key) gets the stored message back, without counting against the limit.
  const retried = await findClientMessage(store, input.conversationId, viewer.id, input.clientMessageId);
  if (retried) return retried;
  await deps.sendLimiter.consume(viewer.id);

  if (conversation.type === 'OneOnOne') await assertDirectMessageAllowed(deps, conversation, viewer.id);
  const content = input.content?.trim() ? input.content : null;
  // The sender's identity as the conversation keeps it (refreshed from profile's events).
  const sender: Identity = {
    userId: viewer.id,
    username: participant.username,
    displayName: participant.displayName,
    avatarUrl: participant.avatarUrl,
  };
  const [replyTo, mediaUrls, mentions, contactUserId, viewing] = await Promise.all([
    input.replyToMessageId
      ? replyTarget(loaders, viewer.id, input.conversationId, input.replyToMessageId)
      : null,
    input.mediaIds ? attachments(deps, viewer.id, input.messageType, input.mediaIds) : [],
    extractMentions(deps, conversation, content, viewer.id),
    input.contactUserId ? sharedContact(deps, input.contactUserId) : null,
    deps.viewing.viewers(input.conversationId),
  ]);
  const location = input.location
    ? {
        latitude: input.location.coordinates.latitude,
        longitude: input.location.coordinates.longitude,
        name: input.location.name ?? null,
        address: input.location.address ?? null,
      }
    : null;

  const conversationId = new ObjectId(input.conversationId);
  let appended;
  try {
    appended = await store.conversationTransaction(input.conversationId, (session) =>
      appendMessage(
        store,
        session,
        conversationId,
        {
          sender,
          clientMessageId: input.clientMessageId,
          messageType: input.messageType,
          content,
          mediaUrls,
          replyTo,
          mentions,
          location,
          contactUserId,
          system: null,
        },
        { now: new Date(), viewing, requireActiveSender: true },
      ),
    );
  } catch (error) {
    // The same key sent concurrently: the other request stored it first.
    if (isDuplicateKeyError(error)) {
      const stored = await findClientMessage(store, input.conversationId, viewer.id, input.clientMessageId);
      if (stored) return stored;
    }
    throw error;
  }
  if (!appended) throw forbidden('You are not a participant of this conversation', 'NOT_A_PARTICIPANT');
  loaders.conversation.clear(input.conversationId).prime(input.conversationId, appended.conversation);
  await announceMessage(deps, appended);
  return appended.message;
}
