import { UUID_PATTERN, badUserInput, isDuplicateKeyError, notFound } from '@social/kit';
import type { ClientSession } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { EdgeRemovalReason } from '../events.js';
import type { FriendRequestDocument, ProfileDocument } from './collections.js';
import type { ProfileStore } from './store.js';

/**
 * The social graph's building blocks: id checks, transactions, counters and the edge primitives
 * every graph change (graph.ts) and the deleted-user cleanup are made of. Each primitive runs
 * inside the caller's transaction and changes a counter only for an edge it really inserted or
 * deleted (see graph.ts for why).
 */

/** At most this many characters in a friend request's message (seed 002). */
export const FRIEND_REQUEST_MESSAGE_MAX = 200;

export type Session = ClientSession;

export const iso = (date: Date) => date.toISOString();

/** A user id argument: a UUID, else BAD_USER_INPUT before any database work. */
export function checkUserId(id: string, field = 'userId'): string {
  if (!UUID_PATTERN.test(id)) throw badUserInput(`${field} must be a user id`, field);
  return id;
}

/** A friend request id argument (a UUID, as this service makes them), else BAD_USER_INPUT. */
export function checkRequestId(id: string): string {
  if (!UUID_PATTERN.test(id)) throw badUserInput('requestId must be a friend request id', 'requestId');
  return id;
}

/** Deleted or suspended: gone for everyone but staff. */
export function isHidden(profile: ProfileDocument): boolean {
  return profile.isDeleted || !profile.isActive;
}

/**
 * A graph transaction. A unique-key violation inside a transaction (two transactions inserting the
 * same edge, the second after the first committed) aborts it without the driver's retry label;
 * running it again sees the committed edge and takes the idempotent path.
 */
export async function graphTransaction<T>(
  store: ProfileStore,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await store.transaction(fn);
    } catch (error) {
      if (attempt >= 3 || !isDuplicateKeyError(error)) throw error;
    }
  }
}

export async function profilesOf(store: ProfileStore, session: Session, ...ids: string[]) {
  const found = await store.profiles.find({ _id: { $in: ids } }, { session }).toArray();
  return ids.map((id) => found.find((profile) => profile._id === id) ?? null);
}

/** The user `id` as others may act on them: an existing, visible profile, else NOT_FOUND. */
export function visibleTarget(profile: ProfileDocument | null, id: string): ProfileDocument {
  if (!profile || isHidden(profile)) throw notFound('User', id);
  return profile;
}

export function ownProfile(profile: ProfileDocument | null, id: string): ProfileDocument {
  if (!profile) throw notFound('User', id);
  return profile;
}

export async function blockedEitherWay(
  store: ProfileStore,
  a: string,
  b: string,
  session?: Session,
): Promise<boolean> {
  const block = await store.blocks.findOne(
    {
      $or: [
        { blockerId: a, blockedId: b },
        { blockerId: b, blockedId: a },
      ],
    },
    { session, projection: { _id: 1 } },
  );
  return block !== null;
}

export async function areFriends(
  store: ProfileStore,
  session: Session,
  a: string,
  b: string,
): Promise<boolean> {
  return (
    (await store.friendships.findOne({ userId: a, friendId: b }, { session, projection: { _id: 1 } })) !==
    null
  );
}

/**
 * `$inc` of one counter by `by` for each occurrence of a user in `userIds`: a user listed twice
 * (the deleted user in a batch of their edges) moves twice. One update per distinct multiplicity.
 */
export async function incCounter(
  store: ProfileStore,
  session: Session,
  userIds: string | readonly string[],
  counter: 'friendsCount' | 'followersCount' | 'followingCount',
  by: number,
): Promise<void> {
  const times = new Map<string, number>();
  for (const id of typeof userIds === 'string' ? [userIds] : userIds) times.set(id, (times.get(id) ?? 0) + 1);
  const byTimes = new Map<number, string[]>();
  for (const [id, count] of times) byTimes.set(count, [...(byTimes.get(count) ?? []), id]);
  for (const [count, ids] of byTimes) {
    await store.profiles.updateMany(
      { _id: { $in: ids } },
      { $inc: { [`statistics.${counter}`]: by * count } },
      { session },
    );
  }
}

export const displayNameOf = (profile: ProfileDocument) => profile.displayName || profile.username;

// -- Edge primitives (inside a transaction) -----------------------------------------------------

/** Inserts the follow edge unless it exists; counters and UserFollowed only when it was new. */
export async function addFollow(
  store: ProfileStore,
  session: Session,
  followerId: string,
  followeeId: string,
) {
  const existing = await store.follows.findOne(
    { followerId, followeeId },
    { session, projection: { _id: 1 } },
  );
  if (existing) return false;
  const now = new Date();
  await store.follows.insertOne({ _id: randomUUID(), followerId, followeeId, createdAt: now }, { session });
  await incCounter(store, session, followerId, 'followingCount', 1);
  await incCounter(store, session, followeeId, 'followersCount', 1);
  await store.outbox.enqueue(session, 'UserFollowed', { followerId, followeeId, followedAt: iso(now) });
  return true;
}

interface FollowEdge {
  readonly followerId: string;
  readonly followeeId: string;
}

/**
 * Deletes follow edges, one by one so each is known to have gone: counters and UserUnfollowed
 * only for those that were deleted (not for one another transaction deleted first). Resolves
 * with how many were.
 */
