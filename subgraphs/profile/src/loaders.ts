import { createBatchLoader, createOrderedLoader, type DataLoader, type Viewer } from '@social/kit';
import {
  COLLECTIONS,
  IDENTITY_KEYS,
  type ProfileDocument,
  type ProfileIdentity,
} from './data/collections.js';
import type { ProfileStore } from './data/store.js';
import { createGraphLoaders, type GraphLoaders } from './graph-loaders.js';
import { NO_RELATION, type AccessRelation, type Relation } from './privacy.js';
import type { PresenceStore } from './presence.js';

/**
 * Per-request DataLoaders of the profile subgraph (DESIGN 10): built in the context factory for
 * every request. Resolving a page of N users costs one `$in` query per collection involved, not N.
 */
export interface Loaders {
  /** Profiles by user id (hidden ones included: callers apply privacy.ts). */
  readonly profile: DataLoader<string, ProfileDocument | null>;
  /**
   * A profile with what its access level depends on (privacy.ts accessLevel): whether the user
   * blocked the viewer and whether they are friends, in one aggregate for a page of users.
   */
  readonly profileAccess: DataLoader<string, ProfileAccess>;
  /**
   * The same for the identity only ({@link IDENTITY_KEYS}): for operations that select nothing
   * else of a user (resolvers/identity.ts), a fraction of the bytes to send and decode.
   */
  readonly identityAccess: DataLoader<string, ProfileAccess<ProfileIdentity>>;
  /** The viewer's relation to users by id (NO_RELATION for anonymous viewers). */
  readonly relation: DataLoader<string, Relation>;
  /** Live online state by user id. */
  readonly online: DataLoader<string, boolean>;
  /** The social graph: friend requests, pages of friends / followers, mutual friend counts. */
  readonly graph: GraphLoaders;
}

export interface ProfileAccess<P extends ProfileIdentity = ProfileDocument> {
  readonly profile: P | null;
  readonly relation: AccessRelation;
}

type ProfileAccessRow<P> = P & {
  _blocksViewer: unknown[];
  _friendOfViewer: unknown[];
};

/** The projection of a {@link ProfileIdentity}. */
const IDENTITY_PROJECTION = Object.fromEntries([
  ...IDENTITY_KEYS.map((key) => [key, 1]),
  ['privacySettings.profileVisibility', 1],
]) as Record<string, 1>;

export function createLoaders(store: ProfileStore, presence: PresenceStore, viewer: Viewer | null): Loaders {
  const profile = createBatchLoader<string, ProfileDocument>(
    (ids) => store.profiles.find({ _id: { $in: [...ids] } }).toArray(),
    (doc) => doc._id,
  );
  const profileAccess = createOrderedLoader<string, ProfileAccess>(async (ids) => {
    if (!viewer) {
      const docs = await profile.loadMany([...ids]);
      return docs.map((doc) => {
        if (doc instanceof Error) throw doc;
        return { profile: doc, relation: NO_ACCESS_RELATION };
      });
    }
    const access = await loadAccess<ProfileDocument>(store, viewer.id, ids);
    for (const { profile: doc } of access) if (doc) profile.prime(doc._id, doc);
    return access;
  });
  const identityAccess = createOrderedLoader<string, ProfileAccess<ProfileIdentity>>(async (ids) => {
    if (viewer) return loadAccess<ProfileIdentity>(store, viewer.id, ids, IDENTITY_PROJECTION);
    const docs = await store.profiles
      .find<ProfileIdentity>({ _id: { $in: [...ids] } }, { projection: IDENTITY_PROJECTION })
      .toArray();
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    return ids.map((id) => ({ profile: byId.get(id) ?? null, relation: NO_ACCESS_RELATION }));
  });
  return {
    profile,
    profileAccess,
    identityAccess,
    relation: createOrderedLoader<string, Relation>(async (ids) =>
      viewer ? loadRelations(store, viewer.id, ids) : ids.map(() => NO_RELATION),
    ),
    online: createOrderedLoader<string, boolean>((ids) => presence.areOnline(ids)),
    graph: createGraphLoaders(store, viewer),
  };
}

