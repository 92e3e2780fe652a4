import { badUserInput, forbidden, notFound, type Relation, type ReplicaUser } from '@social/kit';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConversationDocument, MessageDocument, ParticipantDocument } from './data/collections.js';
import { activeParticipant, parseObjectId } from './data/conversations.js';
import type { ChatDeps } from './deps.js';
import type { Loaders } from './loaders.js';
import { decodeSnapshot, type MessageSnapshot } from './realtime/snapshot.js';

/**
 * Who may read what and message whom. Conversations and their messages are visible to their
 * active participants only, by every path (queries, entity references, subscriptions). Direct
 * messages follow the recipient's blocks and allowMessages setting, as chat's copy of profile's
 * events (kit SocialReplica) says.
 */

/** Why `recipient` may not receive messages from the viewer, or null when they may. */
export function messagingRefusal(recipient: ReplicaUser, relation: Relation): Error | null {
  if (relation.blocked) return forbidden('You cannot message this user', 'BLOCKED');
  const { allowMessages } = recipient.privacy;
  if (allowMessages === 'NONE' || (allowMessages === 'FRIENDS' && !relation.friends)) {
    return forbidden('This user does not accept messages from you', 'MESSAGES_NOT_ALLOWED');
  }
  return null;
}

/**
 * The users the viewer wants to start a conversation with, checked: they exist (waiting up to
 * EVENT_WAIT_MS for a brand-new account's registration event), are not deleted or suspended
 * (NOT_FOUND) and accept messages from the viewer (FORBIDDEN).
 */
export async function reachableUsers(
  deps: ChatDeps,
  viewerId: string,
  ids: readonly string[],
): Promise<Map<string, ReplicaUser>> {
  const { replica } = deps.store;
  const deadline = Date.now() + deps.config.EVENT_WAIT_MS;
  let users = await replica.users(ids);
  while ([...users.values()].some((user) => !user.known) && Date.now() < deadline) {
    await sleep(50);
    users = await replica.users(ids);
  }
  for (const id of ids) {
    const user = users.get(id);
    if (!user?.known || replica.isHidden(user)) throw notFound('User', id);
  }
  const relations = await replica.relations(viewerId, ids);
  for (const id of ids) {
    const refusal = messagingRefusal(users.get(id) as ReplicaUser, relations.get(id) as Relation);
    if (refusal) throw refusal;
  }
  return users;
}

/** The rule checked on every message in a direct conversation, towards the other participant. */
export async function assertDirectMessageAllowed(
  deps: ChatDeps,
  conversation: ConversationDocument,
  senderId: string,
): Promise<void> {
  if (conversation.readOnly) {
    throw forbidden('This conversation is read-only: the other account was deleted', 'READ_ONLY');
  }
  const other = conversation.participants.find((participant) => participant.userId !== senderId);
  if (!other) return;
  const { replica } = deps.store;
  const [users, relations] = await Promise.all([
    replica.users([other.userId]),
    replica.relations(senderId, [other.userId]),
  ]);
  const recipient = users.get(other.userId) as ReplicaUser;
  if (replica.isHidden(recipient)) {
    throw forbidden('This user cannot receive messages', 'RECIPIENT_UNAVAILABLE');
  }
  const refusal = messagingRefusal(recipient, relations.get(other.userId) as Relation);
  if (refusal) throw refusal;
}

/** A conversation id argument: BAD_USER_INPUT unless it is an ObjectId. */
export function conversationIdArg(value: string, field = 'conversationId') {
  const id = parseObjectId(value);
  if (!id) throw badUserInput(`${field} is not a valid conversation id`, field);
  return id;
}

export function messageIdArg(value: string, field = 'messageId') {
  const id = parseObjectId(value);
  if (!id) throw badUserInput(`${field} is not a valid message id`, field);
  return id;
}

/** The conversation if the viewer is an active participant, else null (reads and references). */
export async function visibleConversation(
  loaders: Loaders,
  viewerId: string | undefined,
  id: string,
): Promise<ConversationDocument | null> {
  if (!viewerId || !parseObjectId(id)) return null;
  const conversation = await loaders.conversation.load(id);
  return conversation && activeParticipant(conversation, viewerId) ? conversation : null;
}

/** The conversation and the viewer's participation; FORBIDDEN unless they are an active participant. */
export async function requireParticipation(
  loaders: Loaders,
  viewerId: string,
  conversationId: string,
): Promise<{ conversation: ConversationDocument; participant: ParticipantDocument }> {
  conversationIdArg(conversationId);
  const conversation = await loaders.conversation.load(conversationId);
  const participant = conversation ? activeParticipant(conversation, viewerId) : undefined;
  if (!conversation || !participant) {
    throw forbidden('You are not a participant of this conversation', 'NOT_A_PARTICIPANT');
  }
  return { conversation, participant };
}

/**
 * The message if the viewer may see it: an active participant of its conversation who has not
 * deleted it for themselves. Null otherwise.
 */
export async function visibleMessage(
  loaders: Loaders,
  viewerId: string | undefined,
  id: string,
): Promise<MessageDocument | null> {
  if (!viewerId || !parseObjectId(id)) return null;
  const message = await loaders.message.load(id);
  if (!message || message.deletedFor.includes(viewerId)) return null;
  return (await visibleConversation(loaders, viewerId, message.conversationId)) ? message : null;
}

/**
 * The message of a realtime event as the viewer may see it (visibleMessage's rules). With the
 * event's snapshot (the document as committed and, for a new message, the participants in that
 * commit) this reads nothing; without one (read back by a subscriber filling a gap) it loads.
 * `deletedFor` and every per-viewer field come from the same committed document.
 */
export async function visibleEventMessage(
  loaders: Loaders,
  viewerId: string | undefined,
  event: { readonly messageId: string; readonly snapshot?: MessageSnapshot },
): Promise<MessageDocument | null> {
  if (!viewerId || !event.snapshot) return visibleMessage(loaders, viewerId, event.messageId);
  const { message, participants } = decodeSnapshot(event.snapshot);
  if (message._id.toHexString() !== event.messageId) {
    return visibleMessage(loaders, viewerId, event.messageId);
  }
  if (message.deletedFor.includes(viewerId)) return null;
  loaders.message.prime(event.messageId, message);
  if (participants) return participants.has(viewerId) ? message : null;
  return (await visibleConversation(loaders, viewerId, message.conversationId)) ? message : null;
}

/** A message the viewer acts on: NOT_FOUND unless visible to them. */
export async function requireVisibleMessage(
  loaders: Loaders,
  viewerId: string,
  id: string,
): Promise<MessageDocument> {
  messageIdArg(id);
  const message = await visibleMessage(loaders, viewerId, id);
  if (!message) throw notFound('Message', id);
  return message;
}
