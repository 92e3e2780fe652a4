import {
  mediaRefsCollection,
  outboxCollection,
  processedEventsCollection,
  socialReplicaCollections,
  type CollectionSpec,
} from '@social/kit';
import type { ObjectId } from 'mongodb';
import { LIMITS } from '../config.js';

/**
 * The chat database (`social_chat`): the seed's `conversations` and `messages`, plus what the
 * service keeps from other services' events (the kit's social replica, media_refs) and its outbox.
 *
 * Additions to the seed, and why:
 * - `conversations.lastSequence` and `messages.sequence`: a gap-free per-conversation sequence,
 *   assigned by `$inc` on the conversation in the transaction that inserts the message, so
 *   concurrent senders serialise on the conversation and a failed send leaves no gap. Unique
 *   `{ conversationId, sequence }` makes a duplicate impossible.
 * - `messages.clientMessageId`: the sender's idempotency key, unique per sender and conversation.
 * - Per-participant `unreadCount` (with `lastReadSequence` / `lastDeliveredSequence`), changed
 *   with `$inc` in the transaction of each message, read, and deletion (DESIGN 10), and
 *   per-participant `isArchived` (archiving is per viewer; the seed's conversation-level flag is
 *   not kept). `rev` counts the conversation's changes, so cached copies can tell stale from new.
 * - `directKey` ("idA:idB", ids sorted) with a partial unique index: one OneOnOne conversation per
 *   pair. The seed's `{ type, participants.userId }` unique index cannot express that (as a
 *   multikey unique index it would allow each user a single direct conversation in all).
 */

export type StoredConversationType = 'OneOnOne' | 'Group';
export type StoredRole = 'Admin' | 'Member';
export type StoredMessageType = 'Text' | 'Media' | 'File' | 'Voice' | 'Location' | 'Contact' | 'System';

export interface ParticipantDocument {
  userId: string;
  /** Denormalized from the replica when joining, refreshed on profile updates (seed 002). */
  username: string;
  displayName: string;
  avatarUrl: string | null;
  role: StoredRole;
  joinedAt: Date;
  lastReadMessageId: string | null;
  lastReadSequence: number;
  lastReadAt: Date | null;
  lastDeliveredSequence: number;
  lastDeliveredAt: Date | null;
  /** Messages from others after lastReadSequence the user has not deleted (exact, `$inc`). */
  unreadCount: number;
  isMuted: boolean;
  isArchived: boolean;
  isActive: boolean;
  leftAt: Date | null;
}

/** The seed's denormalized last message (preview of the newest message, whoever it is visible to). */
export interface LastMessageDocument {
  messageId: string;
  content: string | null;
  senderId: string;
  senderUsername: string;
  messageType: StoredMessageType;
  isDeleted: boolean;
  sentAt: Date;
}

