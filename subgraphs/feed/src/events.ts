/**
 * Events of the feed subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id). Every event is written to the `event_outbox`
 * collection in the transaction of the change it describes and relayed from there (kit
 * `createMongoOutbox`), so none is lost and none describes a change that did not happen.
 *
 * Publishes to stream `feed` (below). Consumes (consumers.ts): profile's friendship, follow, block
 * and settings events and auth's account events (the social replica, kit social-replica.ts;
 * UserDeleted / UserStatusChanged also hide the user's posts and comments), and media's events
 * (media_refs, to check attachments).
 *
 * The payloads carry everything the notification service needs to notify without calling feed:
 * who acted (`actorId`), whom it concerns (`postAuthorId`, `commentAuthorId`,
 * `parentCommentAuthorId`, `mentionedUserIds`), what (`reaction`, previews) and who may see the
 * post (`postVisibility`, `audienceUserIds` for CUSTOM). The actor may be the recipient (reacting
 * to one's own post): consumers skip notifying people about their own actions.
 *
 * Dates are ISO-8601 strings; enum values are the GraphQL names (PUBLIC, LIKE, COMMENT...).
 * Previews are the first {@link PREVIEW_LENGTH} characters of the text.
 */
export const PRODUCER = 'feed';

/** Length of the content previews in events. */
export const PREVIEW_LENGTH = 100;

export type PostVisibilityName = 'PUBLIC' | 'FRIENDS' | 'PRIVATE' | 'CUSTOM';
export type ShareVisibilityName = 'PUBLIC' | 'FRIENDS' | 'PRIVATE';
export type PostTypeName = 'TEXT' | 'PHOTO' | 'VIDEO' | 'LINK' | 'POLL' | 'EVENT';
export type ReactionName = 'LIKE' | 'LOVE' | 'HAHA' | 'WOW' | 'SAD' | 'ANGRY';

/** Who may see a post: enough for a consumer to decide whether a recipient may be told about it. */
export interface PostAudienceFacts {
  readonly postId: string;
  readonly postAuthorId: string;
  readonly postVisibility: PostVisibilityName;
  /** For CUSTOM posts: who may see it besides the author; empty otherwise. */
  readonly audienceUserIds: readonly string[];
  /** The post's text, shortened (null for media-only posts and plain shares). */
  readonly postPreview: string | null;
}

export interface FeedEventMap {
  /** A new post (not a share: shares are PostShared). Followers and friends may be told. */
  PostCreated: PostAudienceFacts & {
    readonly actorId: string;
    readonly postType: PostTypeName;
    readonly hashtags: readonly string[];
    /** Users @mentioned in it (those who may see the post also get a UserMentioned). */
    readonly mentionedUserIds: readonly string[];
    readonly mediaIds: readonly string[];
    readonly createdAt: string;
  };
  /**
   * A reaction set on a post, or changed to another type (`previousReaction` then says from
   * what). The recipient is `postAuthorId`.
   */
  PostReacted: PostAudienceFacts & {
    readonly actorId: string;
    readonly reaction: ReactionName;
    readonly previousReaction: ReactionName | null;
    /** The post's reaction count after this one. */
    readonly likesCount: number;
    readonly reactedAt: string;
  };
  /** A reaction set on (or changed on) a comment or reply; the recipient is `commentAuthorId`. */
  CommentReacted: PostAudienceFacts & {
    readonly actorId: string;
    readonly commentId: string;
    readonly commentAuthorId: string;
    readonly commentPreview: string;
    readonly reaction: ReactionName;
    readonly previousReaction: ReactionName | null;
    readonly likesCount: number;
    readonly reactedAt: string;
  };
  /**
   * A comment on a post (recipient: `postAuthorId`) or a reply to a comment (also
   * `parentCommentAuthorId`: the seed's CommentReply notification).
   */
  PostCommented: PostAudienceFacts & {
    readonly actorId: string;
    readonly commentId: string;
    readonly commentPreview: string;
    readonly parentCommentId: string | null;
    readonly parentCommentAuthorId: string | null;
    readonly mentionedUserIds: readonly string[];
    readonly commentedAt: string;
  };
  /**
   * A post was shared: `sharedPostId` is the new post, the recipient the original's author.
   * The PostAudienceFacts are the original's.
   */
  PostShared: PostAudienceFacts & {
    readonly actorId: string;
    readonly shareId: string;
    readonly sharedPostId: string;
    readonly shareVisibility: ShareVisibilityName;
    readonly captionPreview: string | null;
    readonly sharedAt: string;
  };
  /**
   * Users were @mentioned in a post, a share's caption or a comment (only users whose privacy
   * allows mentions by the actor, with no block either way, and who may see the post: nobody is
   * sent a preview they may not read). A mention added by an edit is sent once, for the new
   * mentions only.
   */
  UserMentioned: PostAudienceFacts & {
    readonly actorId: string;
    readonly mentionedUserIds: readonly string[];
    readonly source: 'POST' | 'COMMENT';
    /** The comment, when source is COMMENT. */
    readonly commentId: string | null;
    /** The text that mentions them, shortened. */
    readonly preview: string;
    readonly mentionedAt: string;
  };
  /** A post was deleted by its author: notifications about it can be withdrawn. */
  PostDeleted: {
    readonly postId: string;
    readonly postAuthorId: string;
    /** For a share: the shared post. */
    readonly originalPostId: string | null;
    readonly deletedAt: string;
  };
}

export type FeedEventType = keyof FeedEventMap;

/** The first PREVIEW_LENGTH characters of a text (whitespace collapsed), or null. */
export function preview(text: string | null | undefined): string | null {
  if (!text) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= PREVIEW_LENGTH) return flat;
  return `${[...flat].slice(0, PREVIEW_LENGTH - 1).join('')}…`;
}