const NO_ACCESS_RELATION: AccessRelation = { blockedViewer: false, friends: false };

/**
 * Profiles of `ids` (projected when `projection` is given) with whether each blocked the viewer
 * and is their friend, in one aggregate: the edges from each user's side, by the pair indexes.
 */
async function loadAccess<P extends ProfileIdentity>(
  store: ProfileStore,
  viewerId: string,
  ids: readonly string[],
  projection?: Record<string, 1>,
): Promise<ProfileAccess<P>[]> {
  const edge = (from: string, localKey: string, otherKey: string, as: string) => ({
    $lookup: {
      from,
      localField: '_id',
      foreignField: localKey,
      pipeline: [{ $match: { [otherKey]: viewerId } }, { $limit: 1 }, { $project: { _id: 1 } }],
      as,
    },
  });
  const rows = await store.profiles
    .aggregate<ProfileAccessRow<P>>([
      { $match: { _id: { $in: [...ids] } } },
      ...(projection ? [{ $project: projection }] : []),
      edge(COLLECTIONS.blocks, 'blockerId', 'blockedId', '_blocksViewer'),
      edge(COLLECTIONS.friendships, 'userId', 'friendId', '_friendOfViewer'),
    ])
    .toArray();
  const byId = new Map<string, ProfileAccess<P>>();
  for (const { _blocksViewer, _friendOfViewer, ...doc } of rows) {
    byId.set(doc._id, {
      profile: doc as unknown as P,
      relation: { blockedViewer: _blocksViewer.length > 0, friends: _friendOfViewer.length > 0 },
    });
  }
  return ids.map((id) => byId.get(id) ?? { profile: null, relation: NO_ACCESS_RELATION });
}

/** The viewer's relation to each of `ids`: one query per edge collection, whatever the count. */
async function loadRelations(
  store: ProfileStore,
  viewerId: string,
  ids: readonly string[],
): Promise<Relation[]> {
  const others = ids.filter((id) => id !== viewerId);
  if (others.length === 0) return ids.map(() => ({ ...NO_RELATION, self: true }));
  const [friendships, blocks, follows, requests] = await Promise.all([
    store.friendships
      .find({ userId: viewerId, friendId: { $in: others } }, { projection: { friendId: 1 } })
      .toArray(),
    store.blocks
      .find({
        $or: [
          { blockerId: viewerId, blockedId: { $in: others } },
          { blockedId: viewerId, blockerId: { $in: others } },
        ],
      })
      .toArray(),
    store.follows
      .find({
        $or: [
          { followerId: viewerId, followeeId: { $in: others } },
          { followeeId: viewerId, followerId: { $in: others } },
        ],
      })
      .toArray(),
    store.friendRequests
      .find({
        status: 'Pending',
        expiresAt: { $gt: new Date() },
        $or: [
          { senderId: viewerId, receiverId: { $in: others } },
          { receiverId: viewerId, senderId: { $in: others } },
        ],
      })
      .toArray(),
  ]);
  const friends = new Set(friendships.map((f) => f.friendId));
  return ids.map((id) => {
    if (id === viewerId) return { ...NO_RELATION, self: true };
    return {
      self: false,
      friends: friends.has(id),
      viewerBlocked: blocks.some((b) => b.blockerId === viewerId && b.blockedId === id),
      blockedViewer: blocks.some((b) => b.blockerId === id && b.blockedId === viewerId),
      viewerFollows: follows.some((f) => f.followerId === viewerId && f.followeeId === id),
      followsViewer: follows.some((f) => f.followerId === id && f.followeeId === viewerId),
      pendingRequest:
        requests.find(
          (r) =>
            (r.senderId === viewerId && r.receiverId === id) ||
            (r.senderId === id && r.receiverId === viewerId),
        ) ?? null,
    };
  });
}
