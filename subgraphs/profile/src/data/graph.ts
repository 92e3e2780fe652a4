import { badUserInput, conflict, forbidden, notFound } from '@social/kit';
import { randomUUID } from 'node:crypto';
import { recordActivity } from './activities.js';
import type { FriendRequestDocument, ProfileDocument } from './collections.js';
import {
  addFollow,
  addFriendship,
  areFriends,
  blockedEitherWay,
  cancelPendingBetween,
  checkRequestId,
  checkUserId,
  countMutualFriends,
  displayNameOf,
  FRIEND_REQUEST_MESSAGE_MAX,
  graphTransaction,
  iso,
  ownProfile,
  profilesOf,
  removeEdgesBetween,
  removeFollow,
  removeFollows,
  removeFriendship,
  removeFriendships,
  requestClosed,
  type Session,
  visibleTarget,
} from './graph-edges.js';
import type { ProfileStore } from './store.js';

/**
 * The social graph (friendships, follows, blocks, friend requests): every change runs in one
 * transaction with its counters and events.
 *
 * Counters (`statistics.friendsCount / followersCount / followingCount`) change with `$inc` in the
 * transaction of the edge insert or delete, and only when that insert or delete happened: a
 * follow that already exists or an unfollow of nothing changes nothing. Edge inserts also write
 * both profiles (`$inc`), so concurrent changes around one user serialise on write conflicts
 * (retried by the driver) and the counts stay equal to the number of edges.
 *
 * Blocks are checked by follow and sendFriendRequest inside their transaction, and block removes
 * the edges inside its own. Transactions read committed data, so a follow and a block racing each
 * other could each miss the other's uncommitted write; both therefore look again after their
 * commit (each writes, then reads what the other writes), and whichever comes second cleans up.
 *
 * The one exception to "one change, one transaction" is a deleted user (removeUserGraphBatch):
 * a popular user has too many edges for one transaction, so they go in batches, each with its
 * counters and events, worked in the background (graph-cleanup.ts).
 */

// -- Friend requests ----------------------------------------------------------------------------

export async function sendFriendRequest(
  store: ProfileStore,
  senderId: string,
  receiverId: string,
  rawMessage: string | null | undefined,
): Promise<FriendRequestDocument> {
  checkUserId(receiverId);
  if (receiverId === senderId) throw badUserInput('You cannot send a friend request to yourself', 'userId');
  const message = rawMessage?.trim() ? rawMessage.trim() : null;
  if (message !== null && message.length > FRIEND_REQUEST_MESSAGE_MAX) {
    throw badUserInput(`message must be at most ${FRIEND_REQUEST_MESSAGE_MAX} characters`, 'message');
  }
  const request = await graphTransaction(store, async (session) => {
    const [senderProfile, receiverProfile] = await profilesOf(store, session, senderId, receiverId);
    const sender = ownProfile(senderProfile ?? null, senderId);
    const receiver = visibleTarget(receiverProfile ?? null, receiverId);
    if (await blockedEitherWay(store, senderId, receiverId, session)) {
      throw forbidden('You cannot send this user a friend request', 'BLOCKED');
    }
    if (await areFriends(store, session, senderId, receiverId)) throw conflict('You are already friends');
    const now = new Date();
    const pending = await store.friendRequests
      .find(
        {
          status: 'Pending',
          expiresAt: { $gt: now },
          $or: [
            { senderId, receiverId },
            { senderId: receiverId, receiverId: senderId },
          ],
        },
        { session, projection: { _id: 1 } },
      )
      .toArray();
    if (pending.length > 0) throw conflict('A friend request between you is already pending');
    if (!receiver.privacySettings.allowFriendRequests) {
      throw forbidden('This user does not accept friend requests', 'FRIEND_REQUESTS_OFF');
    }
    checkFriendLimit(store, sender, receiver);
    // One document per ordered pair: a request re-sent after it was declined, cancelled or
    // accepted (and the friendship since ended) replaces the old one, under a new id.
    await store.friendRequests.deleteOne({ senderId, receiverId }, { session });
    const document: FriendRequestDocument = {
      _id: randomUUID(),
      senderId,
      senderUsername: sender.username,
      senderDisplayName: displayNameOf(sender),
      senderAvatarUrl: sender.avatarUrl,
      receiverId,
      receiverUsername: receiver.username,
      receiverDisplayName: displayNameOf(receiver),
      receiverAvatarUrl: receiver.avatarUrl,
      message,
      status: 'Pending',
      sentAt: now,
      respondedAt: null,
      expiresAt: new Date(now.getTime() + store.config.FRIEND_REQUEST_TTL_SECONDS * 1000),
      createdAt: now,
      updatedAt: now,
    };
    await store.friendRequests.insertOne(document, { session });
    await store.outbox.enqueue(session, 'FriendRequestSent', {
      requestId: document._id,
      senderId,
      receiverId,
      message,
      sentAt: iso(now),
      mutualFriendsCount: await countMutualFriends(store, session, senderId, receiverId),
    });
    return document;
  });
  // A block committed while this ran (see the file comment) wins: withdraw the request.
  if (await blockedEitherWay(store, senderId, receiverId)) {
    await graphTransaction(store, (session) => cancelPendingBetween(store, session, senderId, receiverId));
    throw forbidden('You cannot send this user a friend request', 'BLOCKED');
  }
  return request;
}

