/**
 * A deleted user leaves the graph in the background (graph cleanup): UserDeleted hides the profile
 * and records a job; the edges then go in batches of GRAPH_CLEANUP_BATCH, each one transaction with
 * its counters and events, and a job left behind by a dead instance is finished once its lease
 * lapses.
 */
import { onMongoCommand, type EventEnvelope } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import type { Document } from 'mongodb';
import { FOLLOW, graphClient, graphCleanupFinished, recordEvents } from './graph-helpers.js';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';

const BATCH = 50;

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;
let bus: Awaited<ReturnType<typeof recordEvents>>;

beforeAll(async () => {
  testbed = await startProfileTestbed({
    GRAPH_CLEANUP_BATCH: String(BATCH),
    GRAPH_CLEANUP_POLL_MS: '200',
  });
  client = graphClient(testbed);
  bus = await recordEvents(testbed, 'graph-cleanup-test');
});
afterAll(async () => {
  await testbed?.stop();
});

/** A document of the profile database (ids are UUID strings). */
type Row = Document & { _id: string };
const collection = (name: string) => testbed.db.collection<Row>(name);

/** Auth's UserDeleted, as auth publishes it. */
async function publishUserDeleted(userId: string) {
  const deletedAt = new Date();
  await testbed.supergraph.stack.resources.events.publish('auth', 'UserDeleted', {
    userId,
    deletedAt: deletedAt.toISOString(),
    purgeAfter: new Date(deletedAt.getTime() + 30 * 24 * 3600 * 1000).toISOString(),
  });
}

const cleanupFinished = (userId: string) => graphCleanupFinished(testbed, userId);

/** Edge documents still naming the user, per collection. */
async function edgesOf(userId: string) {
  const count = (name: string, a: string, b: string) =>
    collection(name).countDocuments({ $or: [{ [a]: userId }, { [b]: userId }] });
  return {
    friendships: await count('friendships', 'userId', 'friendId'),
    follows: await count('follows', 'followerId', 'followeeId'),
    blocks: await count('blocks', 'blockerId', 'blockedId'),
    friendRequests: await count('friend_requests', 'senderId', 'receiverId'),
  };
}

