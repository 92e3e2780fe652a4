import {
  mediaRefsCollection,
  outboxCollection,
  processedEventsCollection,
  socialReplicaCollections,
  type CollectionSpec,
} from '@social/kit';
import type { ObjectId } from 'mongodb';

/**
 * The feed database (`social_feed`): the seed's five collections (posts, comments, likes, shares,
 * hashtags) plus what their rules need that the seed keeps inside documents:
 * - `poll_votes` and `post_views`: one document per voter / viewer instead of the seed's
 *   unbounded `votedBy` arrays, so a vote or a view is one small indexed write, "each viewer
 *   counts once" is a unique key, and the viewer's vote of a page of polls is one `$in` query;
 * - `hashtag_uses`: one document per (tag, post), the history the trend score is computed from
 *   (uses in the last 24 h / 7 d / 30 d), removed by TTL after 30 days;
 * - `feed_authors`: one document per author (pinned post, hidden state), the document that
 *   serialises a user's pin changes and the hiding of their content;
 * - `media_refs`: what media's events said about files, to check attachments without calling media;
 * - the social replica (kit): friends, follows, blocks and account status from auth and profile.
 *
 * The seed's denormalised username / displayName / avatarUrl copies are left out: `Post.author`
 * is a `User` entity reference that profile resolves (batched per page), so there is nothing to
 * keep in sync. Counters change with `$inc` only (DESIGN 10).
 */

// -- Stored values (the seed's spellings; resolvers map them to GraphQL enum names) -------------

export type StoredPostType = 'Text' | 'Photo' | 'Video' | 'Link' | 'Poll' | 'Event';
export type StoredPostVisibility = 'Public' | 'Friends' | 'Private' | 'Custom';
export type StoredShareVisibility = 'Public' | 'Friends' | 'Private';
export type StoredReaction = 'Like' | 'Love' | 'Haha' | 'Wow' | 'Sad' | 'Angry';
export type StoredEntityType = 'Post' | 'Comment';

export const REACTIONS: readonly StoredReaction[] = ['Like', 'Love', 'Haha', 'Wow', 'Sad', 'Angry'];

export interface StoredMention {
  userId: string;
  username: string;
  displayName: string | null;
}

/** A GeoJSON point (longitude first), so the seed's 2dsphere index applies on MongoDB. */
export interface StoredPoint {
  type: 'Point';
  coordinates: [number, number];
}

export interface StoredLocation {
  name: string | null;
  address: string | null;
  coordinates: StoredPoint | null;
}

export interface StoredLinkPreview {
  url: string;
  title: string | null;
  description: string | null;
  imageUrl: string | null;
  domain: string;
}

export interface StoredPollOption {
  id: string;
  text: string;
  votes: number;
}

export interface StoredPoll {
  question: string;
  options: StoredPollOption[];
  allowMultipleAnswers: boolean;
  expiresAt: Date | null;
  votersCount: number;
}

/** Reactions per type (absent types are zero), changed with `$inc` next to likesCount. */
export type ReactionCounts = Partial<Record<StoredReaction, number>>;

export interface PostDocument {
  _id: ObjectId;
  /** The author (seed: userId). */
  userId: string;
  content: string | null;
  /** MediaFile ids in display order (the seed's mediaUrls, as references). */
  mediaIds: string[];
  postType: StoredPostType;
  visibility: StoredPostVisibility;
  /** For Custom visibility: who may see the post besides the author. */
  audienceUserIds: string[];
  location: StoredLocation | null;
  hashtags: string[];
  mentions: StoredMention[];
  linkPreview: StoredLinkPreview | null;
  poll: StoredPoll | null;
  likesCount: number;
  commentsCount: number;
  sharesCount: number;
  viewsCount: number;
  reactionCounts: ReactionCounts;
  /** likes + 2 × comments + 3 × shares, kept with `$inc` next to them: explore's ranking. */
  engagementScore: number;
  isPinned: boolean;
  isArchived: boolean;
  isDeleted: boolean;
  deletedAt: Date | null;
  isEdited: boolean;
  editedAt: Date | null;
  /** The author's account is deleted or suspended: hidden from everyone (auth's events). */
  authorHidden: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** For a share: the shared post (always an original, never another share). */
  originalPostId: ObjectId | null;
  shareCaption: string | null;
}