function checkFriendLimit(store: ProfileStore, ...profiles: ProfileDocument[]) {
  const max = store.config.MAX_FRIENDS;
  if (profiles.some((profile) => profile.statistics.friendsCount >= max)) {
    throw forbidden(`A user can have at most ${max} friends`, 'FRIEND_LIMIT_REACHED');
  }
}

/** The request `requestId` if `viewerId` is its `side` and it has not expired, else NOT_FOUND. */
async function requestOf(
  store: ProfileStore,
  session: Session,
  requestId: string,
  viewerId: string,
  side: 'senderId' | 'receiverId',
): Promise<FriendRequestDocument> {
  const request = await store.friendRequests.findOne({ _id: requestId }, { session });
  if (!request || request[side] !== viewerId || request.expiresAt.getTime() <= Date.now()) {
    throw notFound('FriendRequest', requestId);
  }
  return request;
}

export async function respondToFriendRequest(
  store: ProfileStore,
  viewerId: string,
  requestId: string,
  accept: boolean,
): Promise<FriendRequestDocument> {
  checkRequestId(requestId);
  return graphTransaction(store, async (session) => {
    const request = await requestOf(store, session, requestId, viewerId, 'receiverId');
    if (request.status !== 'Pending') throw conflict('This friend request is no longer pending');
    const now = new Date();
    if (!accept) {
      const declined = { ...request, status: 'Rejected' as const, respondedAt: now, updatedAt: now };
      await store.friendRequests.updateOne(
        { _id: request._id },
        { $set: { status: 'Rejected', respondedAt: now, updatedAt: now } },
        { session },
      );
      await requestClosed(store, session, request, 'REJECTED');
      return declined;
    }
    const [senderProfile, receiverProfile] = await profilesOf(store, session, request.senderId, viewerId);
    const sender = visibleTarget(senderProfile ?? null, request.senderId);
    const receiver = ownProfile(receiverProfile ?? null, viewerId);
    const alreadyFriends = await areFriends(store, session, sender._id, receiver._id);
    if (!alreadyFriends) checkFriendLimit(store, sender, receiver);
    // Requests sent both ways at the same moment: accepting one settles both.
    const settled = await store.friendRequests
      .find(
        {
          status: 'Pending',
          $or: [{ _id: request._id }, { senderId: viewerId, receiverId: request.senderId }],
        },
        { session },
      )
      .toArray();
    for (const each of settled) {
      await store.friendRequests.updateOne(
        { _id: each._id },
        { $set: { status: 'Accepted', respondedAt: now, updatedAt: now } },
        { session },
      );
      await store.outbox.enqueue(session, 'FriendRequestAccepted', {
        requestId: each._id,
        senderId: each.senderId,
        receiverId: each.receiverId,
        acceptedAt: iso(now),
      });
    }
    if (await addFriendship(store, session, sender._id, receiver._id, now)) {
      for (const [user, friend] of [
        [sender, receiver],
        [receiver, sender],
      ] as const) {
        await recordActivity(store, session, {
          userId: user._id,
          activityType: 'FriendAdded',
          description: `Became friends with ${displayNameOf(friend)}`,
          metadata: { friendId: friend._id, friendUsername: friend.username },
          isPublic: true,
        });
      }
    }
    return { ...request, status: 'Accepted' as const, respondedAt: now, updatedAt: now };
  });
}

