import type { EventEnvelope } from '@social/kit';
import type { NotificationDraft } from '../data/notifications.js';
import type { NotificationDeps } from '../deps.js';
import {
  commentReactedPayload,
  friendRequestAcceptedPayload,
  friendRequestSentPayload,
  messageSentPayload,
  postCommentedPayload,
  postCreatedPayload,
  postReactedPayload,
  postSharedPayload,
  userFollowedPayload,
  userMentionedPayload,
  type PostFacts,
} from '../events.js';

/**
 * What each event calls for: the notifications (drafts) it would give, before the rules of
 * notify.ts (self, blocks, deleted accounts, settings) decide who actually gets one. Groups:
 * reactions per post or comment, comments per post, replies per comment, shares per post, new
 * followers, and messages per conversation; friend requests, mentions and friends' posts stay
 * one notification each.
 */

const postUrl = (postId: string) => `/posts/${postId}`;
const commentUrl = (postId: string, commentId: string) => `/posts/${postId}?comment=${commentId}`;
const at = (event: EventEnvelope) => new Date(event.occurredAt);

type Source = (
  deps: NotificationDeps,
  event: EventEnvelope,
) => Promise<NotificationDraft[]> | NotificationDraft[];

/** Whether `userId` may see the post the facts describe (its author's friends given). */
function maySee(facts: PostFacts, userId: string, friends: ReadonlySet<string>): boolean {
  switch (facts.postVisibility) {
    case 'PUBLIC':
      return true;
    case 'FRIENDS':
      return friends.has(userId);
    case 'CUSTOM':
      return facts.audienceUserIds.includes(userId);
    case 'PRIVATE':
      return false;
  }
}

const friendRequestSent: Source = (_deps, event) => {
  const data = friendRequestSentPayload.parse(event.data);
  return [
    {
      userId: data.receiverId,
      type: 'FriendRequest',
      actorId: data.senderId,
      groupKey: null,
      relatedEntityId: data.requestId,
      relatedEntityType: 'FriendRequest',
      actionUrl: `/friend-requests/${data.requestId}`,
      metadata: {
        requestId: data.requestId,
        mutualFriendsCount: data.mutualFriendsCount,
        requestMessage: data.message,
      },
      postId: null,
      priority: 'Normal',
      at: at(event),
    },
  ];
};

const friendRequestAccepted: Source = (_deps, event) => {
  const data = friendRequestAcceptedPayload.parse(event.data);
  return [
    {
      userId: data.senderId,
      type: 'FriendAccepted',
      actorId: data.receiverId,
      groupKey: null,
      relatedEntityId: data.receiverId,
      relatedEntityType: 'User',
      actionUrl: `/users/${data.receiverId}`,
      metadata: { requestId: data.requestId },
      postId: null,
      priority: 'Normal',
      at: at(event),
    },
  ];
};

const userFollowed: Source = (_deps, event) => {
  const data = userFollowedPayload.parse(event.data);
  return [
    {
      userId: data.followeeId,
      type: 'Follow',
      actorId: data.followerId,
      groupKey: 'Follow',
      relatedEntityId: data.followerId,
      relatedEntityType: 'User',
      actionUrl: `/users/${data.followerId}`,
      metadata: { followerId: data.followerId },
      postId: null,
      priority: 'Low',
      at: at(event),
    },
  ];
};

/** A reaction set (not one changed to another type: its author was told of it already). */
const postReacted: Source = (_deps, event) => {
  const data = postReactedPayload.parse(event.data);
  if (data.previousReaction !== null) return [];
  return [
    {
      userId: data.postAuthorId,
      type: 'Like',
      actorId: data.actorId,
      groupKey: `Like:post:${data.postId}`,
      relatedEntityId: data.postId,
      relatedEntityType: 'Post',
      actionUrl: postUrl(data.postId),
      metadata: {
        postId: data.postId,
        postPreview: data.postPreview,
        totalLikes: data.likesCount,
        reaction: data.reaction,
      },
      postId: data.postId,
      priority: 'Low',
      at: at(event),
    },
  ];
};

const commentReacted: Source = (_deps, event) => {
  const data = commentReactedPayload.parse(event.data);
  if (data.previousReaction !== null) return [];
  return [
    {
      userId: data.commentAuthorId,
      type: 'Like',
      actorId: data.actorId,
      groupKey: `Like:comment:${data.commentId}`,
      relatedEntityId: data.commentId,
      relatedEntityType: 'Comment',
      actionUrl: commentUrl(data.postId, data.commentId),
      metadata: {
        postId: data.postId,
        commentId: data.commentId,
        commentPreview: data.commentPreview,
        totalLikes: data.likesCount,
        reaction: data.reaction,
      },
      postId: data.postId,
      priority: 'Low',
      at: at(event),
    },
  ];
};

/**
 * A comment tells the post's author (Comment); a reply also tells the author of the comment it
 * answers (CommentReply), who gets that one alone when they wrote the post too.
 */
