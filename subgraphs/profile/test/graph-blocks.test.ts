/**
 * Blocking through the gateway: it removes the friendship, follows and pending requests both
 * ways (counts and events included), the blocked user sees nothing but id and username and can
 * no longer follow or befriend, and unblocking restores nothing but the possibility.
 */
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import {
  BLOCK,
  FOLLOW,
  REQUESTS,
  SEND_REQUEST,
  SET_PRESENCE,
  UNBLOCK,
  graphClient,
  recordEvents,
} from './graph-helpers.js';

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;
let bus: Awaited<ReturnType<typeof recordEvents>>;

beforeAll(async () => {
  testbed = await startProfileTestbed();
  client = graphClient(testbed);
  bus = await recordEvents(testbed, 'graph-blocks-test');
});
afterAll(async () => {
  await testbed?.stop();
});

const BLOCKED_USERS = `query ($first: Int, $after: String) { blockedUsers(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { blockedAt node { id username } }
} }`;
type BlockedUsers = {
  blockedUsers: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ blockedAt: string; node: { id: string; username: string } }>;
  };
};

test('blocking removes friendship and follows both ways, with counts and events', async () => {
  const alice = await testbed.member({ firstName: 'Alice', lastName: 'Blocker' });
  const bob = await testbed.member({ firstName: 'Bob', lastName: 'Blocked' });
  const carol = await testbed.member();
  await client.befriend(alice, bob);
  await client.befriend(alice, carol);
  await client.run(FOLLOW, { userId: bob.id }, alice);
  await client.run(FOLLOW, { userId: alice.id }, bob);
  await client.run(FOLLOW, { userId: alice.id }, carol);
  expect(await client.relation(carol, alice)).toMatchObject({
    friendsCount: 2,
    followersCount: 2,
    followingCount: 1,
  });

  type Blocked = { block: { id: string; friendshipStatus: string } };
  expect((await client.run<Blocked>(BLOCK, { userId: bob.id }, alice)).block).toEqual({
    id: bob.id,
    friendshipStatus: 'BLOCKED',
  });

  // Only what involved Bob went; Carol's edges stay.
  expect(await client.relation(carol, alice)).toMatchObject({
    friendsCount: 1,
    followersCount: 1,
    followingCount: 0,
  });
  expect(await client.relation(carol, bob)).toMatchObject({
    friendsCount: 0,
    followersCount: 0,
    followingCount: 0,
  });
  expect(await client.relation(alice, bob)).toMatchObject({
    friendshipStatus: 'BLOCKED',
    isFollowedByViewer: false,
    followsViewer: false,
    viewerCanSendFriendRequest: false,
  });

  await bus.waitFor('UserBlocked', { blockerId: alice.id, blockedId: bob.id });
  const removed = await bus.waitFor('FriendRemoved', { userId: alice.id, friendId: bob.id });
  expect(removed.data).toMatchObject({ reason: 'BLOCKED' });
  for (const [followerId, followeeId] of [
    [alice.id, bob.id],
    [bob.id, alice.id],
  ]) {
    const unfollowed = await bus.waitFor('UserUnfollowed', { followerId, followeeId });
    expect(unfollowed.data).toMatchObject({ reason: 'BLOCKED' });
  }

  // Blocking again changes nothing and sends nothing.
  await client.run(BLOCK, { userId: bob.id }, alice);
  const blocked = (await client.run<BlockedUsers>(BLOCKED_USERS, {}, alice)).blockedUsers;
  expect(blocked.totalCount).toBe(1);
  expect(blocked.edges.map((edge) => edge.node)).toEqual([{ id: bob.id, username: bob.username }]);
  expect((await client.run<BlockedUsers>(BLOCKED_USERS, {}, bob)).blockedUsers.totalCount).toBe(0);
  await testbed.eventually(
    async () => bus.count('UserUnfollowed', { followerId: bob.id, followeeId: alice.id }),
    (count) => count === 1,
  );
  expect(bus.count('UserBlocked', { blockerId: alice.id, blockedId: bob.id })).toBe(1);
});