export async function cancelFriendRequest(
  store: ProfileStore,
  viewerId: string,
  requestId: string,
): Promise<FriendRequestDocument> {
  checkRequestId(requestId);
  return graphTransaction(store, async (session) => {
    const request = await requestOf(store, session, requestId, viewerId, 'senderId');
    if (request.status !== 'Pending') throw conflict('This friend request is no longer pending');
    const now = new Date();
    await store.friendRequests.updateOne(
      { _id: request._id },
      { $set: { status: 'Cancelled', respondedAt: now, updatedAt: now } },
      { session },
    );
    await requestClosed(store, session, request, 'CANCELLED');
    return { ...request, status: 'Cancelled' as const, respondedAt: now, updatedAt: now };
  });
}

// -- Friends, follows, blocks -------------------------------------------------------------------

export async function removeFriend(store: ProfileStore, viewerId: string, friendId: string): Promise<void> {
  checkUserId(friendId);
  await graphTransaction(store, async (session) => {
    const [friendProfile] = await profilesOf(store, session, friendId);
    if (!(await removeFriendship(store, session, viewerId, friendId, 'REQUESTED'))) {
      throw notFound('Friend', friendId);
    }
    await recordActivity(store, session, {
      userId: viewerId,
      activityType: 'FriendRemoved',
      description: `Removed ${friendProfile ? displayNameOf(friendProfile) : 'a friend'} from friends`,
      metadata: { friendId, ...(friendProfile ? { friendUsername: friendProfile.username } : {}) },
      isPublic: false,
    });
  });
}

export async function follow(store: ProfileStore, viewerId: string, followeeId: string): Promise<void> {
  checkUserId(followeeId);
  if (followeeId === viewerId) throw badUserInput('You cannot follow yourself', 'userId');
  const followed = await graphTransaction(store, async (session) => {
    const [followee] = await profilesOf(store, session, followeeId);
    visibleTarget(followee ?? null, followeeId);
    if (await blockedEitherWay(store, viewerId, followeeId, session)) {
      throw forbidden('You cannot follow this user', 'BLOCKED');
    }
    return addFollow(store, session, viewerId, followeeId);
  });
  // A block committed while this ran (see the file comment) wins: undo the follow.
  if (followed && (await blockedEitherWay(store, viewerId, followeeId))) {
    await graphTransaction(store, (session) => removeFollow(store, session, viewerId, followeeId, 'BLOCKED'));
    throw forbidden('You cannot follow this user', 'BLOCKED');
  }
}

export async function unfollow(store: ProfileStore, viewerId: string, followeeId: string): Promise<void> {
  checkUserId(followeeId);
  await graphTransaction(store, (session) => removeFollow(store, session, viewerId, followeeId, 'REQUESTED'));
}

export async function block(store: ProfileStore, viewerId: string, blockedId: string): Promise<void> {
  checkUserId(blockedId);
  if (blockedId === viewerId) throw badUserInput('You cannot block yourself', 'userId');
  await graphTransaction(store, async (session) => {
    const [target] = await profilesOf(store, session, blockedId);
    if (!target || target.isDeleted) throw notFound('User', blockedId);
    const existing = await store.blocks.findOne({ blockerId: viewerId, blockedId }, { session });
    if (existing) return;
    const now = new Date();
    await store.blocks.insertOne(
      { _id: randomUUID(), blockerId: viewerId, blockedId, createdAt: now },
      { session },
    );
    await removeEdgesBetween(store, session, viewerId, blockedId);
    await store.outbox.enqueue(session, 'UserBlocked', {
      blockerId: viewerId,
      blockedId,
      blockedAt: iso(now),
    });
  });
  // Edges committed while the block ran (see the file comment); usually finds nothing.
  await graphTransaction(store, (session) => removeEdgesBetween(store, session, viewerId, blockedId));
}

export async function unblock(store: ProfileStore, viewerId: string, blockedId: string): Promise<void> {
  checkUserId(blockedId);
  await graphTransaction(store, async (session) => {
    const { deletedCount } = await store.blocks.deleteOne({ blockerId: viewerId, blockedId }, { session });
    if (deletedCount > 0) {
      await store.outbox.enqueue(session, 'UserUnblocked', { blockerId: viewerId, blockedId });
    }
  });
}

