import { isHidden } from '../data/graph-edges.js';
import type { EdgeKind } from '../graph-loaders.js';
import type { ProfileContext } from '../subgraph.js';
import { edgeConnection, keysetPage, type PageArgs } from './connections.js';
import { viewOf, visibleProfile, type UserRef } from './view.js';

type FriendshipStatus = 'NONE' | 'REQUEST_SENT' | 'REQUEST_RECEIVED' | 'FRIENDS' | 'BLOCKED';

/** A page of one of the user's lists, if the viewer may see the user's connections. */
async function edgeList(
  user: UserRef,
  args: PageArgs,
  context: ProfileContext,
  kind: Exclude<EdgeKind, 'mutual'>,
) {
  const profile = await visibleProfile(user, context, 'connections');
  if (!profile) return null;
  const { size, after } = keysetPage(args);
  const rows = await context.loaders.graph.page({ kind, userId: user.id, size, after });
  const totalCount =
    kind === 'friends'
      ? profile.statistics.friendsCount
      : kind === 'followers'
        ? profile.statistics.followersCount
        : profile.statistics.followingCount;
  const connection =
    kind === 'friends'
      ? edgeConnection(
          rows,
          size,
          (row) => row.createdAt,
          (row) => ({ node: { id: row.otherId }, friendsSince: row.createdAt }),
          after,
        )
      : edgeConnection(
          rows,
          size,
          (row) => row.createdAt,
          (row) => ({ node: { id: row.otherId }, followedAt: row.createdAt }),
          after,
        );
  return { ...connection, totalCount };
}

/** The user's profile when mutual friends are defined for this viewer (signed in, another user, connections visible). */
async function mutualScope(user: UserRef, context: ProfileContext) {
  if (!context.viewer || context.viewer.id === user.id) return null;
  return visibleProfile(user, context, 'connections');
}

const counter =
  (key: 'friendsCount' | 'followersCount' | 'followingCount') =>
  async (user: UserRef, _args: unknown, context: ProfileContext) =>
    (await visibleProfile(user, context, 'connections'))?.statistics[key] ?? null;

/** User fields of the social graph and presence (the profile document's fields are in User.ts). */
export const GraphUser = {
  friends: (user: UserRef, args: PageArgs, context: ProfileContext) =>
    edgeList(user, args, context, 'friends'),
  followers: (user: UserRef, args: PageArgs, context: ProfileContext) =>
    edgeList(user, args, context, 'followers'),
  following: (user: UserRef, args: PageArgs, context: ProfileContext) =>
    edgeList(user, args, context, 'following'),
  friendsCount: counter('friendsCount'),
  followersCount: counter('followersCount'),
  followingCount: counter('followingCount'),

  mutualFriends: async (user: UserRef, args: PageArgs, context: ProfileContext) => {
    if (!(await mutualScope(user, context))) return null;
    const { size, after } = keysetPage(args);
    const [rows, totalCount] = await Promise.all([
      context.loaders.graph.page({ kind: 'mutual', userId: user.id, size, after }),
      context.loaders.graph.mutualFriendsCount.load(user.id),
    ]);
    return {
      ...edgeConnection(
        rows,
        size,
        (row) => row.createdAt,
        (row) => ({ node: { id: row.otherId }, friendsSince: row.createdAt }),
        after,
      ),
      totalCount,
    };
  },
  mutualFriendsCount: async (user: UserRef, _args: unknown, context: ProfileContext) =>
    (await mutualScope(user, context)) ? context.loaders.graph.mutualFriendsCount.load(user.id) : null,

  // A viewer the user has blocked learns nothing from these: NONE / null / false throughout.
  friendshipStatus: async (
    user: UserRef,
    _args: unknown,
    context: ProfileContext,
  ): Promise<FriendshipStatus> => {
    if (!context.viewer) return 'NONE';
    const relation = await context.loaders.relation.load(user.id);
    if (relation.self) return 'NONE';
    // The viewer knows whom they blocked; a user who blocked the viewer looks like a stranger.
    if (relation.viewerBlocked) return 'BLOCKED';
    if (relation.blockedViewer) return 'NONE';
    if (relation.friends) return 'FRIENDS';
    if (relation.pendingRequest) {
      return relation.pendingRequest.senderId === context.viewer.id ? 'REQUEST_SENT' : 'REQUEST_RECEIVED';
    }
    return 'NONE';
  },
  pendingFriendRequest: async (user: UserRef, _args: unknown, context: ProfileContext) => {
    if (!context.viewer) return null;
    const relation = await context.loaders.relation.load(user.id);
    return relation.blockedViewer ? null : relation.pendingRequest;
  },
  viewerCanSendFriendRequest: async (user: UserRef, _args: unknown, context: ProfileContext) => {
    const viewer = context.viewer;
    if (!viewer || viewer.id === user.id) return false;
    const [{ profile, relation }, own] = await Promise.all([
      viewOf(user, context),
      context.loaders.profile.load(viewer.id),
    ]);
    const max = context.profile.config.MAX_FRIENDS;
    return (
      profile !== null &&
      own !== null &&
      !isHidden(profile) &&
      profile.privacySettings.allowFriendRequests &&
      !relation.friends &&
      !relation.pendingRequest &&
      !relation.viewerBlocked &&
      !relation.blockedViewer &&
      profile.statistics.friendsCount < max &&
      own.statistics.friendsCount < max
    );
  },
  isFollowedByViewer: async (user: UserRef, _args: unknown, context: ProfileContext) =>
    context.viewer ? (await context.loaders.relation.load(user.id)).viewerFollows : false,
  followsViewer: async (user: UserRef, _args: unknown, context: ProfileContext) => {
    if (!context.viewer) return false;
    const relation = await context.loaders.relation.load(user.id);
    return relation.followsViewer && !relation.blockedViewer;
  },

  isOnline: async (user: UserRef, _args: unknown, context: ProfileContext) =>
    (await visibleProfile(user, context, 'onlineStatus')) ? context.loaders.online.load(user.id) : null,
  lastSeenAt: async (user: UserRef, _args: unknown, context: ProfileContext) =>
    (await visibleProfile(user, context, 'lastSeen'))?.lastSeenAt ?? null,
};
