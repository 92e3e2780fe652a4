import { textSearchPage } from '@social/kit';
import type { Filter } from 'mongodb';
import type { ProfileDocument } from './collections.js';
import type { ProfileStore } from './store.js';

export type ScoredProfile = ProfileDocument & { readonly searchScore: number };

/** Position after which a search page starts: the last result's score and id. */
export interface SearchPosition {
  readonly score: number;
  readonly id: string;
}

/**
 * Users a viewer must not find: those they blocked and those who blocked them. One query on the
 * two indexed sides of `blocks`; a user's blocks are few.
 */
async function blockIdsAround(store: ProfileStore, viewerId: string): Promise<string[]> {
  const blocks = await store.blocks
    .find(
      { $or: [{ blockerId: viewerId }, { blockedId: viewerId }] },
      { projection: { blockerId: 1, blockedId: 1 } },
    )
    .toArray();
  return blocks.map((block) => (block.blockerId === viewerId ? block.blockedId : block.blockerId));
}

/** The viewer's friends (at most MAX_FRIENDS ids): who may find their FRIENDS-only profiles. */
async function friendIds(store: ProfileStore, viewerId: string): Promise<string[]> {
  const friendships = await store.friendships
    .find({ userId: viewerId }, { projection: { friendId: 1 } })
    .limit(store.config.MAX_FRIENDS)
    .toArray();
  return friendships.map((friendship) => friendship.friendId);
}

/**
 * Full-text search over displayName, username and bio (text index `profile_text`), best match
 * first, then by id: a stable order, so a page can start after (score, id). Deleted and suspended
 * users, blocks either way, PRIVATE profiles and FRIENDS-only profiles of non-friends are left
 * out in the query itself, so every page is full.
 */
export async function searchProfiles(
  store: ProfileStore,
  options: { text: string; viewerId: string | null; after: SearchPosition | null; limit: number },
): Promise<ScoredProfile[]> {
  const { viewerId } = options;
  const [blocked, friends] = viewerId
    ? await Promise.all([blockIdsAround(store, viewerId), friendIds(store, viewerId)])
    : [[], []];
  const visible: Filter<ProfileDocument>[] = [{ 'privacySettings.profileVisibility': 'Public' }];
  if (friends.length > 0) {
    visible.push({ 'privacySettings.profileVisibility': 'Friends', _id: { $in: friends } });
  }
  if (viewerId) visible.push({ _id: viewerId });
  const match: Filter<ProfileDocument> = {
    $text: { $search: options.text },
    isDeleted: false,
    isActive: true,
    $or: visible,
    ...(blocked.length > 0 ? { _id: { $nin: blocked } } : {}),
  };
  return store.profiles
    .aggregate<ScoredProfile>(textSearchPage(match, options.after ?? null, options.limit, 1))
    .toArray();
}