test('the blocked user sees nothing but id and username, and cannot follow or befriend', async () => {
  const alice = await testbed.member({ firstName: 'Alice', lastName: 'Private' });
  const bob = await testbed.member();
  await client.run(BLOCK, { userId: bob.id }, alice);
  await client.run(SET_PRESENCE, { online: true }, alice);

  const seenByBob = await client.relation(bob, alice);
  expect(seenByBob).toEqual({
    id: alice.id,
    username: alice.username,
    displayName: null,
    // Bob learns nothing: not even that he is blocked.
    friendshipStatus: 'NONE',
    isFollowedByViewer: false,
    followsViewer: false,
    viewerCanSendFriendRequest: false,
    pendingFriendRequest: null,
    friendsCount: null,
    followersCount: null,
    followingCount: null,
    mutualFriendsCount: null,
    isOnline: null,
    lastSeenAt: null,
  });
  // Everyone else still sees Alice.
  const carol = await testbed.member();
  expect(await client.relation(carol, alice)).toMatchObject({ displayName: 'Alice Private', isOnline: true });

  for (const [actor, target] of [
    [bob, alice],
    [alice, bob],
  ] as const) {
    expect(await client.failure(FOLLOW, { userId: target.id }, actor)).toBe('FORBIDDEN');
    expect(await client.failure(SEND_REQUEST, { userId: target.id }, actor)).toBe('FORBIDDEN');
  }
  expect(await testbed.db.collection('follows').countDocuments({ followeeId: alice.id })).toBe(0);
});

test('blocking cancels pending requests either way', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  const request = await client.send(bob, alice);
  await client.run(BLOCK, { userId: bob.id }, alice);
  await bus.waitFor('FriendRequestClosed', { requestId: request.id, status: 'CANCELLED' });
  type Requests = { friendRequests: { totalCount: number } };
  expect(
    (await client.run<Requests>(REQUESTS, { direction: 'INCOMING' }, alice)).friendRequests.totalCount,
  ).toBe(0);
  expect(
    (await client.run<Requests>(REQUESTS, { direction: 'OUTGOING' }, bob)).friendRequests.totalCount,
  ).toBe(0);
});

test('unblocking restores nothing, but following and befriending work again', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  await client.befriend(alice, bob);
  await client.run(BLOCK, { userId: bob.id }, alice);
  type Unblocked = { unblock: { id: string; friendshipStatus: string } };
  expect((await client.run<Unblocked>(UNBLOCK, { userId: bob.id }, alice)).unblock.friendshipStatus).toBe(
    'NONE',
  );
  await bus.waitFor('UserUnblocked', { blockerId: alice.id, blockedId: bob.id });
  // Idempotent: a second unblock sends nothing.
  await client.run(UNBLOCK, { userId: bob.id }, alice);
  expect(bus.count('UserUnblocked', { blockerId: alice.id, blockedId: bob.id })).toBe(1);

  expect(await client.relation(alice, bob)).toMatchObject({ friendshipStatus: 'NONE', friendsCount: 0 });
  expect((await client.relation(bob, alice)).displayName).not.toBeNull();
  await client.run(FOLLOW, { userId: alice.id }, bob);
  await client.befriend(bob, alice);
  expect(await client.relation(alice, bob)).toMatchObject({
    friendshipStatus: 'FRIENDS',
    followsViewer: true,
  });
  expect((await client.run<BlockedUsers>(BLOCKED_USERS, {}, alice)).blockedUsers.totalCount).toBe(0);
});

test('block errors, and blockedUsers pages newest first', async () => {
  const alice = await testbed.member();
  expect(await client.failure(BLOCK, { userId: alice.id }, alice)).toBe('BAD_USER_INPUT');
  expect(await client.failure(BLOCK, { userId: '00000000-0000-4000-8000-000000000000' }, alice)).toBe(
    'NOT_FOUND',
  );
  expect(await client.failure(BLOCK, { userId: alice.id })).toBe('UNAUTHENTICATED');
  expect(await client.failure(BLOCKED_USERS, {})).toBe('UNAUTHENTICATED');

  const others = await Promise.all(Array.from({ length: 3 }, () => testbed.member()));
  for (const other of others) await client.run(BLOCK, { userId: other.id }, alice);
  const first = (await client.run<BlockedUsers>(BLOCKED_USERS, { first: 2 }, alice)).blockedUsers;
  expect(first.totalCount).toBe(3);
  expect(first.pageInfo.hasNextPage).toBe(true);
  const second = (
    await client.run<BlockedUsers>(BLOCKED_USERS, { first: 2, after: first.pageInfo.endCursor }, alice)
  ).blockedUsers;
  expect(second.pageInfo.hasNextPage).toBe(false);
  expect([...first.edges, ...second.edges].map((edge) => edge.node.id)).toEqual(
    others.map((other) => other.id).reverse(),
  );
});
