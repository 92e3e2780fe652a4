import { createBatchLoader, createOrderedLoader, type DataLoader, type Viewer } from '@social/kit';
import { COLLECTIONS, type ProfileDocument } from './data/collections.js';
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
  /** The viewer's relation to users by id (NO_RELATION for anonymous viewers). */
  readonly relation: DataLoader<string, Relation>;
  /** Live online state by user id. */
  readonly online: DataLoader<string, boolean>;
  /** The social graph: friend requests, pages of friends / followers, mutual friend counts. */
  readonly graph: GraphLoaders;
}

export interface ProfileAccess {
  readonly profile: ProfileDocument | null;
  readonly relation: AccessRelation;
}

interface ProfileAccessRow extends ProfileDocument {
  _blocksViewer: unknown[];
  _friendOfViewer: unknown[];
}

export function createLoaders(store: ProfileStore, presence: PresenceStore, viewer: Viewer | null): Loaders {
  const profile = createBatchLoader<string, ProfileDocument>(
    (ids) => store.profiles.find({ _id: { $in: [...ids] } }).toArray(),
    (doc) => doc._id,
  );
  const noRelation: AccessRelation = { blockedViewer: false, friends: false };
  const profileAccess = createOrderedLoader<string, ProfileAccess>(async (ids) => {
    if (!viewer) {
      const docs = await profile.loadMany([...ids]);
      return docs.map((doc) => {
        if (doc instanceof Error) throw doc;
        return { profile: doc, relation: noRelation };
      });
    }
    // The edges from each user's side, by the pair indexes: (X blocked the viewer), (X friend of viewer).
    const edge = (from: string, localKey: string, otherKey: string, as: string) => ({
      $lookup: {
        from,
        localField: '_id',
        foreignField: localKey,
        pipeline: [{ $match: { [otherKey]: viewer.id } }, { $limit: 1 }, { $project: { _id: 1 } }],
        as,
      },
    });
    const rows = await store.profiles
      .aggregate<ProfileAccessRow>([
        { $match: { _id: { $in: [...ids] } } },
        edge(COLLECTIONS.blocks, 'blockerId', 'blockedId', '_blocksViewer'),
        edge(COLLECTIONS.friendships, 'userId', 'friendId', '_friendOfViewer'),
      ])
      .toArray();
    const byId = new Map<string, ProfileAccess>();
    for (const { _blocksViewer, _friendOfViewer, ...doc } of rows) {
      profile.prime(doc._id, doc);
      byId.set(doc._id, {
        profile: doc,
        relation: { blockedViewer: _blocksViewer.length > 0, friends: _friendOfViewer.length > 0 },
      });
    }
    return ids.map((id) => byId.get(id) ?? { profile: null, relation: noRelation });
  });
  return {
    profile,
    profileAccess,
    relation: createOrderedLoader<string, Relation>(async (ids) =>
      viewer ? loadRelations(store, viewer.id, ids) : ids.map(() => NO_RELATION),
    ),
    online: createOrderedLoader<string, boolean>((ids) => presence.areOnline(ids)),
    graph: createGraphLoaders(store, viewer),
  };
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