export interface CommentDocument {
  _id: ObjectId;
  postId: ObjectId;
  userId: string;
  /** Kept when soft-deleted (the seed's soft delete), never shown then. */
  content: string;
  mentions: StoredMention[];
  parentCommentId: ObjectId | null;
  likesCount: number;
  reactionCounts: ReactionCounts;
  /** Visible direct replies. */
  repliesCount: number;
  isEdited: boolean;
  editedAt: Date | null;
  isDeleted: boolean;
  deletedAt: Date | null;
  authorHidden: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface LikeDocument {
  /** `${entityId}:${userId}`: one reaction per user per entity, and racing reacts conflict. */
  _id: string;
  entityId: ObjectId;
  entityType: StoredEntityType;
  userId: string;
  reactionType: StoredReaction;
  /** When the reaction was made or last changed. */
  createdAt: Date;
  /**
   * The user's account is deleted or suspended (auth's events): the reaction is neither listed
   * nor counted. Absent on reactions made before any such event (false).
   */
  userHidden?: boolean;
}

export interface ShareDocument {
  _id: ObjectId;
  originalPostId: ObjectId;
  sharedPostId: ObjectId;
  userId: string;
  caption: string | null;
  visibility: StoredShareVisibility;
  createdAt: Date;
}

export interface HashtagDocument {
  _id: ObjectId;
  tag: string;
  /** Live posts carrying the tag. */
  count: number;
  trendScore: number;
  lastUsed: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface HashtagUseDocument {
  _id: ObjectId;
  tag: string;
  postId: ObjectId;
  usedAt: Date;
}

export interface PollVoteDocument {
  /** `${postId}:${userId}`. */
  _id: string;
  postId: ObjectId;
  userId: string;
  optionIds: string[];
  votedAt: Date;
}

export interface PostViewDocument {
  /** `${postId}:${userId}`. */
  _id: string;
  postId: ObjectId;
  userId: string;
  viewedAt: Date;
}

export interface FeedAuthorDocument {
  /** The user id. */
  _id: string;
  pinnedPostId: ObjectId | null;
  /** Deleted or suspended: posts and comments carry authorHidden. */
  hidden: boolean;
  updatedAt: Date;
}

/** What media's events said about a file (kit media-refs.ts). */
export type { MediaRefDocument } from '@social/kit';

export const COLLECTIONS = {
  posts: 'posts',
  comments: 'comments',
  likes: 'likes',
  shares: 'shares',
  hashtags: 'hashtags',
  hashtagUses: 'hashtag_uses',
  pollVotes: 'poll_votes',
  postViews: 'post_views',
  authors: 'feed_authors',
  mediaRefs: 'media_refs',
} as const;

/** Uses older than this no longer count in any trend window (seed: 30 days), plus a day. */
export const HASHTAG_USE_TTL_SECONDS = 31 * 24 * 3600;

export const LIMITS = {
  postContent: 5000,
  commentContent: 2000,
  shareCaption: 500,
  tag: 50,
} as const;

const uuid = { bsonType: 'string', pattern: '^[0-9a-fA-F-]{36}$' };
const count = { bsonType: ['int', 'long', 'double'], minimum: 0 };
const reactionType = { enum: [...REACTIONS] };

/** The collections, validators and indexes of seed 002 (plus the ones above), applied at start. */
export function feedCollections(): CollectionSpec[] {
  return [
    {
      name: COLLECTIONS.posts,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['userId', 'postType', 'visibility', 'likesCount', 'commentsCount', 'createdAt'],
          properties: {
            userId: uuid,
            content: { bsonType: ['string', 'null'], maxLength: LIMITS.postContent },
            mediaIds: { bsonType: 'array', maxItems: 10, items: { bsonType: 'string' } },
            postType: { enum: ['Text', 'Photo', 'Video', 'Link', 'Poll', 'Event'] },
            visibility: { enum: ['Public', 'Friends', 'Private', 'Custom'] },
            audienceUserIds: { bsonType: 'array', maxItems: 100, items: uuid },
            hashtags: { bsonType: 'array', items: { bsonType: 'string', maxLength: LIMITS.tag } },
            likesCount: count,
            commentsCount: count,
            sharesCount: count,
            viewsCount: count,
            shareCaption: { bsonType: ['string', 'null'], maxLength: LIMITS.shareCaption },
          },
          // Seed: at least one of content or media (a share or a poll carries its own).
          anyOf: [
            { properties: { content: { bsonType: 'string', minLength: 1 } }, required: ['content'] },
            { properties: { mediaIds: { minItems: 1 } }, required: ['mediaIds'] },
            { properties: { originalPostId: { bsonType: 'objectId' } }, required: ['originalPostId'] },
            { properties: { poll: { bsonType: 'object' } }, required: ['poll'] },
          ],
        },
      },
      indexes: [
        { key: { userId: 1, createdAt: -1 }, name: 'user_posts' },
        { key: { visibility: 1, createdAt: -1 }, name: 'feed' },
        { key: { hashtags: 1, createdAt: -1 }, name: 'hashtags' },
        { key: { 'mentions.userId': 1, createdAt: -1 }, name: 'mentions' },
        { key: { content: 'text' }, name: 'content_text' },
        { key: { 'location.coordinates': '2dsphere' }, name: 'location_2dsphere', sparse: true },
        {
          key: { likesCount: -1, commentsCount: -1, sharesCount: -1, createdAt: -1 },
          name: 'trending',
        },
        { key: { isDeleted: 1, visibility: 1, createdAt: -1 }, name: 'active_posts' },
        // Keyset pages (home feed, a user's posts, a tag's posts): the sort key plus the id.
        { key: { userId: 1, createdAt: -1, _id: -1 }, name: 'user_posts_page' },
        { key: { hashtags: 1, createdAt: -1, _id: -1 }, name: 'hashtag_posts_page' },
        // Explore: public posts by engagement.
        { key: { visibility: 1, engagementScore: -1, _id: -1 }, name: 'explore' },
        // A page of users' pinned posts in one query (User.pinnedPost).
        { key: { userId: 1, isPinned: 1 }, name: 'pinned' },
        // Hiding a deleted account's posts, and the shares of a post.
        { key: { originalPostId: 1 }, name: 'shares_of', sparse: true },
      ],
    },
    {
      name: COLLECTIONS.comments,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['postId', 'userId', 'content', 'likesCount', 'repliesCount', 'createdAt'],
          properties: {
            postId: { bsonType: 'objectId' },
            userId: uuid,
            content: { bsonType: 'string', minLength: 1, maxLength: LIMITS.commentContent },
            parentCommentId: { bsonType: ['objectId', 'null'] },
            likesCount: count,
            repliesCount: count,
          },
        },
      },
      indexes: [
        { key: { postId: 1, createdAt: -1 }, name: 'post_comments' },
        { key: { userId: 1, createdAt: -1 }, name: 'user_comments' },
        { key: { parentCommentId: 1, createdAt: -1 }, name: 'replies' },
        { key: { 'mentions.userId': 1, createdAt: -1 }, name: 'mentions' },
        { key: { postId: 1, isDeleted: 1, createdAt: -1 }, name: 'active_comments' },
        // Pages of a post's top-level comments and of a comment's replies (keyset with the id).
        { key: { postId: 1, parentCommentId: 1, createdAt: -1, _id: -1 }, name: 'comments_page' },
        // The top comments of a page of posts in one aggregation.
        { key: { postId: 1, parentCommentId: 1, isDeleted: 1, likesCount: -1 }, name: 'top_comments' },
      ],
    },
    {
      name: COLLECTIONS.likes,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['entityId', 'entityType', 'userId', 'reactionType', 'createdAt'],
          properties: {
            entityId: { bsonType: 'objectId' },
            entityType: { enum: ['Post', 'Comment'] },
            userId: uuid,
            reactionType,
          },
        },
      },
      indexes: [
        { key: { entityId: 1, entityType: 1, createdAt: -1 }, name: 'entity_likes' },
        { key: { userId: 1, createdAt: -1 }, name: 'user_likes' },
        { key: { entityId: 1, entityType: 1, userId: 1 }, name: 'one_per_user', unique: true },
        { key: { reactionType: 1 }, name: 'reaction_type' },
        // Reaction lists, of all types or one, newest first with the id as tiebreaker.
        {
          key: { entityId: 1, entityType: 1, reactionType: 1, createdAt: -1, _id: -1 },
          name: 'reactions_page',
        },
      ],
    },
    {
      name: COLLECTIONS.shares,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['originalPostId', 'sharedPostId', 'userId', 'visibility', 'createdAt'],
          properties: {
            originalPostId: { bsonType: 'objectId' },
            sharedPostId: { bsonType: 'objectId' },
            userId: uuid,
            caption: { bsonType: ['string', 'null'], maxLength: LIMITS.shareCaption },
            visibility: { enum: ['Public', 'Friends', 'Private'] },
          },
        },
      },
      indexes: [
        { key: { originalPostId: 1, createdAt: -1 }, name: 'original_shares' },
        { key: { userId: 1, createdAt: -1 }, name: 'user_shares' },
        { key: { sharedPostId: 1 }, name: 'shared_post' },
      ],
    },
    {
      name: COLLECTIONS.hashtags,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['tag', 'count', 'trendScore', 'lastUsed', 'createdAt'],
          properties: {
            tag: { bsonType: 'string', pattern: '^[a-z0-9_]{1,50}$' },
            count,
            trendScore: { bsonType: ['int', 'long', 'double'], minimum: 0 },
          },
        },
      },
      indexes: [
        // Lowercase by construction (the embedded server ignores collations).
        { key: { tag: 1 }, name: 'tag_unique', unique: true },
        { key: { trendScore: -1, count: -1 }, name: 'trending' },
        { key: { lastUsed: -1 }, name: 'recent_usage' },
      ],
    },
    {
      name: COLLECTIONS.hashtagUses,
      indexes: [
        { key: { tag: 1, usedAt: -1 }, name: 'tag_uses' },
        { key: { postId: 1 }, name: 'post_uses' },
        { key: { usedAt: 1 }, name: 'uses_ttl', expireAfterSeconds: HASHTAG_USE_TTL_SECONDS },
      ],
    },
    {
      name: COLLECTIONS.pollVotes,
      validator: {
        $jsonSchema: {
          bsonType: 'object',
          required: ['postId', 'userId', 'optionIds', 'votedAt'],
          properties: { postId: { bsonType: 'objectId' }, userId: uuid, optionIds: { bsonType: 'array' } },
        },
      },
      indexes: [{ key: { postId: 1 }, name: 'post_votes' }],
    },
    {
      name: COLLECTIONS.postViews,
      indexes: [{ key: { postId: 1 }, name: 'post_views' }],
    },
    { name: COLLECTIONS.authors, indexes: [] },
    mediaRefsCollection,
    ...socialReplicaCollections(),
    outboxCollection,
    processedEventsCollection,
  ];
}
