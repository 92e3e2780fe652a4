import { connectionFromRows, decodeNumberCursor, pageSize, requireViewer } from '@social/kit';
import { COLLECTIONS, type StoredFriendRequestStatus } from '../data/collections.js';
import { afterFilter } from '../graph-loaders.js';
import type { ProfileContext } from '../subgraph.js';
import { edgeConnection, keysetPage, type PageArgs } from './connections.js';
import { FRIEND_REQUEST_STATUS } from './enums.js';

interface FriendRequestsArgs extends PageArgs {
  readonly direction: 'INCOMING' | 'OUTGOING';
  readonly status?: StoredFriendRequestStatus | keyof typeof FRIEND_REQUEST_STATUS | null;
}

/** The stored status of an argument (an SDL default value may arrive as its GraphQL name). */
function storedStatus(status: FriendRequestsArgs['status']): StoredFriendRequestStatus {
  if (!status) return 'Pending';
  return status in FRIEND_REQUEST_STATUS
    ? FRIEND_REQUEST_STATUS[status as keyof typeof FRIEND_REQUEST_STATUS]
    : (status as StoredFriendRequestStatus);
}

/** Query fields of the social graph (the profile document's queries are in Query.ts). */
export const GraphQuery = {
  friendRequests: async (_root: unknown, args: FriendRequestsArgs, context: ProfileContext) => {
    const viewer = requireViewer(context);
    const { size, after } = keysetPage(args);
    const { store } = context.profile;
    // Expired requests are deleted by the TTL monitor within a minute; until then they are gone too.
    const filter = {
      [args.direction === 'INCOMING' ? 'receiverId' : 'senderId']: viewer.id,
      status: storedStatus(args.status),
      expiresAt: { $gt: new Date() },
    };
    const [rows, totalCount] = await Promise.all([
      store.friendRequests
        .find({ ...filter, ...afterFilter(after, 'sentAt') })
        .sort({ sentAt: -1, _id: -1 })
        .limit(size + 1)
        .toArray(),
      store.friendRequests.countDocuments(filter),
    ]);
    return {
      ...edgeConnection(
        rows,
        size,
        (row) => row.sentAt,
        (row) => ({ node: row }),
        after,
      ),
      totalCount,
    };
  },

  /**
   * Friends of the viewer's friends ranked by how many of them they know, in one aggregation over
   * the friendships of the viewer's friends (at most MAX_FRIENDS index ranges).
   */
  friendSuggestions: async (_root: unknown, args: PageArgs, context: ProfileContext) => {
    const viewer = requireViewer(context);
    const size = pageSize(args.first);
    let after: [number, string] | null = null;
    if (args.after) {
      const { value: mutual, id } = decodeNumberCursor(args.after);
      after = [mutual, id];
    }
    const { store, config } = context.profile;
    const now = new Date();
    const [friends, pending, blocks] = await Promise.all([
      store.friendships
        .find({ userId: viewer.id }, { projection: { friendId: 1 } })
        .limit(config.MAX_FRIENDS)
        .toArray(),
      store.friendRequests
        .find(
          {
            status: 'Pending',
            expiresAt: { $gt: now },
            $or: [{ senderId: viewer.id }, { receiverId: viewer.id }],
          },
          { projection: { senderId: 1, receiverId: 1 } },
        )
        .toArray(),
      store.blocks
        .find(
          { $or: [{ blockerId: viewer.id }, { blockedId: viewer.id }] },
          { projection: { blockerId: 1, blockedId: 1 } },
        )
        .toArray(),
    ]);
    const friendIds = friends.map((friend) => friend.friendId);
    const excluded = new Set([
      viewer.id,
      ...friendIds,
      ...pending.flatMap((request) => [request.senderId, request.receiverId]),
      ...blocks.flatMap((edge) => [edge.blockerId, edge.blockedId]),
    ]);
    const rows =
      friendIds.length === 0
        ? []
        : await store.friendships
            .aggregate<{ _id: string; mutual: number }>([
              { $match: { userId: { $in: friendIds } } },
              { $group: { _id: '$friendId', mutual: { $sum: 1 } } },
              { $match: { _id: { $nin: [...excluded] } } },
              { $sort: { mutual: -1, _id: 1 } },
              ...(after
                ? [
                    {
                      $match: {
                        $or: [{ mutual: { $lt: after[0] } }, { mutual: after[0], _id: { $gt: after[1] } }],
                      },
                    },
                  ]
                : []),
              {
                $lookup: {
                  from: COLLECTIONS.profiles,
                  localField: '_id',
                  foreignField: '_id',
                  as: 'profile',
                },
              },
              {
                $match: {
                  'profile.isDeleted': false,
                  'profile.isActive': true,
                  'profile.privacySettings.allowFriendRequests': true,
                },
              },
              { $limit: size + 1 },
              { $project: { mutual: 1 } },
            ])
            .toArray();
    const connection = connectionFromRows(rows, size, (row) => [row.mutual, row._id], {
      hasPreviousPage: after !== null,
    });
    return {
      pageInfo: connection.pageInfo,
      edges: connection.edges.map(({ cursor, node }) => ({
        cursor,
        node: { id: node._id },
        mutualFriendsCount: node.mutual,
      })),
    };
  },

  blockedUsers: async (_root: unknown, args: PageArgs, context: ProfileContext) => {
    const viewer = requireViewer(context);
    const { size, after } = keysetPage(args);
    const { store } = context.profile;
    const filter = { blockerId: viewer.id };
    const [rows, totalCount] = await Promise.all([
      store.blocks
        .find({ ...filter, ...afterFilter(after) })
        .sort({ createdAt: -1, _id: -1 })
        .limit(size + 1)
        .toArray(),
      store.blocks.countDocuments(filter),
    ]);
    return {
      ...edgeConnection(
        rows,
        size,
        (row) => row.createdAt,
        (row) => ({ node: { id: row.blockedId }, blockedAt: row.createdAt }),
        after,
      ),
      totalCount,
    };
  },
};
