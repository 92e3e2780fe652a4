import { createBatchLoader, createOrderedLoader, type DataLoader, type Viewer } from '@social/kit';
import type { Document } from 'mongodb';
import type { FriendRequestDocument } from './data/collections.js';
import type { ProfileStore } from './data/store.js';

/**
 * Per-request loaders of the social graph (part of loaders.ts): a page of N users asking for
 * their friends, followers, mutual friends or counts costs one command per collection, not N.
 */
export interface GraphLoaders {
  /** Friend requests by id (callers check that the viewer is a party to them). */
  readonly friendRequest: DataLoader<string, FriendRequestDocument | null>;
  /** Number of friends each user has in common with the viewer (0 for anonymous viewers). */
  readonly mutualFriendsCount: DataLoader<string, number>;
  /** One page of a user's edges; pages of many users are fetched together. */
  page(spec: PageSpec): Promise<EdgeRow[]>;
}

/**
 * Which list: a user's friends, followers, followed users, or the friends they share with the
 * viewer (friends of the user who are friends of the viewer).
 */
export type EdgeKind = 'friends' | 'followers' | 'following' | 'mutual';

export interface PageSpec {
  readonly kind: EdgeKind;
  readonly userId: string;
  /** Rows wanted; one more is fetched to learn whether a next page exists. */
  readonly size: number;
  /** Keyset position (createdAt in ms, edge id) of the previous page's last edge. */
  readonly after: readonly [number, string] | null;
}

/** One edge seen from the list's owner: the user at the other end and when the edge began. */
export interface EdgeRow {
  readonly _id: string;
  readonly otherId: string;
  readonly createdAt: Date;
}

interface KindSpec {
  readonly collection: 'friendships' | 'follows';
  /** The field holding the list owner's id, and the one holding the other end. */
  readonly owner: string;
  readonly other: string;
}

const KINDS: Record<EdgeKind, KindSpec> = {
  friends: { collection: 'friendships', owner: 'userId', other: 'friendId' },
  mutual: { collection: 'friendships', owner: 'userId', other: 'friendId' },
  followers: { collection: 'follows', owner: 'followeeId', other: 'followerId' },
  following: { collection: 'follows', owner: 'followerId', other: 'followeeId' },
};

/** Newest first, the edge id breaking ties (the keyset every list pages over). */
const NEWEST_FIRST = { createdAt: -1, _id: -1 } as const;

export function createGraphLoaders(store: ProfileStore, viewer: Viewer | null): GraphLoaders {
  let viewerFriends: Promise<string[]> | undefined;
  const viewerFriendIds = () => {
    viewerFriends ??= viewer
      ? store.friendships
          .find({ userId: viewer.id }, { projection: { friendId: 1 } })
          .limit(store.config.MAX_FRIENDS)
          .toArray()
          .then((rows) => rows.map((row) => row.friendId))
      : Promise.resolve([]);
    return viewerFriends;
  };

  const specs = new Map<string, PageSpec>();
  const pages = createOrderedLoader<string, EdgeRow[]>(async (keys) => {
    const wanted = keys.map((key) => specs.get(key) as PageSpec);
    const friendIds = wanted.some((spec) => spec.kind === 'mutual') ? await viewerFriendIds() : [];
    const results = new Map<PageSpec, EdgeRow[]>();
    const byCollection = new Map<KindSpec['collection'], PageSpec[]>();
    for (const spec of wanted) {
      const collection = KINDS[spec.kind].collection;
      byCollection.set(collection, [...(byCollection.get(collection) ?? []), spec]);
    }
    await Promise.all(
      [...byCollection].map(async ([collection, group]) => {
        const rows = await fetchPages(store, collection, group, friendIds);
        group.forEach((spec, index) => results.set(spec, rows[index] ?? []));
      }),
    );
    return wanted.map((spec) => results.get(spec) ?? []);
  });

  return {
    friendRequest: createBatchLoader<string, FriendRequestDocument>(
      (ids) => store.friendRequests.find({ _id: { $in: [...ids] } }).toArray(),
      (request) => request._id,
    ),
    mutualFriendsCount: createOrderedLoader<string, number>(async (ids) => {
      const friends = await viewerFriendIds();
      if (friends.length === 0) return ids.map(() => 0);
      const counts = await store.friendships
        .aggregate<{ _id: string; count: number }>([
          { $match: { userId: { $in: [...ids] }, friendId: { $in: friends } } },
          { $group: { _id: '$userId', count: { $sum: 1 } } },
        ])
        .toArray();
      return ids.map((id) => counts.find((row) => row._id === id)?.count ?? 0);
    }),
    page(spec) {
      const key = JSON.stringify([spec.kind, spec.userId, spec.size, spec.after]);
      specs.set(key, spec);
      return pages.load(key);
    },
  };
}

/** The filter of the rows after a keyset position (sort date in ms, id), newest first. */
export function afterFilter(after: readonly [number, string] | null, field = 'createdAt'): Document {
  if (!after) return {};
  const at = new Date(after[0]);
  return { $or: [{ [field]: { $lt: at } }, { [field]: at, _id: { $lt: after[1] } }] };
}

function pagePipeline(spec: PageSpec, index: number, friendIds: readonly string[]): Document[] {
  const kind = KINDS[spec.kind];
  const match: Document = { [kind.owner]: spec.userId };
  if (spec.kind === 'mutual') match[kind.other] = { $in: friendIds };
  return [
    { $match: { ...match, ...afterFilter(spec.after) } },
    { $sort: NEWEST_FIRST },
    { $limit: spec.size + 1 },
    { $project: { _id: 1, createdAt: 1, otherId: `$${kind.other}`, page: { $literal: index } } },
  ];
}

/**
 * The pages of one collection in one command: the first page's pipeline, then one `$unionWith`
 * per other page, each a bounded index range (owner, createdAt desc).
 */
async function fetchPages(
  store: ProfileStore,
  collection: 'friendships' | 'follows',
  group: readonly PageSpec[],
  friendIds: readonly string[],
): Promise<EdgeRow[][]> {
  const [first, ...rest] = group.map((spec, index) => pagePipeline(spec, index, friendIds));
  if (!first) return [];
  const pipeline = [
    ...first,
    ...rest.map((pipeline) => ({ $unionWith: { coll: store[collection].collectionName, pipeline } })),
  ];
  const rows = await store[collection].aggregate<EdgeRow & { page: number }>(pipeline).toArray();
  const pages: EdgeRow[][] = group.map(() => []);
  for (const { page, ...row } of rows) pages[page]?.push(row);
  // $unionWith does not promise an order across its inputs; each page is re-sorted on its own.
  for (const rowsOfPage of pages) {
    rowsOfPage.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : -1));
  }
  return pages;
}
