import {
  outboxCollection,
  processedEventsCollection,
  socialReplicaCollections,
  type CollectionSpec,
} from '@social/kit';
import type { ObjectId } from 'mongodb';
import { LIMITS } from '../config.js';

/**
 * The notification database (`social_notification`): the seed's `notifications` (auto-deleted by
 * a TTL index on `expiresAt`), plus what the service keeps from other services' events (the kit's
 * social replica for blocks, privacy and notification settings; the recipients' email addresses
 * from auth) and the kit's processed-events record.
 *
 * Additions to the seed, and why:
 * - `actors`: the most recent distinct actors of a grouped notification, newest first (at most
 *   10), for Notification.actors and for "Alice and 3 others"; `actorId` stays the newest one.
 * - `lastEventAt`: when the latest grouped event happened; the list's order (a group moves to the
 *   top when it absorbs an event), with `_id` as the cursor's tiebreaker.
 * - `postId`: the post a notification is about, so notifications about a deleted post go with it.
 * - A unique partial index on `{ userId, groupKey }` over unread grouped notifications: at most one
 *   open group per recipient and key, whatever events race to start one (they upsert it).
 */

export type StoredNotificationType =
  | 'FriendRequest'
  | 'FriendAccepted'
  | 'Message'
  | 'Post'
  | 'Comment'
  | 'CommentReply'
  | 'Like'
  | 'Share'
  | 'Mention'
  | 'Follow'
  | 'ProfileView';
export type StoredPriority = 'Low' | 'Normal' | 'High';
export type StoredChannel = 'Push' | 'Email' | 'InApp';
export type StoredDeliveryStatus = 'Pending' | 'Sent' | 'Failed';
export type StoredEntityType = 'Post' | 'Comment' | 'User' | 'Message' | 'Conversation' | 'FriendRequest';

export const NOTIFICATION_TYPES: readonly StoredNotificationType[] = [
  'FriendRequest',
  'FriendAccepted',
  'Message',
  'Post',
  'Comment',
  'CommentReply',
  'Like',
  'Share',
  'Mention',
  'Follow',
  'ProfileView',
];

export interface NotificationDocument {
  _id: ObjectId;
  /** The recipient (seed: userId). */
  userId: string;
  type: StoredNotificationType;
  title: string;
  message: string;
  /** The newest actor; null for system notifications. */
  actorId: string | null;
  actorUsername: string | null;
  actorDisplayName: string | null;
  actorAvatarUrl: string | null;
  actors: string[];
  relatedEntityId: string | null;
  relatedEntityType: StoredEntityType | null;
  actionUrl: string | null;
  metadata: Record<string, unknown>;
  postId: string | null;
  isRead: boolean;
  readAt: Date | null;
  deliveryStatus: StoredDeliveryStatus;
  channels: StoredChannel[];
  sentVia: StoredChannel[];
  /** Null for notifications that never group. */
  groupKey: string | null;
  groupCount: number;
  priority: StoredPriority;
  expiresAt: Date;
  createdAt: Date;
  lastEventAt: Date;
  updatedAt: Date;
}

/** A recipient's email address as auth announced it; mail goes only to verified addresses. */
export interface EmailAddressDocument {
  /** The user id. */
  _id: string;
  email: string;
  verified: boolean;
  /** occurredAt of the event that last set the address (older events never overwrite it). */
  at: Date;
}

export const COLLECTIONS = {
  notifications: 'notifications',
  emailAddresses: 'email_addresses',
} as const;

const uuid = { bsonType: 'string', pattern: '^[0-9a-fA-F-]{36}$' };
const nullableUuid = { bsonType: ['string', 'null'], pattern: '^[0-9a-fA-F-]{36}$' };
const channel = { enum: ['Push', 'Email', 'InApp'] };

/** The collections, validators and indexes of seed 002 (with the additions above), applied at start. */
export function notificationCollections(): CollectionSpec[] {
  return [
    {
      name: COLLECTIONS.notifications,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: [
            'userId',
            'type',
            'title',
            'message',
            'actors',
            'isRead',
            'deliveryStatus',
            'channels',
            'sentVia',
            'groupCount',
            'priority',
            'expiresAt',
            'createdAt',
            'lastEventAt',
            'updatedAt',
          ],
          properties: {
            userId: uuid,
            type: { enum: [...NOTIFICATION_TYPES] },
            title: { bsonType: 'string', minLength: 1, maxLength: LIMITS.titleMax },
            message: { bsonType: 'string', minLength: 1, maxLength: LIMITS.messageMax },
            actorId: nullableUuid,
            actors: { bsonType: 'array', maxItems: LIMITS.actorsMax, items: uuid },
            relatedEntityType: {
              enum: ['Post', 'Comment', 'User', 'Message', 'Conversation', 'FriendRequest', null],
            },
            isRead: { bsonType: 'bool' },
            readAt: { bsonType: ['date', 'null'] },
            deliveryStatus: { enum: ['Pending', 'Sent', 'Failed'] },
            channels: { bsonType: 'array', minItems: 1, items: channel },
            sentVia: { bsonType: 'array', items: channel },
            groupKey: { bsonType: ['string', 'null'] },
            groupCount: { bsonType: ['int', 'long', 'double'], minimum: 1 },
            priority: { enum: ['Low', 'Normal', 'High'] },
            expiresAt: { bsonType: 'date' },
            createdAt: { bsonType: 'date' },
            lastEventAt: { bsonType: 'date' },
            updatedAt: { bsonType: 'date' },
          },
        },
      },
      indexes: [
        // The seed's indexes (1-6).
        { key: { userId: 1, createdAt: -1 }, name: 'user_notifications' },
        { key: { userId: 1, isRead: 1, createdAt: -1 }, name: 'unread_notifications' },
        { key: { type: 1, createdAt: -1 }, name: 'type' },
        { key: { actorId: 1, createdAt: -1 }, name: 'actor' },
        { key: { groupKey: 1 }, name: 'group' },
        { key: { expiresAt: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 },
        // The viewer's list, latest event first, and its unread-only form (also the unread count).
        { key: { userId: 1, lastEventAt: -1, _id: -1 }, name: 'user_latest' },
        { key: { userId: 1, isRead: 1, lastEventAt: -1, _id: -1 }, name: 'user_unread_latest' },
        // One open (unread) group per recipient and key.
        {
          key: { userId: 1, groupKey: 1 },
          name: 'open_group_unique',
          unique: true,
          partialFilterExpression: { isRead: false, groupKey: { $type: 'string' } },
        },
        // Withdrawing a deleted or blocked actor, and the notifications about a deleted post.
        { key: { actors: 1 }, name: 'actors' },
        { key: { postId: 1 }, name: 'post', partialFilterExpression: { postId: { $type: 'string' } } },
      ],
    },
    {
      name: COLLECTIONS.emailAddresses,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['email', 'verified', 'at'],
          properties: {
            email: { bsonType: 'string' },
            verified: { bsonType: 'bool' },
            at: { bsonType: 'date' },
          },
        },
      },
      indexes: [],
    },
    ...socialReplicaCollections(),
    outboxCollection,
    processedEventsCollection,
  ];
}
