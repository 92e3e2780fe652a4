import type {
  StoredChannel,
  StoredDeliveryStatus,
  StoredEntityType,
  StoredNotificationType,
  StoredPriority,
} from './data/collections.js';

/**
 * GraphQL enum names → the seed's stored values: resolvers return stored documents unchanged and
 * receive stored values in arguments (e.g. `types: [LIKE]` arrives as ['Like']).
 */
export const NOTIFICATION_TYPE = {
  FRIEND_REQUEST: 'FriendRequest',
  FRIEND_ACCEPTED: 'FriendAccepted',
  MESSAGE: 'Message',
  POST: 'Post',
  COMMENT: 'Comment',
  COMMENT_REPLY: 'CommentReply',
  LIKE: 'Like',
  SHARE: 'Share',
  MENTION: 'Mention',
  FOLLOW: 'Follow',
  PROFILE_VIEW: 'ProfileView',
} as const satisfies Record<string, StoredNotificationType>;

export const NOTIFICATION_PRIORITY = {
  LOW: 'Low',
  NORMAL: 'Normal',
  HIGH: 'High',
} as const satisfies Record<string, StoredPriority>;

export const NOTIFICATION_CHANNEL = {
  PUSH: 'Push',
  EMAIL: 'Email',
  IN_APP: 'InApp',
} as const satisfies Record<string, StoredChannel>;

export const NOTIFICATION_DELIVERY_STATUS = {
  PENDING: 'Pending',
  SENT: 'Sent',
  FAILED: 'Failed',
} as const satisfies Record<string, StoredDeliveryStatus>;

export const NOTIFICATION_ENTITY_TYPE = {
  POST: 'Post',
  COMMENT: 'Comment',
  USER: 'User',
  MESSAGE: 'Message',
  CONVERSATION: 'Conversation',
  FRIEND_REQUEST: 'FriendRequest',
} as const satisfies Record<string, StoredEntityType>;

export const enumResolvers = {
  NotificationType: NOTIFICATION_TYPE,
  NotificationPriority: NOTIFICATION_PRIORITY,
  NotificationChannel: NOTIFICATION_CHANNEL,
  NotificationDeliveryStatus: NOTIFICATION_DELIVERY_STATUS,
  NotificationEntityType: NOTIFICATION_ENTITY_TYPE,
};
