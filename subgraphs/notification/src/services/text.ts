import { LIMITS } from '../config.js';
import type { StoredEntityType, StoredNotificationType } from '../data/collections.js';

/**
 * The title and message of a notification, from its type, its facts (metadata) and its group: the
 * newest actor's name and how many the group holds ("Alice and 3 others liked your post"). Texts
 * are rendered when a notification is created or absorbs an event, and stored (the seed's fields;
 * email and push send them as they are).
 */

export interface TextFacts {
  readonly type: StoredNotificationType;
  /** The newest actor's display name (or username). */
  readonly actorName: string;
  readonly groupCount: number;
  readonly relatedEntityType: StoredEntityType | null;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface NotificationText {
  readonly title: string;
  readonly message: string;
}

/** What a notification says when nothing tells who acted (a user no event has named yet). */
export const UNKNOWN_ACTOR = 'Someone';

/** `text` cut to `max` characters (by code point), with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const quote = (text: unknown) =>
  typeof text === 'string' && text.trim()
    ? `: "${clip(text.replace(/\s+/g, ' ').trim(), LIMITS.quoteMax)}"`
    : '';

/** "Alice", "Alice and 1 other", "Alice and 3 others". */
export function who(actorName: string, count: number): string {
  if (count <= 1) return actorName;
  const others = count - 1;
  return `${actorName} and ${others} ${others === 1 ? 'other' : 'others'}`;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const MESSAGE_KINDS: Record<string, string> = {
  MEDIA: 'sent a photo or video',
  FILE: 'sent a file',
  VOICE: 'sent a voice message',
  LOCATION: 'shared a location',
  CONTACT: 'shared a contact',
};

const POST_KINDS: Record<string, string> = {
  PHOTO: 'a new photo',
  VIDEO: 'a new video',
  LINK: 'a link',
  POLL: 'a poll',
  EVENT: 'an event',
};

function compose(facts: TextFacts): NotificationText {
  const { actorName, groupCount, metadata } = facts;
  const group = who(actorName, groupCount);
  const onComment = facts.relatedEntityType === 'Comment';
  switch (facts.type) {
    case 'FriendRequest':
      return {
        title: 'New friend request',
        message: `${actorName} sent you a friend request${quote(metadata.requestMessage)}`,
      };
    case 'FriendAccepted':
      return { title: 'Friend request accepted', message: `${actorName} accepted your friend request` };
    case 'Follow':
      return { title: 'New follower', message: `${group} started following you` };
    case 'Like': {
      const verb = metadata.reaction === 'LIKE' || groupCount > 1 ? 'liked' : 'reacted to';
      return {
        title: metadata.reaction === 'LIKE' ? 'New like' : 'New reaction',
        message: `${group} ${verb} your ${onComment ? 'comment' : 'post'}`,
      };
    }
    case 'Comment':
      return {
        title: 'New comment',
        message:
          groupCount > 1
            ? `${group} commented on your post`
            : `${actorName} commented on your post${quote(metadata.commentPreview)}`,
      };
    case 'CommentReply':
      return {
        title: 'New reply',
        message:
          groupCount > 1
            ? `${group} replied to your comment`
            : `${actorName} replied to your comment${quote(metadata.commentPreview)}`,
      };
    case 'Share':
      return { title: 'Post shared', message: `${group} shared your post` };
    case 'Mention':
      return {
        title: 'You were mentioned',
        message: `${actorName} mentioned you in a ${metadata.source === 'COMMENT' ? 'comment' : 'post'}${quote(metadata.preview)}`,
      };
    case 'Post': {
      const text = quote(metadata.postPreview);
      const kind = POST_KINDS[str(metadata.postType) ?? ''] ?? 'a new post';
      return {
        title: 'New post',
        message: text ? `${actorName} posted${text}` : `${actorName} shared ${kind}`,
      };
    }
    case 'Message': {
      const groupName = str(metadata.conversationName);
      const title = groupName ? `New message in ${groupName}` : `New message from ${actorName}`;
      if (groupCount > 1) {
        return {
          title: groupName ? `New messages in ${groupName}` : `New messages from ${actorName}`,
          message: groupName
            ? `${groupCount} new messages, the latest from ${actorName}`
            : `${groupCount} new messages from ${actorName}`,
        };
      }
      const preview = str(metadata.preview)?.replace(/\s+/g, ' ').trim();
      const message = preview
        ? `${actorName}: ${clip(preview, LIMITS.quoteMax)}`
        : `${actorName} ${MESSAGE_KINDS[str(metadata.messageType) ?? ''] ?? 'sent a message'}`;
      return { title, message };
    }
    case 'ProfileView':
      return { title: 'Profile view', message: `${group} viewed your profile` };
  }
}

/** The stored title and message (within the seed's 100 and 500 characters). */
export function renderText(facts: TextFacts): NotificationText {
  const text = compose(facts);
  return { title: clip(text.title, LIMITS.titleMax), message: clip(text.message, LIMITS.messageMax) };
}
