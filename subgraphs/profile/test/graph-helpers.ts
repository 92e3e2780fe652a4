import type { EventEnvelope } from '@social/kit';
import { gatewayOperations, type TestAccount } from '@social/testing';
import type { ProfileTestbed } from './helpers.js';

/** The social graph's operations, as a client writes them, and small helpers of the graph tests. */

export const SEND_REQUEST = `mutation ($userId: ID!, $message: String) {
  sendFriendRequest(userId: $userId, message: $message) {
    id status message sentAt respondedAt expiresAt sender { id username } receiver { id username }
  }
}`;
export const RESPOND = `mutation ($id: ID!, $accept: Boolean!) {
  respondToFriendRequest(requestId: $id, accept: $accept) { id status respondedAt }
}`;
export const CANCEL = `mutation ($id: ID!) { cancelFriendRequest(requestId: $id) { id status respondedAt } }`;
export const REQUESTS = `query ($direction: FriendRequestDirection!, $status: FriendRequestStatus, $first: Int, $after: String) {
  friendRequests(direction: $direction, status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id status message sender { id } receiver { id } } }
  }
}`;
export const REMOVE_FRIEND = `mutation ($userId: ID!) { removeFriend(userId: $userId) { id } }`;
export const FOLLOW = `mutation ($userId: ID!) { follow(userId: $userId) { id isFollowedByViewer } }`;
export const UNFOLLOW = `mutation ($userId: ID!) { unfollow(userId: $userId) { id isFollowedByViewer } }`;
export const BLOCK = `mutation ($userId: ID!) { block(userId: $userId) { id friendshipStatus } }`;
export const UNBLOCK = `mutation ($userId: ID!) { unblock(userId: $userId) { id friendshipStatus } }`;
export const SET_PRESENCE = `mutation ($online: Boolean!) { setPresence(online: $online) }`;

/** How the viewer sees a user: relation, counts and presence. */
export const RELATION = `query ($id: ID!) { user(id: $id) {
  id username displayName friendshipStatus isFollowedByViewer followsViewer viewerCanSendFriendRequest
  pendingFriendRequest { id status sender { id } }
  friendsCount followersCount followingCount mutualFriendsCount isOnline lastSeenAt
} }`;

export interface Relation {
  id: string;
  username: string;
  displayName: string | null;
  friendshipStatus: string;
  isFollowedByViewer: boolean;
  followsViewer: boolean;
  viewerCanSendFriendRequest: boolean;
  pendingFriendRequest: { id: string; status: string; sender: { id: string } } | null;
  friendsCount: number | null;
  followersCount: number | null;
  followingCount: number | null;
  mutualFriendsCount: number | null;
  isOnline: boolean | null;
  lastSeenAt: string | null;
}

export type Vars = Record<string, unknown>;

export function graphClient(testbed: ProfileTestbed) {
  const { run, failureCode: failure } = gatewayOperations(testbed.supergraph);
  const relation = async (viewer: TestAccount | undefined, user: TestAccount) =>
    (await run<{ user: Relation }>(RELATION, { id: user.id }, viewer)).user;
  const send = async (from: TestAccount, to: TestAccount, message?: string) =>
    (
      await run<{ sendFriendRequest: { id: string; status: string } }>(
        SEND_REQUEST,
        { userId: to.id, message },
        from,
      )
    ).sendFriendRequest;
  /** Makes two users friends (a request accepted). */
  async function befriend(a: TestAccount, b: TestAccount) {
    const request = await send(a, b);
    await run(RESPOND, { id: request.id, accept: true }, b);
  }
  return { run, failure, relation, send, befriend };
}

/** Collects the profile stream's events from the start of the bus (a group of this test's own). */
export async function recordEvents(testbed: ProfileTestbed, group: string) {
  const events: EventEnvelope[] = [];
  await testbed.supergraph.stack.resources.events.subscribe('profile', group, async (event) => {
    events.push(event);
  });
  /** The first event of `type` whose data matches `fields`, waiting for it if needed. */
  async function waitFor(type: string, fields: Record<string, unknown>): Promise<EventEnvelope> {
    const matches = (event: EventEnvelope) =>
      event.type === type &&
      Object.entries(fields).every(([key, value]) => (event.data as Record<string, unknown>)[key] === value);
    const found = await testbed.eventually(
      async () => events.find(matches),
      (event) => event !== undefined,
    );
    return found as EventEnvelope;
  }
  const count = (type: string, fields: Record<string, unknown>) =>
    events.filter(
      (event) =>
        event.type === type &&
        Object.entries(fields).every(
          ([key, value]) => (event.data as Record<string, unknown>)[key] === value,
        ),
    ).length;
  return { events, waitFor, count };
}

/**
 * Resolves once a deleted user is out of the graph: their profile is marked deleted and the
 * background cleanup's job is gone (the two are committed together, the job deleted with the
 * last batch of edges).
 */
export async function graphCleanupFinished(testbed: ProfileTestbed, userId: string, timeoutMs = 60_000) {
  await testbed.eventually(
    async () => ({
      profile: await testbed.db.collection('user_profiles').findOne({ _id: userId as never }),
      job: await testbed.db.collection('graph_cleanups').findOne({ _id: userId as never }),
    }),
    ({ profile, job }) => profile?.isDeleted === true && job === null,
    timeoutMs,
  );
}