export async function removeFollows(
  store: ProfileStore,
  session: Session,
  edges: readonly FollowEdge[],
  reason: EdgeRemovalReason,
): Promise<number> {
  const removed: FollowEdge[] = [];
  for (const { followerId, followeeId } of edges) {
    const { deletedCount } = await store.follows.deleteOne({ followerId, followeeId }, { session });
    if (deletedCount > 0) removed.push({ followerId, followeeId });
  }
  await incCounter(
    store,
    session,
    removed.map((edge) => edge.followerId),
    'followingCount',
    -1,
  );
  await incCounter(
    store,
    session,
    removed.map((edge) => edge.followeeId),
    'followersCount',
    -1,
  );
  for (const { followerId, followeeId } of removed) {
    await store.outbox.enqueue(session, 'UserUnfollowed', { followerId, followeeId, reason });
  }
  return removed.length;
}

/** Deletes the follow edge if it exists; counters and UserUnfollowed only when it did. */
export async function removeFollow(
  store: ProfileStore,
  session: Session,
  followerId: string,
  followeeId: string,
  reason: EdgeRemovalReason,
) {
  return (await removeFollows(store, session, [{ followerId, followeeId }], reason)) > 0;
}

/** Inserts both sides of a friendship unless it exists; counters only when it was new. */
export async function addFriendship(
  store: ProfileStore,
  session: Session,
  a: string,
  b: string,
  since: Date,
) {
  if (await areFriends(store, session, a, b)) return false;
  await store.friendships.insertMany(
    [
      { _id: randomUUID(), userId: a, friendId: b, createdAt: since },
      { _id: randomUUID(), userId: b, friendId: a, createdAt: since },
    ],
    { session },
  );
  await incCounter(store, session, [a, b], 'friendsCount', 1);
  return true;
}

interface FriendPair {
  readonly userId: string;
  readonly friendId: string;
}

/**
 * Deletes both sides of friendships: each side's counter only when that side was deleted, and one
 * FriendRemoved per friendship of which a side was. Resolves with how many friendships ended.
 */
export async function removeFriendships(
  store: ProfileStore,
  session: Session,
  pairs: readonly FriendPair[],
  reason: EdgeRemovalReason,
): Promise<number> {
  const decremented: string[] = [];
  const ended: FriendPair[] = [];
  for (const { userId, friendId } of pairs) {
    const mine = await store.friendships.deleteOne({ userId, friendId }, { session });
    const theirs = await store.friendships.deleteOne({ userId: friendId, friendId: userId }, { session });
    if (mine.deletedCount > 0) decremented.push(userId);
    if (theirs.deletedCount > 0) decremented.push(friendId);
    if (mine.deletedCount > 0 || theirs.deletedCount > 0) ended.push({ userId, friendId });
  }
  await incCounter(store, session, decremented, 'friendsCount', -1);
  for (const { userId, friendId } of ended) {
    await store.outbox.enqueue(session, 'FriendRemoved', { userId, friendId, reason });
  }
  return ended.length;
}

/** Deletes both sides of a friendship; each side's counter only when that side existed. */
export async function removeFriendship(
  store: ProfileStore,
  session: Session,
  userId: string,
  friendId: string,
  reason: EdgeRemovalReason,
) {
  return (await removeFriendships(store, session, [{ userId, friendId }], reason)) > 0;
}

/** FriendRequestClosed for a pending request that was just declined, withdrawn or dropped. */
export function requestClosed(
  store: ProfileStore,
  session: Session,
  request: FriendRequestDocument,
  status: 'REJECTED' | 'CANCELLED',
) {
  return store.outbox.enqueue(session, 'FriendRequestClosed', {
    requestId: request._id,
    senderId: request.senderId,
    receiverId: request.receiverId,
    status,
  });
}

/** Cancels the pending requests between two users (either direction), with their events. */
export async function cancelPendingBetween(store: ProfileStore, session: Session, a: string, b: string) {
  const pending = await store.friendRequests
    .find(
      {
        status: 'Pending',
        $or: [
          { senderId: a, receiverId: b },
          { senderId: b, receiverId: a },
        ],
      },
      { session },
    )
    .toArray();
  const now = new Date();
  for (const request of pending) {
    await store.friendRequests.updateOne(
      { _id: request._id, status: 'Pending' },
      { $set: { status: 'Cancelled', respondedAt: now, updatedAt: now } },
      { session },
    );
    await requestClosed(store, session, request, 'CANCELLED');
  }
}

/** Removes every edge between two users (a block): friendship, follows, pending requests. */
export async function removeEdgesBetween(
  store: ProfileStore,
  session: Session,
  blockerId: string,
  blockedId: string,
) {
  await removeFriendship(store, session, blockerId, blockedId, 'BLOCKED');
  await removeFollow(store, session, blockerId, blockedId, 'BLOCKED');
  await removeFollow(store, session, blockedId, blockerId, 'BLOCKED');
  await cancelPendingBetween(store, session, blockerId, blockedId);
}

/** Number of friends `a` and `b` have in common (both lists are bounded by MAX_FRIENDS). */
export async function countMutualFriends(store: ProfileStore, session: Session, a: string, b: string) {
  const friendsOfB = await store.friendships
    .find({ userId: b }, { session, projection: { friendId: 1 } })
    .limit(store.config.MAX_FRIENDS)
    .toArray();
  if (friendsOfB.length === 0) return 0;
  return store.friendships.countDocuments(
    { userId: a, friendId: { $in: friendsOfB.map((f) => f.friendId) } },
    { session },
  );
}