/** Each user's graph counters as stored, and as counted from the edge documents. */
async function countersOf(userIds: readonly string[]) {
  const tally = async (name: string, field: string) => {
    const rows = await collection(name)
      .aggregate<{ _id: string; n: number }>([
        { $match: { [field]: { $in: [...userIds] } } },
        { $group: { _id: `$${field}`, n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(rows.map((row) => [row._id, row.n]));
  };
  const [friends, followers, following] = await Promise.all([
    tally('friendships', 'userId'),
    tally('follows', 'followeeId'),
    tally('follows', 'followerId'),
  ]);
  const profiles = await collection('user_profiles')
    .find({ _id: { $in: [...userIds] } }, { projection: { statistics: 1 } })
    .toArray();
  const stored = new Map(profiles.map((profile) => [profile._id, profile.statistics as Document]));
  return userIds.map((id) => ({
    id,
    stored: {
      friends: stored.get(id)?.friendsCount as number,
      followers: stored.get(id)?.followersCount as number,
      following: stored.get(id)?.followingCount as number,
    },
    counted: {
      friends: friends.get(id) ?? 0,
      followers: followers.get(id) ?? 0,
      following: following.get(id) ?? 0,
    },
  }));
}

/** The USER_DELETED-related events naming `userId`, one per event id (the bus is at-least-once). */
function removalEvents(userId: string) {
  const seen = new Map<string, EventEnvelope>();
  for (const event of bus.events) {
    const data = event.data as Record<string, unknown>;
    const names = Object.values(data).includes(userId);
    const relevant =
      (event.type === 'FriendRemoved' || event.type === 'UserUnfollowed') && data.reason === 'USER_DELETED';
    if (names && (relevant || event.type === 'FriendRequestClosed')) seen.set(event.id, event);
  }
  const events = [...seen.values()].map((event) => ({
    type: event.type,
    data: event.data as Record<string, string>,
  }));
  const keys = (type: string, key: (data: Record<string, string>) => string) =>
    events.filter((event) => event.type === type).map((event) => key(event.data));
  return {
    friendRemoved: keys('FriendRemoved', (data) => `${data.userId}>${data.friendId}`),
    unfollowed: keys('UserUnfollowed', (data) => `${data.followerId}>${data.followeeId}`),
    requestClosed: keys('FriendRequestClosed', (data) => `${data.requestId}:${data.status}`),
  };
}

const sorted = (values: readonly string[]) => [...values].sort();

test('a popular user is removed in batches: every edge, counter and event, in several transactions', async () => {
  const leaver = await testbed.member();
  const realFriend = await testbed.member();
  const realFan = await testbed.member();
  await client.befriend(leaver, realFriend);
  await client.run(FOLLOW, { userId: leaver.id }, realFan);

  // 360 other users, seeded directly: profiles copied from the leaver's, edges as documents.
  const template = (await collection('user_profiles').findOne({ _id: leaver.id }))!;
  const tag = randomUUID().slice(0, 8);
  const others = Array.from({ length: 360 }, () => randomUUID());
  const other = (index: number) => others[index]!;
  const now = Date.now();
  const at = (index: number) => new Date(now - 1_000_000 + index * 1000);
  const friendships: Row[] = [];
  const follows: Row[] = [];
  const blocks: Row[] = [];
  const requests: Row[] = [];
  const befriend = (a: string, b: string, index: number) =>
    friendships.push(
      { _id: randomUUID(), userId: a, friendId: b, createdAt: at(index) },
      { _id: randomUUID(), userId: b, friendId: a, createdAt: at(index) },
    );
  const follow = (followerId: string, followeeId: string, index: number) =>
    follows.push({ _id: randomUUID(), followerId, followeeId, createdAt: at(index) });
  const block = (blockerId: string, blockedId: string, index: number) =>
    blocks.push({ _id: randomUUID(), blockerId, blockedId, createdAt: at(index) });
  const request = (senderId: string, receiverId: string, status: string, index: number) => {
    const id = randomUUID();
    requests.push({
      _id: id,
      senderId,
      senderUsername: 'sender',
      senderDisplayName: 'Sender',
      senderAvatarUrl: null,
      receiverId,
      receiverUsername: 'receiver',
      receiverDisplayName: 'Receiver',
      receiverAvatarUrl: null,
      message: null,
      status,
      sentAt: at(index),
      respondedAt: status === 'Pending' ? null : at(index),
      expiresAt: new Date(now + 24 * 3600 * 1000),
      createdAt: at(index),
      updatedAt: at(index),
    });
    return id;
  };

  const L = leaver.id;
  for (let i = 0; i < 300; i += 1) follow(other(i), L, i); // 300 followers
  for (let i = 0; i < 120; i += 1) befriend(L, other(i), i); // 120 friends (who follow too)
  for (let i = 280; i < 340; i += 1) follow(L, other(i), i); // 60 followed (20 follow back)
  for (let i = 340; i < 345; i += 1) block(L, other(i), i); // the leaver blocked 5
  for (let i = 345; i < 350; i += 1) block(other(i), L, i); // 5 blocked the leaver
  const incoming = Array.from({ length: 10 }, (_, k) => request(other(350 + k), L, 'Pending', k));
  const outgoing = Array.from({ length: 10 }, (_, k) => request(L, other(300 + k), 'Pending', k));
  request(other(310), L, 'Rejected', 0); // answered: deleted, without an event
  // Edges among the others, which must survive with their counts.
  for (let i = 0; i < 100; i += 1) follow(other(i), other(i + 1), i);
  for (let i = 200; i < 220; i += 1) befriend(other(i), other(i + 1), i);
  block(other(350), other(351), 0);
  const unrelatedRequest = request(other(0), other(359), 'Pending', 0);

  const count = (rows: Row[], field: string, id: string) => rows.filter((row) => row[field] === id).length;
  await collection('user_profiles').insertMany(
    others.map((id, index) => ({
      ...template,
      _id: id,
      userId: id,
      username: `gc_${tag}_${index}`,
      usernameLower: `gc_${tag}_${index}`,
      email: `gc_${tag}_${index}@example.com`,
      statistics: {
        ...(template.statistics as Document),
        friendsCount: count(friendships, 'userId', id),
        followersCount: count(follows, 'followeeId', id),
        followingCount: count(follows, 'followerId', id),
      },
    })),
  );
  await collection('friendships').insertMany(friendships);
  await collection('follows').insertMany(follows);
  await collection('blocks').insertMany(blocks);
  await collection('friend_requests').insertMany(requests);
  await collection('user_profiles').updateOne(
    { _id: L },
    {
      $inc: {
        'statistics.friendsCount': 120,
        'statistics.followersCount': 300,
        'statistics.followingCount': 60,
      },
    },
  );
  const everyone = [L, realFriend.id, realFan.id, ...others];
  for (const user of await countersOf(everyone)) expect(user.stored).toEqual(user.counted);
  const before = await edgesOf(L);
  // 121 friendships, 361 follows (300 + 1 in, 60 out), 10 blocks, 22 requests (20 pending, the
  // real friend's accepted one, a rejected one).
  expect(before).toEqual({ friendships: 242, follows: 361, blocks: 10, friendRequests: 22 });
  const edgeCount = 121 + 361 + 10 + 22;

  let commits = 0;
  const stopCounting = onMongoCommand((event) => {
    if (event.appName === 'profile' && event.commandName === 'commitTransaction') commits += 1;
  });
  try {
    await publishUserDeleted(L);
    await cleanupFinished(L);
  } finally {
    stopCounting();
  }

  expect(await edgesOf(L)).toEqual({ friendships: 0, follows: 0, blocks: 0, friendRequests: 0 });
  for (const user of await countersOf(everyone)) expect(user.stored).toEqual(user.counted);
  const [leaverCounters] = await countersOf([L]);
  expect(leaverCounters?.stored).toEqual({ friends: 0, followers: 0, following: 0 });
  // What was not the leaver's is untouched.
  expect(
    await collection('follows').countDocuments({ followerId: { $in: others }, followeeId: { $in: others } }),
  ).toBe(100);
  expect(await collection('friendships').countDocuments({ userId: { $in: others } })).toBe(40);
  expect(await collection('blocks').countDocuments({ blockerId: other(350) })).toBe(1);
  expect(await collection('friend_requests').countDocuments({ _id: unrelatedRequest })).toBe(1);
  // The one transaction of the consumer, then one per batch of at most BATCH edges (other
  // transactions meanwhile only add to the count).
  expect(commits).toBeGreaterThanOrEqual(1 + Math.ceil(edgeCount / BATCH));

  // Exactly one event per removed edge, once the outbox relay has published them all.
  const friends = [realFriend.id, ...others.slice(0, 120)];
  const unfollowed = [
    ...[realFan.id, ...others.slice(0, 300)].map((id) => `${id}>${L}`),
    ...others.slice(280, 340).map((id) => `${L}>${id}`),
  ];
  const closed = [...incoming, ...outgoing].map((id) => `${id}:CANCELLED`);
  const events = await testbed.eventually(
    async () => removalEvents(L),
    (found) =>
      found.friendRemoved.length >= friends.length &&
      found.unfollowed.length >= unfollowed.length &&
      found.requestClosed.length >= closed.length,
    30_000,
  );
  expect(sorted(events.friendRemoved)).toEqual(sorted(friends.map((id) => `${L}>${id}`)));
  expect(sorted(events.unfollowed)).toEqual(sorted(unfollowed));
  expect(sorted(events.requestClosed)).toEqual(sorted(closed));

  // Seen through the API: the real friend and fan lost the leaver.
  const COUNTS = `query ($id: ID!) { user(id: $id) { friendsCount followingCount friends { edges { node { id } } } } }`;
  type Counts = { user: { friendsCount: number; followingCount: number; friends: { edges: unknown[] } } };
  expect((await client.run<Counts>(COUNTS, { id: realFriend.id }, realFriend)).user).toMatchObject({
    friendsCount: 0,
    friends: { edges: [] },
  });
  expect((await client.run<Counts>(COUNTS, { id: realFan.id }, realFan)).user.followingCount).toBe(0);

  // A UserDeleted published again (a new event id) finds nothing left: no further events.
  const published = bus.events.length;
  await publishUserDeleted(L);
  await testbed.eventually(
    () => collection('processed_events').countDocuments({ type: 'UserDeleted' }),
    (handled) => handled >= 2,
  );
  await cleanupFinished(L);
  await client.run(FOLLOW, { userId: realFriend.id }, realFan); // an event after, to flush the bus
  await bus.waitFor('UserFollowed', { followerId: realFan.id, followeeId: realFriend.id });
  expect(bus.events.slice(published).map((event) => event.type)).toEqual(['UserFollowed']);
}, 120_000);

test('a job left by an instance that died is finished once its lease lapses; lists hold up meanwhile', async () => {
  const [leaver, friend, fan] = (await Promise.all([
    testbed.member(),
    testbed.member(),
    testbed.member(),
  ])) as [TestAccount, TestAccount, TestAccount];
  await client.befriend(leaver, friend);
  await client.run(FOLLOW, { userId: leaver.id }, fan);
  await client.run(FOLLOW, { userId: fan.id }, leaver);

  // The deletion committed, and an instance claimed the job and died after a batch or two.
  await collection('user_profiles').updateOne(
    { _id: leaver.id },
    { $set: { isDeleted: true, deletedAt: new Date(), accountStatus: 'DELETED' } },
  );
  const now = Date.now();
  await collection('graph_cleanups').insertOne({
    _id: leaver.id,
    reason: 'USER_DELETED',
    createdAt: new Date(now - 60_000),
    leaseUntil: new Date(now + 3600_000),
    leaseOwner: 'instance-that-died',
    batches: 2,
    edges: 100,
  });

  // While the lease holds, the others' lists still name the deleted user: nothing but the id.
  const LISTS = `query ($id: ID!) { user(id: $id) {
    friendsCount friends { totalCount edges { node { id displayName friendsCount } } }
    followers { edges { node { id displayName } } } following { edges { node { id bio } } }
  } }`;
  type Node = { id: string; displayName?: string | null; bio?: string | null; friendsCount?: number | null };
  type Lists = {
    user: {
      friendsCount: number;
      friends: { totalCount: number; edges: Array<{ node: Node }> };
      followers: { edges: Array<{ node: Node }> };
      following: { edges: Array<{ node: Node }> };
    };
  };
  const ofFriend = (await client.run<Lists>(LISTS, { id: friend.id }, friend)).user;
  expect(ofFriend.friends.edges).toEqual([
    { node: { id: leaver.id, displayName: null, friendsCount: null } },
  ]);
  const ofFan = (await client.run<Lists>(LISTS, { id: fan.id }, fan)).user;
  expect(ofFan.followers.edges).toEqual([{ node: { id: leaver.id, displayName: null } }]);
  expect(ofFan.following.edges).toEqual([{ node: { id: leaver.id, bio: null } }]);

  // The lease lapses: the next poll takes the job over and finishes it.
  await collection('graph_cleanups').updateOne(
    { _id: leaver.id },
    { $set: { leaseUntil: new Date(now - 1000) } },
  );
  await cleanupFinished(leaver.id);
  expect(await edgesOf(leaver.id)).toEqual({ friendships: 0, follows: 0, blocks: 0, friendRequests: 0 });
  for (const user of await countersOf([leaver.id, friend.id, fan.id]))
    expect(user.stored).toEqual(user.counted);
  const after = (await client.run<Lists>(LISTS, { id: friend.id }, friend)).user;
  expect(after).toMatchObject({ friendsCount: 0, friends: { totalCount: 0, edges: [] } });
  await bus.waitFor('FriendRemoved', { userId: leaver.id, friendId: friend.id, reason: 'USER_DELETED' });
  await bus.waitFor('UserUnfollowed', { followerId: fan.id, followeeId: leaver.id, reason: 'USER_DELETED' });
  await bus.waitFor('UserUnfollowed', { followerId: leaver.id, followeeId: fan.id, reason: 'USER_DELETED' });
}, 60_000);
