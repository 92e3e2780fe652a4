/**
 * Counts stay right under concurrency: many users following, unfollowing and re-following one
 * user at once, the same follow sent several times at once, and friend requests crossing.
 */
import type { TestAccount } from '@social/testing';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { FOLLOW, REQUESTS, RESPOND, SEND_REQUEST, UNFOLLOW, graphClient } from './graph-helpers.js';

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;

beforeAll(async () => {
  testbed = await startProfileTestbed();
  client = graphClient(testbed);
});
afterAll(async () => {
  await testbed?.stop();
});

const FOLLOWERS = `query ($id: ID!, $after: String) { user(id: $id) {
  followersCount followers(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
} }`;
type Followers = {
  user: {
    followersCount: number;
    followers: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: Array<{ node: { id: string } }>;
    };
  };
};

/** What users see of the target's followers, and what is stored. */
async function followersOf(target: TestAccount, viewer: TestAccount) {
  const listed: string[] = [];
  let after: string | null = null;
  let counted = -1;
  for (;;) {
    const data: Followers = await client.run<Followers>(FOLLOWERS, { id: target.id, after }, viewer);
    counted = data.user.followersCount;
    listed.push(...data.user.followers.edges.map((edge) => edge.node.id));
    if (!data.user.followers.pageInfo.hasNextPage) break;
    after = data.user.followers.pageInfo.endCursor;
  }
  const stored = await testbed.db.collection('follows').countDocuments({ followeeId: target.id });
  return { counted, listed, stored };
}

const followingCountOf = async (user: TestAccount) => (await client.relation(user, user)).followingCount;

test('20 users following at once, then unfollowing and re-following at once: counts match the follows', async () => {
  const target = await testbed.member();
  const fans = await Promise.all(Array.from({ length: 20 }, () => testbed.member()));

  await Promise.all(fans.map((fan) => client.run(FOLLOW, { userId: target.id }, fan)));
  const afterFollow = await followersOf(target, fans[0]!);
  expect(afterFollow.counted).toBe(20);
  expect(afterFollow.stored).toBe(20);
  expect([...afterFollow.listed].sort()).toEqual(fans.map((fan) => fan.id).sort());

  // Half unfollow (each twice at once), a quarter follow again although they already do, and the
  // last five race an unfollow against a follow of their own.
  const leaving = fans.slice(0, 10);
  const staying = fans.slice(10, 15);
  const racing = fans.slice(15);
  await Promise.all([
    ...leaving.flatMap((fan) => [
      client.run(UNFOLLOW, { userId: target.id }, fan),
      client.run(UNFOLLOW, { userId: target.id }, fan),
    ]),
    ...staying.map((fan) => client.run(FOLLOW, { userId: target.id }, fan)),
    ...racing.flatMap((fan) => [
      client.run(UNFOLLOW, { userId: target.id }, fan),
      client.run(FOLLOW, { userId: target.id }, fan),
    ]),
  ]);
  const settled = await followersOf(target, fans[0]!);
  expect(settled.counted).toBe(settled.stored);
  expect(settled.listed).toHaveLength(settled.stored);
  expect(new Set(settled.listed).size).toBe(settled.stored);
  for (const fan of leaving) expect(settled.listed).not.toContain(fan.id);
  for (const fan of staying) expect(settled.listed).toContain(fan.id);
  // Each fan's own followingCount matches their follow too.
  for (const fan of [...leaving.slice(0, 3), ...staying.slice(0, 2), ...racing]) {
    expect(await followingCountOf(fan)).toBe(settled.listed.includes(fan.id) ? 1 : 0);
  }
}, 60_000);

test('the same follow sent ten times at once counts once', async () => {
  const [fan, idol] = await Promise.all([testbed.member(), testbed.member()]);
  await Promise.all(Array.from({ length: 10 }, () => client.run(FOLLOW, { userId: idol.id }, fan)));
  const { counted, stored, listed } = await followersOf(idol, fan);
  expect({ counted, stored, listed }).toEqual({ counted: 1, stored: 1, listed: [fan.id] });
  expect(await followingCountOf(fan)).toBe(1);
});

test('friend requests crossing each other end in one friendship', async () => {
  const [alice, bob] = await Promise.all([testbed.member(), testbed.member()]);
  const [fromAlice, fromBob] = await Promise.all([
    testbed.supergraph.query<{ sendFriendRequest: { id: string } }>(
      SEND_REQUEST,
      { userId: bob.id },
      { token: alice.token },
    ),
    testbed.supergraph.query<{ sendFriendRequest: { id: string } }>(
      SEND_REQUEST,
      { userId: alice.id },
      { token: bob.token },
    ),
  ]);
  // At least one went through; a second one is either a CONFLICT or pending too.
  const sent = [
    { response: fromAlice, receiver: bob },
    { response: fromBob, receiver: alice },
  ].filter(({ response }) => response.data?.sendFriendRequest);
  expect(sent.length).toBeGreaterThan(0);
  for (const response of [fromAlice, fromBob]) {
    if (response.errors) expect(response.errors[0]?.extensions?.code).toBe('CONFLICT');
  }
  const { response, receiver } = sent[0]!;
  await client.run(RESPOND, { id: response.data!.sendFriendRequest.id, accept: true }, receiver);

  expect(await client.relation(alice, bob)).toMatchObject({ friendshipStatus: 'FRIENDS', friendsCount: 1 });
  expect(await client.relation(bob, alice)).toMatchObject({ friendshipStatus: 'FRIENDS', friendsCount: 1 });
  type Requests = { friendRequests: { totalCount: number } };
  for (const user of [alice, bob]) {
    for (const direction of ['INCOMING', 'OUTGOING']) {
      expect((await client.run<Requests>(REQUESTS, { direction }, user)).friendRequests.totalCount).toBe(0);
    }
  }
});

test('two accepts of one request at once make one friendship', async () => {
  const [alice, bob] = await Promise.all([testbed.member(), testbed.member()]);
  const request = await client.send(alice, bob);
  const results = await Promise.all(
    Array.from({ length: 4 }, () =>
      testbed.supergraph.query(RESPOND, { id: request.id, accept: true }, { token: bob.token }),
    ),
  );
  expect(results.filter((result) => !result.errors)).toHaveLength(1);
  for (const result of results.filter((r) => r.errors)) {
    expect(result.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  }
  expect((await client.relation(alice, bob)).friendsCount).toBe(1);
  expect((await client.relation(alice, alice)).friendsCount).toBe(1);
  expect(
    await testbed.db.collection('friendships').countDocuments({ userId: { $in: [alice.id, bob.id] } }),
  ).toBe(2);
});
