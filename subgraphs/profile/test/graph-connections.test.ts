/**
 * Friends, followers and following through the gateway: lists newest first with cursors, counts,
 * who may see them, mutual friends, friend suggestions (ranking and exclusions) and the follow
 * events.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import {
  BLOCK,
  FOLLOW,
  REQUESTS,
  UNFOLLOW,
  graphClient,
  graphCleanupFinished,
  recordEvents,
} from './graph-helpers.js';

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;
let bus: Awaited<ReturnType<typeof recordEvents>>;

beforeAll(async () => {
  testbed = await startProfileTestbed();
  client = graphClient(testbed);
  bus = await recordEvents(testbed, 'graph-connections-test');
});
afterAll(async () => {
  await testbed?.stop();
});

const members = (count: number) => Promise.all(Array.from({ length: count }, () => testbed.member()));

interface Page<Extra = object> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ cursor: string; node: { id: string } } & Extra>;
}

const LISTS = `query ($id: ID!, $first: Int, $after: String) { user(id: $id) {
  friends(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor friendsSince node { id username } } }
  followers(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor followedAt node { id } } }
  following(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor followedAt node { id } } }
} }`;
interface Lists {
  user: {
    friends: Page<{ friendsSince: string; node: { id: string; username: string } }> | null;
    followers: Page<{ followedAt: string }> | null;
    following: Page<{ followedAt: string }> | null;
  };
}
const lists = async (
  viewer: TestAccount | undefined,
  user: TestAccount,
  vars: Record<string, unknown> = {},
) => (await client.run<Lists>(LISTS, { id: user.id, ...vars }, viewer)).user;

/** Every id of a list, following cursors page by page. */
async function walk(viewer: TestAccount, user: TestAccount, list: 'friends' | 'followers' | 'following') {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page | null = (await lists(viewer, user, { first: 2, after }))[list];
    if (!page) throw new Error(`${list} hidden`);
    ids.push(...page.edges.map((edge) => edge.node.id));
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

test('friends, followers and following list newest first, page with cursors and match the counts', async () => {
  const [star, ...others] = await members(6);
  const [a, b, c, d, e] = others as [TestAccount, TestAccount, TestAccount, TestAccount, TestAccount];
  for (const friend of [a, b, c]) await client.befriend(friend, star!);
  for (const follower of [a, d, e, b]) await client.run(FOLLOW, { userId: star!.id }, follower);
  for (const followee of [c, e]) await client.run(FOLLOW, { userId: followee.id }, star!);

  expect(await walk(d, star!, 'friends')).toEqual([c.id, b.id, a.id]);
  expect(await walk(d, star!, 'followers')).toEqual([b.id, e.id, d.id, a.id]);
  expect(await walk(d, star!, 'following')).toEqual([e.id, c.id]);

  const view = await lists(d, star!, { first: 10 });
  expect(view.friends?.totalCount).toBe(3);
  expect(view.friends?.edges[0]?.node.username).toBe(c.username);
  expect(Number.isNaN(Date.parse(view.friends?.edges[0]?.friendsSince ?? ''))).toBe(false);
  expect(view.followers?.totalCount).toBe(4);
  expect(view.following?.totalCount).toBe(2);
  expect(await client.relation(d, star!)).toMatchObject({
    friendsCount: 3,
    followersCount: 4,
    followingCount: 2,
  });
  // Anonymous viewers see public connections too.
  expect((await lists(undefined, star!)).followers?.totalCount).toBe(4);
  expect(
    await client.failure(LISTS, { id: star!.id, after: 'bm90LWEtY3Vyc29y' }, d).then((code) => code),
  ).toBe('BAD_USER_INPUT');
});

test('a page of users with their lists costs the same database commands for 3 users as for 12', async () => {
  const users = await members(12);
  const [x, y, z] = users as [TestAccount, TestAccount, TestAccount];
  await client.befriend(x, y);
  await client.befriend(x, z);
  await client.run(FOLLOW, { userId: y.id }, z);
  // The page as the gateway asks for it: one _entities fetch of the profile subgraph.
  const ENTITIES = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
    id friendsCount friendshipStatus isFollowedByViewer isOnline mutualFriendsCount
    friends(first: 5) { edges { node { id } } } followers { totalCount edges { node { id } } }
    mutualFriends(first: 5) { totalCount edges { node { id } } }
  } } }`;
  type Entity = {
    id: string;
    friends: Page;
    followers: Page;
    mutualFriends: Page | null;
    friendshipStatus: string;
  };
  const page = async (of: TestAccount[]) => {
    const response = await testbed.supergraph.query<{ _entities: Entity[] }>(
      ENTITIES,
      { reps: of.map((user) => ({ __typename: 'User', id: user.id })) },
      { token: z.token, target: 'profile' },
    );
    expect(response.errors).toBeUndefined();
    return response.data!._entities;
  };
  /** Fewest profile database commands of a few runs (background pollers add some now and then). */
  async function commandsFor(of: TestAccount[]) {
    let fewest = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run += 1) {
      let count = 0;
      const stop = onMongoCommand((event) => {
        if (event.appName === 'profile') count += 1;
      });
      try {
        await page(of);
      } finally {
        stop();
      }
      fewest = Math.min(fewest, count);
    }
    return fewest;
  }

  const [ex, ey, ez] = await page(users);
  expect(ex!.friends.edges.map((edge) => edge.node.id)).toEqual([z.id, y.id]);
  expect(ey!.friends.edges.map((edge) => edge.node.id)).toEqual([x.id]);
  expect(ez!.friends.edges.map((edge) => edge.node.id)).toEqual([x.id]);
  expect(ey!.followers.edges.map((edge) => edge.node.id)).toEqual([z.id]);
  expect(ex!.followers.totalCount).toBe(0);
  // z and y share x as a friend.
  expect(ey!.mutualFriends?.edges.map((edge) => edge.node.id)).toEqual([x.id]);
  expect(ex!.friendshipStatus).toBe('FRIENDS');

  const few = await commandsFor(users.slice(0, 3));
  const many = await commandsFor(users);
  expect(few).toBeGreaterThan(0);
  expect(many).toBe(few);
});

test('hidden connections: lists and counts are null for others, shown to the owner', async () => {
  const [owner, friend, stranger] = await members(3);
  await client.befriend(owner!, friend!);
  await client.run(
    'mutation { updatePrivacySettings(input: { showConnections: false }) { showConnections } }',
    {},
    owner,
  );
  for (const viewer of [friend, stranger, undefined]) {
    expect(await lists(viewer, owner!)).toEqual({ friends: null, followers: null, following: null });
    expect(await client.relation(viewer, owner!)).toMatchObject({
      friendsCount: null,
      followersCount: null,
      followingCount: null,
      mutualFriendsCount: null,
    });
  }
  expect((await lists(owner, owner!)).friends?.totalCount).toBe(1);

  // A FRIENDS-only profile shows its connections to friends only.
  await client.run(
    'mutation { updatePrivacySettings(input: { showConnections: true, profileVisibility: FRIENDS }) { showConnections } }',
    {},
    owner,
  );
  expect((await lists(friend, owner!)).friends?.totalCount).toBe(1);
  expect((await lists(stranger, owner!)).friends).toBeNull();
});

test('follow and unfollow are idempotent, with their events and counts', async () => {
  const [fan, idol] = await members(2);
  const followed = await client.run<{ follow: { isFollowedByViewer: boolean } }>(
    FOLLOW,
    { userId: idol!.id },
    fan,
  );
  expect(followed.follow.isFollowedByViewer).toBe(true);
  await client.run(FOLLOW, { userId: idol!.id }, fan);
  expect(await client.relation(fan, idol!)).toMatchObject({ isFollowedByViewer: true, followersCount: 1 });
  expect(await client.relation(idol, fan!)).toMatchObject({ followsViewer: true, followingCount: 1 });
  await bus.waitFor('UserFollowed', { followerId: fan!.id, followeeId: idol!.id });
  expect(bus.count('UserFollowed', { followerId: fan!.id, followeeId: idol!.id })).toBe(1);

  expect(await client.failure(FOLLOW, { userId: fan!.id }, fan)).toBe('BAD_USER_INPUT');
  expect(await client.failure(FOLLOW, { userId: '00000000-0000-4000-8000-000000000000' }, fan)).toBe(
    'NOT_FOUND',
  );
  expect(await client.failure(FOLLOW, { userId: idol!.id })).toBe('UNAUTHENTICATED');

  const unfollowed = await client.run<{ unfollow: { isFollowedByViewer: boolean } }>(
    UNFOLLOW,
    { userId: idol!.id },
    fan,
  );
  expect(unfollowed.unfollow.isFollowedByViewer).toBe(false);
  await client.run(UNFOLLOW, { userId: idol!.id }, fan);
  expect(await client.relation(fan, idol!)).toMatchObject({ isFollowedByViewer: false, followersCount: 0 });
  expect((await client.relation(fan, fan!)).followingCount).toBe(0);
  const event = await bus.waitFor('UserUnfollowed', { followerId: fan!.id, followeeId: idol!.id });
  expect(event.data).toMatchObject({ reason: 'REQUESTED' });
  expect(bus.count('UserUnfollowed', { followerId: fan!.id, followeeId: idol!.id })).toBe(1);
});

test('mutual friends: the friends two users share, for signed-in viewers other than the user', async () => {
  const [me, other, shared1, shared2, onlyMine, onlyTheirs] = await members(6);
  for (const friend of [shared1, shared2, onlyMine]) await client.befriend(me!, friend!);
  for (const friend of [shared1, shared2, onlyTheirs]) await client.befriend(other!, friend!);
  const MUTUAL = `query ($id: ID!, $after: String) { user(id: $id) {
    mutualFriendsCount
    mutualFriends(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }
  } }`;
  type Data = { user: { mutualFriendsCount: number | null; mutualFriends: Page | null } };
  const first = (await client.run<Data>(MUTUAL, { id: other!.id }, me)).user;
  expect(first.mutualFriendsCount).toBe(2);
  expect(first.mutualFriends?.totalCount).toBe(2);
  expect(first.mutualFriends?.edges.map((edge) => edge.node.id)).toEqual([shared2!.id]);
  const second = (
    await client.run<Data>(MUTUAL, { id: other!.id, after: first.mutualFriends?.pageInfo.endCursor }, me)
  ).user;
  expect(second.mutualFriends?.edges.map((edge) => edge.node.id)).toEqual([shared1!.id]);
  expect(second.mutualFriends?.pageInfo.hasNextPage).toBe(false);

  expect((await client.run<Data>(MUTUAL, { id: me!.id }, me)).user).toEqual({
    mutualFriendsCount: null,
    mutualFriends: null,
  });
  expect((await client.run<Data>(MUTUAL, { id: other!.id })).user).toEqual({
    mutualFriendsCount: null,
    mutualFriends: null,
  });
  // onlyMine and shared1 have one friend in common: me.
  const sent = await client.send(onlyMine!, shared1!);
  const event = await bus.waitFor('FriendRequestSent', { requestId: sent.id });
  expect(event.data).toMatchObject({ mutualFriendsCount: 1 });
});

test('friend suggestions: friends of friends by mutual count, without the excluded ones', async () => {
  const [me, f1, f2, f3] = await members(4);
  const [two, three, one, friend, pendingOut, pendingIn, blocked, blocker, closed, suspended] =
    await members(10);
  for (const friend of [f1, f2, f3]) await client.befriend(me!, friend!);
  // Friends of friends, with how many of my friends they know.
  for (const f of [f1, f2, f3]) await client.befriend(f!, three!);
  for (const f of [f1, f2]) await client.befriend(f!, two!);
  await client.befriend(f1!, one!);
  // Excluded: already a friend, pending requests either way, blocks either way, closed, suspended.
  for (const excluded of [friend, pendingOut, pendingIn, blocked, blocker, closed, suspended]) {
    for (const f of [f1, f2, f3]) await client.befriend(f!, excluded!);
  }
  await client.befriend(me!, friend!);
  await client.send(me!, pendingOut!);
  await client.send(pendingIn!, me!);
  await client.run(BLOCK, { userId: blocked!.id }, me);
  await client.run(BLOCK, { userId: me!.id }, blocker);
  await client.run(
    'mutation { updatePrivacySettings(input: { allowFriendRequests: false }) { allowFriendRequests } }',
    {},
    closed,
  );
  await testbed.db
    .collection('user_profiles')
    .updateOne({ _id: suspended!.id as never }, { $set: { isActive: false, accountStatus: 'SUSPENDED' } });

  const SUGGESTIONS = `query ($first: Int, $after: String) { friendSuggestions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { mutualFriendsCount node { id } }
  } }`;
  type Data = {
    friendSuggestions: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: Array<{ mutualFriendsCount: number; node: { id: string } }>;
    };
  };
  const all = (await client.run<Data>(SUGGESTIONS, { first: 10 }, me)).friendSuggestions;
  expect(all.edges.map((edge) => [edge.node.id, edge.mutualFriendsCount])).toEqual([
    [three!.id, 3],
    [two!.id, 2],
    [one!.id, 1],
  ]);
  expect(all.pageInfo.hasNextPage).toBe(false);

  const page1 = (await client.run<Data>(SUGGESTIONS, { first: 2 }, me)).friendSuggestions;
  expect(page1.pageInfo.hasNextPage).toBe(true);
  const page2 = (await client.run<Data>(SUGGESTIONS, { first: 2, after: page1.pageInfo.endCursor }, me))
    .friendSuggestions;
  expect([...page1.edges, ...page2.edges].map((edge) => edge.node.id)).toEqual([three!.id, two!.id, one!.id]);

  const loner = await testbed.member();
  expect((await client.run<Data>(SUGGESTIONS, {}, loner)).friendSuggestions.edges).toEqual([]);
  expect(await client.failure(SUGGESTIONS, {})).toBe('UNAUTHENTICATED');
}, 60_000);

test('a deleted account leaves every list and count, with USER_DELETED events', async () => {
  const [leaver, friend, fan, idol, blocker, asker, asked] = await members(7);
  await client.befriend(leaver!, friend!);
  await client.run(FOLLOW, { userId: leaver!.id }, fan);
  await client.run(FOLLOW, { userId: idol!.id }, leaver);
  await client.run(BLOCK, { userId: leaver!.id }, blocker);
  const incoming = await client.send(asker!, leaver!);
  const outgoing = await client.send(leaver!, asked!);

  await client.run(
    'mutation ($password: String!) { deleteAccount(password: $password) }',
    {
      password: leaver!.password,
    },
    leaver,
  );
  // The edges go in the background after the deletion, in batches (graph cleanup).
  await graphCleanupFinished(testbed, leaver!.id);
  await bus.waitFor('FriendRemoved', { userId: leaver!.id, friendId: friend!.id, reason: 'USER_DELETED' });

  expect(await client.relation(friend, friend!)).toMatchObject({ friendsCount: 0 });
  expect(await client.relation(fan, fan!)).toMatchObject({ followingCount: 0 });
  expect(await client.relation(idol, idol!)).toMatchObject({ followersCount: 0 });
  expect((await lists(friend, friend!)).friends?.edges).toEqual([]);
  expect((await lists(idol, idol!)).followers?.edges).toEqual([]);
  await bus.waitFor('UserUnfollowed', {
    followerId: fan!.id,
    followeeId: leaver!.id,
    reason: 'USER_DELETED',
  });
  await bus.waitFor('UserUnfollowed', {
    followerId: leaver!.id,
    followeeId: idol!.id,
    reason: 'USER_DELETED',
  });
  await bus.waitFor('FriendRequestClosed', { requestId: incoming.id, status: 'CANCELLED' });
  await bus.waitFor('FriendRequestClosed', { requestId: outgoing.id, status: 'CANCELLED' });
  type Requests = { friendRequests: { totalCount: number } };
  expect(
    (await client.run<Requests>(REQUESTS, { direction: 'OUTGOING' }, asker)).friendRequests.totalCount,
  ).toBe(0);
  expect(
    (await client.run<Requests>(REQUESTS, { direction: 'INCOMING' }, asked)).friendRequests.totalCount,
  ).toBe(0);
  type Blocked = { blockedUsers: { totalCount: number } };
  expect(
    (await client.run<Blocked>('{ blockedUsers { totalCount } }', {}, blocker)).blockedUsers.totalCount,
  ).toBe(0);
});
