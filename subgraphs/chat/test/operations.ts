import { socialActions, type TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import type { ChatTestbed } from './helpers.js';

/** The chat operations as a client writes them, and small set-ups the chat tests share. */

export const CONVERSATION_FIELDS = `id type name description avatar { id } createdBy { id } participantsCount lastSequence
  messagesCount unreadCount isMuted isArchived createdAt updatedAt
  participants { user { id } role isActive lastReadSequence lastDeliveredSequence lastReadMessageId }
  otherParticipant { id } viewerParticipant { role lastReadSequence }
  lastMessage { id sequence content messageType isDeleted sender { id } }`;

export const MESSAGE_FIELDS = `id sequence clientMessageId messageType content isEdited editedAt isDeleted deletedAt
  sender { id } conversation { id } media { id } mentions { id } replyTo { id content isDeleted }
  location { coordinates { latitude longitude } name address } sharedContact { id }
  reactions { emoji count users { id } viewerReacted } viewerReaction status
  readBy { user { id } at } deliveredTo { user { id } at } createdAt updatedAt`;

export const START_DIRECT = `mutation ($userId: ID!) { startDirectConversation(userId: $userId) { ${CONVERSATION_FIELDS} } }`;
export const CREATE_GROUP = `mutation ($input: CreateGroupInput!) { createGroup(input: $input) { ${CONVERSATION_FIELDS} } }`;
export const UPDATE_GROUP = `mutation ($input: UpdateGroupInput!) { updateGroup(input: $input) { ${CONVERSATION_FIELDS} } }`;
export const ADD_PARTICIPANTS = `mutation ($id: ID!, $userIds: [ID!]!) {
  addParticipants(conversationId: $id, userIds: $userIds) { ${CONVERSATION_FIELDS} } }`;
export const REMOVE_PARTICIPANT = `mutation ($id: ID!, $userId: ID!) {
  removeParticipant(conversationId: $id, userId: $userId) { ${CONVERSATION_FIELDS} } }`;
export const LEAVE = `mutation ($id: ID!) { leaveConversation(conversationId: $id) }`;
export const SET_ROLE = `mutation ($input: SetParticipantRoleInput!) { setParticipantRole(input: $input) { ${CONVERSATION_FIELDS} } }`;
export const MUTE = `mutation ($id: ID!, $muted: Boolean!) { muteConversation(conversationId: $id, muted: $muted) { id isMuted } }`;
export const ARCHIVE = `mutation ($id: ID!, $archived: Boolean!) {
  archiveConversation(conversationId: $id, archived: $archived) { id isArchived } }`;
export const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`;
export const EDIT = `mutation ($id: ID!, $content: String!) { editMessage(messageId: $id, content: $content) { ${MESSAGE_FIELDS} } }`;
export const DELETE = `mutation ($id: ID!, $forEveryone: Boolean!) { deleteMessage(messageId: $id, forEveryone: $forEveryone) }`;
export const REACT = `mutation ($id: ID!, $emoji: String!) { reactToMessage(messageId: $id, emoji: $emoji) { ${MESSAGE_FIELDS} } }`;
export const UNREACT = `mutation ($id: ID!) { unreactToMessage(messageId: $id) { ${MESSAGE_FIELDS} } }`;
export const MARK_READ = `mutation ($id: ID!, $upTo: ID) { markRead(conversationId: $id, upToMessageId: $upTo) { ${CONVERSATION_FIELDS} } }`;
export const MARK_DELIVERED = `mutation ($id: ID!, $upTo: ID!) { markDelivered(conversationId: $id, upToMessageId: $upTo) }`;
export const SET_TYPING = `mutation ($id: ID!, $isTyping: Boolean!) { setTyping(conversationId: $id, isTyping: $isTyping) }`;

export const CONVERSATION = `query ($id: ID!) { conversation(id: $id) { ${CONVERSATION_FIELDS} typingUsers { id } } }`;
export const CONVERSATIONS = `query ($archived: Boolean, $type: ConversationType, $first: Int, $after: String) {
  conversations(archived: $archived, type: $type, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { cursor node { ${CONVERSATION_FIELDS} } } } }`;
export const MESSAGES = `query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  messages(conversationId: $id, first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${MESSAGE_FIELDS} } } } }`;
export const MESSAGE = `query ($id: ID!) { message(id: $id) { ${MESSAGE_FIELDS} } }`;
export const SEARCH = `query ($query: String!, $id: ID, $first: Int, $after: String) {
  searchMessages(query: $query, conversationId: $id, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { cursor node { id content conversation { id } } } } }`;
export const TOTAL_UNREAD = `query { totalUnreadCount }`;

export const CONVERSATION_EVENTS = `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
  __typename
  ... on MessageAddedEvent { conversationId message { id sequence content messageType sender { id } } }
  ... on MessageEditedEvent { message { id content isEdited } }
  ... on MessageDeletedEvent { messageId sequence forEveryone }
  ... on MessageReactionChangedEvent { message { id reactions { emoji count } } user { id } emoji }
  ... on ReadReceiptEvent { user { id } receiptType upToMessageId upToSequence }
  ... on ParticipantChangedEvent { user { id } change role actor { id } }
  ... on ConversationUpdatedEvent { conversation { id name description } actor { id } }
} }`;
export const MY_CONVERSATIONS = `subscription { myConversationsUpdated {
  conversationId reason unreadCount totalUnreadCount conversation { id lastMessage { id content } } } }`;
export const TYPING = `subscription ($id: ID!) { typing(conversationId: $id) { conversationId user { id } isTyping expiresAt } }`;
export const PRESENCE = `subscription ($ids: [ID!]!) { presenceChanged(userIds: $ids) { user { id } isOnline lastSeenAt } }`;

export interface Conversation {
  id: string;
  type: string;
  name: string | null;
  avatar: { id: string } | null;
  participantsCount: number;
  lastSequence: number;
  messagesCount: number;
  unreadCount: number;
  isMuted: boolean;
  isArchived: boolean;
  updatedAt: string;
  participants: Array<{ user: { id: string }; role: string; isActive: boolean; lastReadSequence: number }>;
  viewerParticipant: { role: string; lastReadSequence: number };
  otherParticipant: { id: string } | null;
  lastMessage: {
    id: string;
    sequence: number;
    content: string | null;
    messageType: string;
    isDeleted: boolean;
  } | null;
  typingUsers?: Array<{ id: string }>;
}

export interface Message {
  id: string;
  sequence: number;
  clientMessageId: string | null;
  messageType: string;
  content: string | null;
  isEdited: boolean;
  isDeleted: boolean;
  sender: { id: string };
  mentions: Array<{ id: string }>;
  media: Array<{ id: string }>;
  replyTo: { id: string; content: string | null; isDeleted: boolean } | null;
  location: {
    coordinates: { latitude: number; longitude: number };
    name: string | null;
    address: string | null;
  } | null;
  sharedContact: { id: string } | null;
  reactions: Array<{ emoji: string; count: number; users: Array<{ id: string }>; viewerReacted: boolean }>;
  viewerReaction: string | null;
  status: string;
  readBy: Array<{ user: { id: string }; at: string }>;
  deliveredTo: Array<{ user: { id: string }; at: string }>;
}

/** Operations bound to a testbed. */
export function chatClient(bed: ChatTestbed) {
  const direct = async (a: TestAccount, b: TestAccount) =>
    (await bed.run<{ startDirectConversation: Conversation }>(START_DIRECT, { userId: b.id }, a))
      .startDirectConversation;
  const group = async (admin: TestAccount, members: TestAccount[], name = 'Team') =>
    (
      await bed.run<{ createGroup: Conversation }>(
        CREATE_GROUP,
        { input: { name, participantIds: members.map((member) => member.id) } },
        admin,
      )
    ).createGroup;
  const send = async (
    from: TestAccount,
    conversationId: string,
    content: string,
    extra: Record<string, unknown> = {},
  ) =>
    (
      await bed.run<{ sendMessage: Message }>(
        SEND,
        { input: { conversationId, clientMessageId: randomUUID(), content, ...extra } },
        from,
      )
    ).sendMessage;
  const conversation = async (viewer: TestAccount, id: string) =>
    (await bed.run<{ conversation: Conversation | null }>(CONVERSATION, { id }, viewer)).conversation;
  const messages = async (viewer: TestAccount, id: string, args: Record<string, unknown> = {}) =>
    (
      await bed.run<{
        messages: {
          pageInfo: {
            hasNextPage: boolean;
            hasPreviousPage: boolean;
            startCursor: string | null;
            endCursor: string | null;
          };
          edges: Array<{ cursor: string; node: Message }>;
        };
      }>(MESSAGES, { id, ...args }, viewer)
    ).messages;
  const totalUnread = async (viewer: TestAccount) =>
    (await bed.run<{ totalUnreadCount: number }>(TOTAL_UNREAD, {}, viewer)).totalUnreadCount;
  return { direct, group, send, conversation, messages, totalUnread };
}

/** A profile privacy change, through the gateway (profile's mutation), applied in chat's replica. */
export async function setPrivacy(bed: ChatTestbed, account: TestAccount, input: Record<string, unknown>) {
  await bed.run(
    'mutation ($input: UpdatePrivacySettingsInput!) { updatePrivacySettings(input: $input) { allowMessages } }',
    { input },
    account,
  );
}

/** `blocker` blocks `blocked` through profile's API; resolves once chat's replica has it. */
export function block(bed: ChatTestbed, blocker: TestAccount, blocked: TestAccount): Promise<void> {
  return socialActions(bed.supergraph, [bed.db]).block(blocker, blocked);
}

/** A friend request from `a` accepted by `b`; resolves once chat's replica has the friendship. */
export function befriend(bed: ChatTestbed, a: TestAccount, b: TestAccount): Promise<void> {
  return socialActions(bed.supergraph, [bed.db]).befriend(a, b);
}