// -- Account deletion ---------------------------------------------------------------------------

/** What one batch of a deleted user's graph removal did. */
export interface GraphRemovalBatch {
  /** Edges the batch took: a friendship, a follow, a block or a friend request counts one. */
  readonly edges: number;
  /** The batch found fewer edges than it could take: the user has none left. */
  readonly done: boolean;
}

/**
 * Takes up to `limit` of a deleted user's edges out of the graph, in the caller's transaction (one
 * transaction per batch, graph-cleanup.ts): friendships (both sides) first, then follows (both
 * directions), blocks (both ways) and friend requests. Every counter drops by one per edge side
 * deleted, and FriendRemoved / UserUnfollowed (reason USER_DELETED) and FriendRequestClosed (for
 * pending requests) tell feed, chat and notification.
 *
 * Re-runnable: run again (a retried transaction, a second worker) it finds only what is left, and
 * only what it deletes moves counters or produces events. The batch that finds fewer than `limit`
 * edges took the last ones and also sets the user's own counters to zero. Nothing adds edges to
 * the user meanwhile: follows and friend requests refuse hidden users, and the transaction that
 * hid the profile wrote it, so those that raced it conflicted with it.
 */
export async function removeUserGraphBatch(
  store: ProfileStore,
  session: Session,
  userId: string,
  limit: number,
): Promise<GraphRemovalBatch> {
  const reason = 'USER_DELETED' as const;
  let left = limit;
  /** The next rows of one kind, at most as many as the batch has room for (limit 0 means all). */
  const next = async <T>(query: (room: number) => Promise<T[]>): Promise<T[]> => {
    if (left <= 0) return [];
    const rows = await query(left);
    left -= rows.length;
    return rows;
  };

  // The user's sides, then other users' sides left without a counterpart.
  const mine = await next((room) =>
    store.friendships
      .find({ userId }, { session, projection: { friendId: 1 } })
      .limit(room)
      .toArray(),
  );
  await removeFriendships(
    store,
    session,
    mine.map((side) => ({ userId, friendId: side.friendId })),
    reason,
  );
  const theirs = await next((room) =>
    store.friendships
      .find({ friendId: userId }, { session, projection: { userId: 1 } })
      .limit(room)
      .toArray(),
  );
  await removeFriendships(
    store,
    session,
    theirs.map((side) => ({ userId, friendId: side.userId })),
    reason,
  );

  const following = await next((room) =>
    store.follows
      .find({ followerId: userId }, { session, projection: { followeeId: 1 } })
      .limit(room)
      .toArray(),
  );
  await removeFollows(
    store,
    session,
    following.map((edge) => ({ followerId: userId, followeeId: edge.followeeId })),
    reason,
  );
  const followers = await next((room) =>
    store.follows
      .find({ followeeId: userId }, { session, projection: { followerId: 1 } })
      .limit(room)
      .toArray(),
  );
  await removeFollows(
    store,
    session,
    followers.map((edge) => ({ followerId: edge.followerId, followeeId: userId })),
    reason,
  );

  for (const side of ['blockerId', 'blockedId'] as const) {
    const blocks = await next((room) =>
      store.blocks
        .find({ [side]: userId }, { session, projection: { _id: 1 } })
        .limit(room)
        .toArray(),
    );
    if (blocks.length > 0) {
      await store.blocks.deleteMany({ _id: { $in: blocks.map((edge) => edge._id) } }, { session });
    }
  }

  // Every request of the user goes; the pending ones are announced as withdrawn.
  for (const side of ['senderId', 'receiverId'] as const) {
    const requests = await next((room) =>
      store.friendRequests
        .find({ [side]: userId }, { session, projection: { _id: 1 } })
        .limit(room)
        .toArray(),
    );
    for (const { _id } of requests) {
      const request = await store.friendRequests.findOneAndDelete({ _id }, { session });
      if (request?.status === 'Pending') await requestClosed(store, session, request, 'CANCELLED');
    }
  }

  const done = left > 0;
  if (done) {
    await store.profiles.updateOne(
      { _id: userId },
      {
        $set: {
          'statistics.friendsCount': 0,
          'statistics.followersCount': 0,
          'statistics.followingCount': 0,
        },
      },
      { session },
    );
  }
  return { edges: limit - left, done };
}