const postCommented: Source = (_deps, event) => {
  const data = postCommentedPayload.parse(event.data);
  const drafts: NotificationDraft[] = [];
  const common = {
    actorId: data.actorId,
    relatedEntityId: data.commentId,
    relatedEntityType: 'Comment' as const,
    actionUrl: commentUrl(data.postId, data.commentId),
    postId: data.postId,
    priority: 'Normal' as const,
    at: at(event),
  };
  const metadata = {
    postId: data.postId,
    commentId: data.commentId,
    commentPreview: data.commentPreview,
    postPreview: data.postPreview,
  };
  const repliedTo = data.parentCommentId === null ? null : data.parentCommentAuthorId;
  if (data.parentCommentId && repliedTo) {
    drafts.push({
      ...common,
      userId: repliedTo,
      type: 'CommentReply',
      groupKey: `CommentReply:comment:${data.parentCommentId}`,
      metadata: { ...metadata, parentCommentId: data.parentCommentId },
    });
  }
  if (repliedTo !== data.postAuthorId) {
    drafts.push({
      ...common,
      userId: data.postAuthorId,
      type: 'Comment',
      groupKey: `Comment:post:${data.postId}`,
      metadata,
    });
  }
  return drafts;
};

/**
 * A share tells the original's author when they may see the share: a public one always, a
 * friends-only one if they are the sharer's friend, a private one never.
 */
const postShared: Source = async (deps, event) => {
  const data = postSharedPayload.parse(event.data);
  if (data.shareVisibility === 'PRIVATE') return [];
  if (data.shareVisibility === 'FRIENDS') {
    const relation = (await deps.store.replica.relations(data.actorId, [data.postAuthorId])).get(
      data.postAuthorId,
    );
    if (!relation?.friends) return [];
  }
  return [
    {
      userId: data.postAuthorId,
      type: 'Share',
      actorId: data.actorId,
      groupKey: `Share:post:${data.postId}`,
      relatedEntityId: data.postId,
      relatedEntityType: 'Post',
      actionUrl: postUrl(data.sharedPostId),
      metadata: {
        postId: data.postId,
        sharedPostId: data.sharedPostId,
        shareId: data.shareId,
        postPreview: data.postPreview,
        captionPreview: data.captionPreview,
      },
      postId: data.postId,
      priority: 'Low',
      at: at(event),
    },
  ];
};

/** Feed sends mentions only to users who may see the post and whose privacy allows it. */
const userMentioned: Source = (_deps, event) => {
  const data = userMentionedPayload.parse(event.data);
  const inComment = data.source === 'COMMENT' && data.commentId !== null;
  return [...new Set(data.mentionedUserIds)].map((userId) => ({
    userId,
    type: 'Mention',
    actorId: data.actorId,
    groupKey: null,
    relatedEntityId: inComment ? data.commentId : data.postId,
    relatedEntityType: inComment ? 'Comment' : 'Post',
    actionUrl: inComment && data.commentId ? commentUrl(data.postId, data.commentId) : postUrl(data.postId),
    metadata: { postId: data.postId, commentId: data.commentId, source: data.source, preview: data.preview },
    postId: data.postId,
    priority: 'Normal',
    at: at(event),
  }));
};

/**
 * A new post tells the author's friends who may see it and enabled post notifications, one
 * notification each, all written in one command (notify.ts).
 */
const postCreated: Source = async (deps, event) => {
  const data = postCreatedPayload.parse(event.data);
  if (data.postVisibility === 'PRIVATE') return [];
  const audience = await deps.store.replica.audience(data.actorId);
  const friends = new Set(audience.friends);
  const blocked = new Set(audience.blocked);
  return [...friends]
    .filter((userId) => !blocked.has(userId) && maySee(data, userId, friends))
    .map((userId) => ({
      userId,
      type: 'Post',
      actorId: data.actorId,
      groupKey: null,
      relatedEntityId: data.postId,
      relatedEntityType: 'Post',
      actionUrl: postUrl(data.postId),
      metadata: { postId: data.postId, postPreview: data.postPreview, postType: data.postType },
      postId: data.postId,
      priority: 'Low',
      at: at(event),
    }));
};

/**
 * A message tells the recipients who neither muted the conversation nor are looking at it (a
 * conversationEvents subscription when it was sent). Messages group per conversation until read;
 * the server's own SYSTEM messages (members added, group renamed) notify nobody.
 */
const messageSent: Source = (_deps, event) => {
  const data = messageSentPayload.parse(event.data);
  if (data.messageType === 'SYSTEM') return [];
  return data.recipients
    .filter((recipient) => !recipient.muted && !recipient.viewing)
    .map((recipient) => ({
      userId: recipient.userId,
      type: 'Message',
      actorId: data.senderId,
      groupKey: `Message:conversation:${data.conversationId}`,
      relatedEntityId: data.messageId,
      relatedEntityType: 'Message',
      actionUrl: `/conversations/${data.conversationId}`,
      metadata: {
        conversationId: data.conversationId,
        conversationType: data.conversationType,
        conversationName: data.conversationName,
        messageId: data.messageId,
        messageType: data.messageType,
        preview: data.preview,
        mentioned: recipient.mentioned,
      },
      postId: null,
      priority: 'High',
      at: at(event),
    }));
};

/** Event type → the notifications it calls for. */
export const SOURCES: Readonly<Record<string, Source>> = {
  FriendRequestSent: friendRequestSent,
  FriendRequestAccepted: friendRequestAccepted,
  UserFollowed: userFollowed,
  PostReacted: postReacted,
  CommentReacted: commentReacted,
  PostCommented: postCommented,
  PostShared: postShared,
  UserMentioned: userMentioned,
  PostCreated: postCreated,
  MessageSent: messageSent,
};