export interface ConversationDocument {
  _id: ObjectId;
  type: StoredConversationType;
  name: string | null;
  description: string | null;
  avatarUrl: string | null;
  avatarMediaId: string | null;
  createdBy: { userId: string; username: string; displayName: string };
  participants: ParticipantDocument[];
  /** OneOnOne only: the pair's ids, sorted, joined with ':' (unique). Absent for groups. */
  directKey?: string;
  lastMessage: LastMessageDocument | null;
  lastSequence: number;
  participantsCount: number;
  messagesCount: number;
  /** A direct conversation with a deleted account: readable, no longer writable. */
  readOnly: boolean;
  rev: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReceiptDocument {
  userId: string;
  username: string;
  at: Date;
}

export interface ReactionDocument {
  emoji: string;
  userId: string;
  username: string;
  addedAt: Date;
}

/** The seed's `mediaUrls` entry: what the media service said about an attached file. */
export interface MessageMediaDocument {
  mediaId: string;
  type: string;
  url: string | null;
  thumbnailUrl: string | null;
  mimeType: string | null;
}

export interface MessageDocument {
  _id: ObjectId;
  /** The conversation's ObjectId as a hex string (seed: "ObjectId string"). */
  conversationId: string;
  sequence: number;
  senderId: string;
  senderUsername: string;
  senderDisplayName: string;
  senderAvatarUrl: string | null;
  /** Null for SYSTEM messages (the server's own). */
  clientMessageId: string | null;
  content: string | null;
  messageType: StoredMessageType;
  mediaUrls: MessageMediaDocument[];
  readBy: ReceiptDocument[];
  deliveredTo: ReceiptDocument[];
  reactions: ReactionDocument[];
  replyTo: {
    messageId: string;
    sequence: number;
    content: string | null;
    senderId: string;
    senderUsername: string;
  } | null;
  mentions: { userId: string; username: string; displayName: string }[];
  location: { latitude: number; longitude: number; name: string | null; address: string | null } | null;
  contactUserId: string | null;
  /** SYSTEM messages: what happened and to whom (the text is in `content`). */
  system: { action: SystemAction; userIds: string[] } | null;
  isEdited: boolean;
  editedAt: Date | null;
  isDeleted: boolean;
  deletedAt: Date | null;
  deletedFor: string[];
  createdAt: Date;
  updatedAt: Date;
}

export type SystemAction =
  | 'GROUP_CREATED'
  | 'PARTICIPANTS_ADDED'
  | 'PARTICIPANT_REMOVED'
  | 'PARTICIPANT_LEFT'
  | 'ROLE_CHANGED'
  | 'GROUP_UPDATED';

/** `media_refs`: media's events about files (kit media-refs.ts), to check attachments and avatars. */
export type { MediaRefDocument } from '@social/kit';

export const COLLECTIONS = {
  conversations: 'conversations',
  messages: 'messages',
  mediaRefs: 'media_refs',
} as const;

const uuid = { bsonType: 'string', pattern: '^[0-9a-fA-F-]{36}$' };
const count = { bsonType: ['int', 'long', 'double'], minimum: 0 };
const role = { enum: ['Admin', 'Member'] };
const messageType = { enum: ['Text', 'Media', 'File', 'Voice', 'Location', 'Contact', 'System'] };

/** The collections, validators and indexes of seed 002 (with the additions above), applied at start. */
export function chatCollections(): CollectionSpec[] {
  return [
    {
      name: COLLECTIONS.conversations,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['type', 'participants', 'participantsCount', 'lastSequence', 'createdAt', 'updatedAt'],
          properties: {
            type: { enum: ['OneOnOne', 'Group'] },
            description: { bsonType: ['string', 'null'], maxLength: LIMITS.groupDescriptionMax },
            participants: {
              bsonType: 'array',
              items: {
                bsonType: 'object',
                required: ['userId', 'role', 'isActive', 'joinedAt'],
                properties: { userId: uuid, role, isActive: { bsonType: 'bool' }, unreadCount: count },
              },
            },
            participantsCount: count,
            messagesCount: count,
            lastSequence: count,
          },
          // Seed rules: OneOnOne has exactly 2 participants; a Group has a name and 2 or more.
          anyOf: [
            {
              properties: {
                type: { enum: ['OneOnOne'] },
                participants: { bsonType: 'array', minItems: 2, maxItems: 2 },
              },
              required: ['directKey'],
            },
            {
              properties: {
                type: { enum: ['Group'] },
                name: { bsonType: 'string', minLength: 1, maxLength: LIMITS.groupNameMax },
                participants: { bsonType: 'array', minItems: 2 },
              },
              required: ['name'],
            },
          ],
        },
      },
      indexes: [
        { key: { 'participants.userId': 1 }, name: 'participants' },
        { key: { type: 1, updatedAt: -1 }, name: 'type_updatedAt' },
        { key: { name: 'text', description: 'text' }, name: 'group_text' },
        // The viewer's list, most recent activity first: the seed's "active conversations" index
        // (4), with the id as the cursor's tiebreaker.
        {
          key: { 'participants.userId': 1, 'participants.isActive': 1, updatedAt: -1, _id: -1 },
          name: 'active_conversations',
        },
        {
          key: { directKey: 1 },
          name: 'direct_pair_unique',
          unique: true,
          partialFilterExpression: { directKey: { $type: 'string' } },
        },
      ],
    },
    {
      name: COLLECTIONS.messages,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['conversationId', 'sequence', 'senderId', 'messageType', 'createdAt'],
          properties: {
            conversationId: { bsonType: 'string', pattern: '^[0-9a-f]{24}$' },
            sequence: { bsonType: ['int', 'long', 'double'], minimum: 1 },
            senderId: uuid,
            content: { bsonType: ['string', 'null'], maxLength: LIMITS.contentMax },
            messageType,
            clientMessageId: { bsonType: ['string', 'null'], maxLength: LIMITS.clientMessageIdMax },
            deletedFor: { bsonType: 'array', items: uuid },
          },
          // Seed rules: media required for Media messages, a location for Location messages.
          anyOf: [
            { properties: { messageType: { enum: ['Text', 'File', 'Voice', 'Contact', 'System'] } } },
            {
              properties: {
                messageType: { enum: ['Media'] },
                isDeleted: { enum: [false] },
                mediaUrls: { bsonType: 'array', minItems: 1 },
              },
            },
            {
              properties: {
                messageType: { enum: ['Location'] },
                isDeleted: { enum: [false] },
                location: { bsonType: 'object', required: ['latitude', 'longitude'] },
              },
            },
            // Deleted for everyone: content, media and location are gone.
            { properties: { isDeleted: { enum: [true] } } },
          ],
        },
      },
      indexes: [
        { key: { conversationId: 1, createdAt: -1 }, name: 'conversation_messages' },
        { key: { senderId: 1, createdAt: -1 }, name: 'sender' },
        { key: { content: 'text' }, name: 'content_text' },
        { key: { conversationId: 1, 'readBy.userId': 1, createdAt: -1 }, name: 'unread_messages' },
        { key: { 'mentions.userId': 1, createdAt: -1 }, name: 'mentions' },
        { key: { 'replyTo.messageId': 1 }, name: 'reply' },
        // Paging by sequence, and the guarantee that a sequence is used once per conversation.
        { key: { conversationId: 1, sequence: 1 }, name: 'conversation_sequence_unique', unique: true },
        // A retried send finds its message (idempotency key per sender and conversation).
        {
          key: { conversationId: 1, senderId: 1, clientMessageId: 1 },
          name: 'client_message_unique',
          unique: true,
          partialFilterExpression: { clientMessageId: { $type: 'string' } },
        },
      ],
    },
    mediaRefsCollection,
    ...socialReplicaCollections(),
    outboxCollection,
    processedEventsCollection,
  ];
}
