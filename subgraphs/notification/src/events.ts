import { SOCIAL_REPLICA_EVENT_TYPES } from '@social/kit';
import { z } from 'zod';

/**
 * Events the notification subgraph consumes (DESIGN 9; Redis Streams, at-least-once, handled once
 * per event id with the kit's `handleEventOnce`). It publishes none.
 *
 * - auth: the social replica's account events, plus UserEmailVerified (email addresses, for the
 *   Email channel). UserDeleted removes the user's notifications and withdraws them as an actor.
 * - profile: the replica's types (settings, friendships, follows, blocks), FriendRequestSent and
 *   FriendRequestClosed: FriendRequest, FriendAccepted and Follow notifications.
 * - feed: PostCreated (Post, to friends who enabled it), PostReacted / CommentReacted (Like),
 *   PostCommented (Comment, CommentReply), PostShared (Share), UserMentioned (Mention),
 *   PostDeleted (its notifications go).
 * - chat: MessageSent (Message, for recipients neither muted nor viewing the conversation).
 *
 * The payloads are the producers' (their `events.ts`); the schemas below check the fields this
 * service reads, so an event it cannot read fails loudly (retried, then dead-lettered).
 */
export const PRODUCER = 'notification';
/** This service's consumer group on other services' streams. */
export const CONSUMER_GROUP = 'notification';

export const CONSUMED_TYPES = {
  auth: [...SOCIAL_REPLICA_EVENT_TYPES.auth, 'UserEmailVerified'],
  profile: [...SOCIAL_REPLICA_EVENT_TYPES.profile, 'FriendRequestSent', 'FriendRequestClosed'],
  feed: [
    'PostCreated',
    'PostReacted',
    'CommentReacted',
    'PostCommented',
    'PostShared',
    'UserMentioned',
    'PostDeleted',
  ],
  chat: ['MessageSent'],
} as const;

const id = z.string().min(1);
const nullableText = z.string().nullable();
const reaction = z.enum(['LIKE', 'LOVE', 'HAHA', 'WOW', 'SAD', 'ANGRY']);

// ---------------------------------------------------------------------------------------------
// auth

export const accountPayload = z.object({
  userId: id,
  username: z.string().min(1),
  email: z.string().min(1),
  changed: z.array(z.string()).optional(),
});
export const emailVerifiedPayload = z.object({ userId: id, email: z.string().min(1) });
export const userIdPayload = z.object({ userId: id });

// ---------------------------------------------------------------------------------------------
// profile

export const profileIdentityPayload = z.object({
  userId: id,
  username: z.string().min(1),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
});
export const friendRequestSentPayload = z.object({
  requestId: id,
  senderId: id,
  receiverId: id,
  message: nullableText,
  mutualFriendsCount: z.number().int().min(0),
});
export const friendRequestAcceptedPayload = z.object({ requestId: id, senderId: id, receiverId: id });
export const friendRequestClosedPayload = z.object({
  requestId: id,
  senderId: id,
  receiverId: id,
  status: z.enum(['REJECTED', 'CANCELLED']),
});
export const userFollowedPayload = z.object({ followerId: id, followeeId: id });
export const userBlockedPayload = z.object({ blockerId: id, blockedId: id });

// ---------------------------------------------------------------------------------------------
// feed

const postFacts = z.object({
  postId: id,
  postAuthorId: id,
  postVisibility: z.enum(['PUBLIC', 'FRIENDS', 'PRIVATE', 'CUSTOM']),
  audienceUserIds: z.array(id),
  postPreview: nullableText,
  actorId: id,
});
export type PostFacts = z.infer<typeof postFacts>;

export const postCreatedPayload = postFacts.extend({
  postType: z.enum(['TEXT', 'PHOTO', 'VIDEO', 'LINK', 'POLL', 'EVENT']),
});
export const postReactedPayload = postFacts.extend({
  reaction,
  previousReaction: reaction.nullable(),
  likesCount: z.number().int().min(0),
});
export const commentReactedPayload = postReactedPayload.extend({
  commentId: id,
  commentAuthorId: id,
  commentPreview: z.string(),
});
export const postCommentedPayload = postFacts.extend({
  commentId: id,
  commentPreview: z.string(),
  parentCommentId: id.nullable(),
  parentCommentAuthorId: id.nullable(),
});
export const postSharedPayload = postFacts.extend({
  shareId: id,
  sharedPostId: id,
  shareVisibility: z.enum(['PUBLIC', 'FRIENDS', 'PRIVATE']),
  captionPreview: nullableText,
});
export const userMentionedPayload = postFacts.extend({
  mentionedUserIds: z.array(id),
  source: z.enum(['POST', 'COMMENT']),
  commentId: id.nullable(),
  preview: z.string(),
});
export const postDeletedPayload = z.object({ postId: id });

// ---------------------------------------------------------------------------------------------
// chat

export const messageSentPayload = z.object({
  messageId: id,
  conversationId: id,
  conversationType: z.enum(['ONE_ON_ONE', 'GROUP']),
  conversationName: nullableText,
  senderId: id,
  messageType: z.enum(['TEXT', 'MEDIA', 'FILE', 'VOICE', 'LOCATION', 'CONTACT', 'SYSTEM']),
  preview: nullableText,
  recipients: z.array(
    z.object({ userId: id, muted: z.boolean(), viewing: z.boolean(), mentioned: z.boolean() }),
  ),
});
