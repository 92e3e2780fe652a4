import type {
  StoredEntityType,
  StoredPostType,
  StoredPostVisibility,
  StoredReaction,
  StoredShareVisibility,
} from '../data/collections.js';
import type { PostTypeName, PostVisibilityName, ReactionName, ShareVisibilityName } from '../events.js';

/**
 * GraphQL enum names → the seed's stored values: resolvers return stored documents unchanged and
 * receive stored values in arguments (e.g. `reaction: LOVE` arrives as 'Love').
 */
export const POST_TYPE = {
  TEXT: 'Text',
  PHOTO: 'Photo',
  VIDEO: 'Video',
  LINK: 'Link',
  POLL: 'Poll',
  EVENT: 'Event',
} as const satisfies Record<PostTypeName, StoredPostType>;

export const POST_VISIBILITY = {
  PUBLIC: 'Public',
  FRIENDS: 'Friends',
  PRIVATE: 'Private',
  CUSTOM: 'Custom',
} as const satisfies Record<PostVisibilityName, StoredPostVisibility>;

export const SHARE_VISIBILITY = {
  PUBLIC: 'Public',
  FRIENDS: 'Friends',
  PRIVATE: 'Private',
} as const satisfies Record<ShareVisibilityName, StoredShareVisibility>;

export const REACTION = {
  LIKE: 'Like',
  LOVE: 'Love',
  HAHA: 'Haha',
  WOW: 'Wow',
  SAD: 'Sad',
  ANGRY: 'Angry',
} as const satisfies Record<ReactionName, StoredReaction>;

export const TARGET_TYPE = { POST: 'Post', COMMENT: 'Comment' } as const satisfies Record<
  string,
  StoredEntityType
>;

function reverse<K extends string, V extends string>(map: Record<K, V>): Record<V, K> {
  return Object.fromEntries(Object.entries(map).map(([name, stored]) => [stored, name])) as Record<V, K>;
}

/** Stored values → GraphQL names, for event payloads. */
export const postTypeName = reverse(POST_TYPE);
export const postVisibilityName = reverse(POST_VISIBILITY);
export const shareVisibilityName = reverse(SHARE_VISIBILITY);
export const reactionName = reverse(REACTION);

export const enumResolvers = {
  PostType: POST_TYPE,
  PostVisibility: POST_VISIBILITY,
  ShareVisibility: SHARE_VISIBILITY,
  FeedReactionType: REACTION,
  FeedReactionTargetType: TARGET_TYPE,
};
