/**
 * The friend-request lifecycle through the gateway: send, list, accept, decline, cancel, re-send,
 * every error code, expiry after 30 days (TTL), and the events feed, chat and notification get.
 */
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import {
  CANCEL,
  REMOVE_FRIEND,
  REQUESTS,
  RESPOND,
  SEND_REQUEST,
  graphClient,
  recordEvents,
} from './graph-helpers.js';

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;
let bus: Awaited<ReturnType<typeof recordEvents>>;

beforeAll(async () => {
  testbed = await startProfileTestbed();
  client = graphClient(testbed);
  bus = await recordEvents(testbed, 'graph-friend-requests-test');
});
afterAll(async () => {
  await testbed?.stop();
});

interface RequestNode {
  id: string;
  status: string;
  message: string | null;
  sender: { id: string };
  receiver: { id: string };
}
interface RequestsData {
  friendRequests: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: RequestNode }>;
  };
}

const list = async (
  viewer: Parameters<typeof client.run>[2],
  direction: 'INCOMING' | 'OUTGOING',
  extra: Record<string, unknown> = {},
) => (await client.run<RequestsData>(REQUESTS, { direction, ...extra }, viewer)).friendRequests;

test('a request is sent, listed both ways, accepted, and the two become friends', async () => {
  const alice = await testbed.member({ firstName: 'Alice', lastName: 'Doe' });
  const bob = await testbed.member();
  type Sent = {
    sendFriendRequest: RequestNode & {
      sentAt: string;
      respondedAt: string | null;
      expiresAt: string;
      sender: { id: string; username: string };
    };
  };
  const { sendFriendRequest: request } = await client.run<Sent>(
    SEND_REQUEST,
    { userId: bob.id, message: '  Hi Bob!  ' },
    alice,
  );
  expect(request).toMatchObject({
    status: 'PENDING',
    message: 'Hi Bob!',
    respondedAt: null,
    sender: { id: alice.id, username: alice.username },
    receiver: { id: bob.id },
  });
  const days = (Date.parse(request.expiresAt) - Date.parse(request.sentAt)) / 86_400_000;
  expect(days).toBe(30);

  const incoming = await list(bob, 'INCOMING');
  expect(incoming.totalCount).toBe(1);
  expect(incoming.edges.map((e) => e.node.id)).toEqual([request.id]);
  expect((await list(alice, 'OUTGOING')).edges.map((e) => e.node.id)).toEqual([request.id]);
  expect((await list(alice, 'INCOMING')).totalCount).toBe(0);

  expect(await client.relation(alice, bob)).toMatchObject({
    friendshipStatus: 'REQUEST_SENT',
    viewerCanSendFriendRequest: false,
    pendingFriendRequest: { id: request.id, status: 'PENDING', sender: { id: alice.id } },
  });
  expect((await client.relation(bob, alice)).friendshipStatus).toBe('REQUEST_RECEIVED');

  const sent = await bus.waitFor('FriendRequestSent', { requestId: request.id });
  expect(sent.data).toMatchObject({
    senderId: alice.id,
    receiverId: bob.id,
    message: 'Hi Bob!',
    mutualFriendsCount: 0,
  });

  type Responded = { respondToFriendRequest: { id: string; status: string; respondedAt: string | null } };
  const accepted = await client.run<Responded>(RESPOND, { id: request.id, accept: true }, bob);
  expect(accepted.respondToFriendRequest.status).toBe('ACCEPTED');
  expect(accepted.respondToFriendRequest.respondedAt).not.toBeNull();

  expect(await client.relation(alice, bob)).toMatchObject({
    friendshipStatus: 'FRIENDS',
    pendingFriendRequest: null,
    friendsCount: 1,
    viewerCanSendFriendRequest: false,
  });
  expect((await client.relation(bob, alice)).friendshipStatus).toBe('FRIENDS');
  expect((await list(bob, 'INCOMING')).totalCount).toBe(0);
  expect((await list(bob, 'INCOMING', { status: 'ACCEPTED' })).edges.map((e) => e.node.id)).toEqual([
    request.id,
  ]);
  await bus.waitFor('FriendRequestAccepted', {
    requestId: request.id,
    senderId: alice.id,
    receiverId: bob.id,
  });

  // Both timelines show the new friendship.
  type Activities = { activities: { edges: Array<{ node: { activityType: string; metadata: unknown } }> } };
  const timeline = await client.run<Activities>(
    '{ activities(first: 5) { edges { node { activityType metadata } } } }',
    {},
    bob,
  );
  expect(timeline.activities.edges.map((e) => e.node)).toContainEqual({
    activityType: 'FRIEND_ADDED',
    metadata: { friendId: alice.id, friendUsername: alice.username },
  });

  // Answering twice, or as the sender, does not work.
  expect(await client.failure(RESPOND, { id: request.id, accept: true }, bob)).toBe('CONFLICT');
  expect(await client.failure(RESPOND, { id: request.id, accept: true }, alice)).toBe('NOT_FOUND');
  expect(await client.failure(SEND_REQUEST, { userId: bob.id }, alice)).toBe('CONFLICT');
  expect(await client.failure(SEND_REQUEST, { userId: alice.id }, bob)).toBe('CONFLICT');
});

test('a declined request can be sent again; a cancelled one disappears from the lists', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  const first = await client.send(alice, bob);
  type Responded = { respondToFriendRequest: { status: string } };
  const declined = await client.run<Responded>(RESPOND, { id: first.id, accept: false }, bob);
  expect(declined.respondToFriendRequest.status).toBe('REJECTED');
  await bus.waitFor('FriendRequestClosed', { requestId: first.id, status: 'REJECTED' });
  expect((await client.relation(alice, bob)).friendshipStatus).toBe('NONE');
  expect((await list(bob, 'INCOMING')).totalCount).toBe(0);
  expect((await list(alice, 'OUTGOING', { status: 'REJECTED' })).totalCount).toBe(1);

  const second = await client.send(alice, bob, 'Second try');
  expect(second.id).not.toBe(first.id);
  expect((await list(bob, 'INCOMING')).edges.map((e) => e.node.message)).toEqual(['Second try']);
  // The old request is settled for good.
  expect(await client.failure(RESPOND, { id: first.id, accept: true }, bob)).toBe('NOT_FOUND');

  // Only the sender can cancel, once.
  expect(await client.failure(CANCEL, { id: second.id }, bob)).toBe('NOT_FOUND');
  type Cancelled = { cancelFriendRequest: { status: string } };
  expect((await client.run<Cancelled>(CANCEL, { id: second.id }, alice)).cancelFriendRequest.status).toBe(
    'CANCELLED',
  );
  expect(await client.failure(CANCEL, { id: second.id }, alice)).toBe('CONFLICT');
  expect(await client.failure(RESPOND, { id: second.id, accept: true }, bob)).toBe('CONFLICT');
  await bus.waitFor('FriendRequestClosed', { requestId: second.id, status: 'CANCELLED' });
  expect((await list(bob, 'INCOMING')).totalCount).toBe(0);
  expect((await client.relation(bob, alice)).viewerCanSendFriendRequest).toBe(true);
});

test('every rule of sendFriendRequest has its error code', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  const closed = await testbed.member();
  await testbed.eventually(
    () =>
      testbed.supergraph.query(
        'mutation { updatePrivacySettings(input: { allowFriendRequests: false }) { allowFriendRequests } }',
        {},
        { token: closed.token },
      ),
    (response) => !response.errors,
  );

  expect(await client.failure(SEND_REQUEST, { userId: bob.id })).toBe('UNAUTHENTICATED');
  expect(await client.failure(SEND_REQUEST, { userId: alice.id }, alice)).toBe('BAD_USER_INPUT');
  expect(await client.failure(SEND_REQUEST, { userId: bob.id, message: 'x'.repeat(201) }, alice)).toBe(
    'BAD_USER_INPUT',
  );
  expect(await client.failure(SEND_REQUEST, { userId: 'not-a-user-id' }, alice)).toBe('BAD_USER_INPUT');
  expect(await client.failure(SEND_REQUEST, { userId: '00000000-0000-4000-8000-000000000000' }, alice)).toBe(
    'NOT_FOUND',
  );
  expect(await client.failure(SEND_REQUEST, { userId: closed.id }, alice)).toBe('FORBIDDEN');
  expect((await client.relation(alice, closed)).viewerCanSendFriendRequest).toBe(false);

  // A message of exactly 200 characters is fine; a pending request blocks a second one either way.
  await client.send(alice, bob, 'y'.repeat(200));
  expect(await client.failure(SEND_REQUEST, { userId: bob.id }, alice)).toBe('CONFLICT');
  expect(await client.failure(SEND_REQUEST, { userId: alice.id }, bob)).toBe('CONFLICT');

  // Blocked either way: FORBIDDEN (and the pending request is gone).
  await client.run('mutation ($id: ID!) { block(userId: $id) { id } }', { id: alice.id }, bob);
  expect(await client.failure(SEND_REQUEST, { userId: bob.id }, alice)).toBe('FORBIDDEN');
  expect(await client.failure(SEND_REQUEST, { userId: alice.id }, bob)).toBe('FORBIDDEN');
  expect((await list(bob, 'INCOMING')).totalCount).toBe(0);

  // Nothing was stored by the failed attempts.
  expect(await testbed.db.collection('friend_requests').countDocuments({ receiverId: closed.id })).toBe(0);
});

test('removeFriend ends the friendship on both sides and fails when there is none', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  await client.befriend(alice, bob);
  expect((await client.relation(alice, alice)).friendsCount).toBe(1);
  await client.run(REMOVE_FRIEND, { userId: bob.id }, alice);
  expect(await client.relation(alice, bob)).toMatchObject({ friendshipStatus: 'NONE', friendsCount: 0 });
  expect((await client.relation(bob, alice)).friendsCount).toBe(0);
  const removed = await bus.waitFor('FriendRemoved', { userId: alice.id, friendId: bob.id });
  expect(removed.data).toMatchObject({ reason: 'REQUESTED' });
  expect(await client.failure(REMOVE_FRIEND, { userId: bob.id }, alice)).toBe('NOT_FOUND');
  // Friends again after a new request.
  await client.befriend(bob, alice);
  expect((await client.relation(alice, bob)).friendshipStatus).toBe('FRIENDS');
});

test('a request expires 30 days after it was sent: it disappears and can be sent again', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  const request = await client.send(alice, bob);
  // 30 days pass: the request's expiry is now in the past.
  await testbed.db
    .collection('friend_requests')
    .updateOne({ _id: request.id as never }, { $set: { expiresAt: new Date(Date.now() - 1_000) } });

  // At once, it no longer counts as pending...
  expect((await list(bob, 'INCOMING')).totalCount).toBe(0);
  expect((await client.relation(bob, alice)).friendshipStatus).toBe('NONE');
  expect(await client.failure(RESPOND, { id: request.id, accept: true }, bob)).toBe('NOT_FOUND');
  // ...and the TTL monitor deletes it.
  await testbed.eventually(
    () => testbed.db.collection('friend_requests').findOne({ _id: request.id as never }),
    (document) => document === null,
  );
  expect((await list(alice, 'OUTGOING')).totalCount).toBe(0);
  const again = await client.send(alice, bob);
  expect((await list(bob, 'INCOMING')).edges.map((e) => e.node.id)).toEqual([again.id]);
});

test('friend requests page newest first with cursors', async () => {
  const receiver = await testbed.member();
  const senders = await Promise.all(Array.from({ length: 5 }, () => testbed.member()));
  const ids: string[] = [];
  for (const sender of senders) ids.push((await client.send(sender, receiver)).id);
  const first = await list(receiver, 'INCOMING', { first: 2 });
  expect(first.totalCount).toBe(5);
  expect(first.pageInfo.hasNextPage).toBe(true);
  const second = await list(receiver, 'INCOMING', { first: 2, after: first.pageInfo.endCursor });
  const third = await list(receiver, 'INCOMING', { first: 2, after: second.pageInfo.endCursor });
  expect(third.pageInfo.hasNextPage).toBe(false);
  expect([...first.edges, ...second.edges, ...third.edges].map((e) => e.node.id)).toEqual([...ids].reverse());
  expect(await client.failure(REQUESTS, { direction: 'INCOMING', after: 'garbage!' }, receiver)).toBe(
    'BAD_USER_INPUT',
  );
  expect(await client.failure(REQUESTS, { direction: 'INCOMING', first: 51 }, receiver)).toBe(
    'BAD_USER_INPUT',
  );
});

test('a friend request entity is visible to its sender and receiver only', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  const carol = await testbed.member();
  const request = await client.send(alice, bob);
  // The entity as another subgraph would reference it (e.g. a notification's target).
  const entities = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on FriendRequest { id status } } }`;
  const reps = { reps: [{ __typename: 'FriendRequest', id: request.id }] };
  const as = async (token?: string) =>
    (
      await testbed.supergraph.query<{ _entities: unknown[] }>(entities, reps, {
        target: 'profile',
        ...(token ? { token } : {}),
      })
    ).data?._entities;
  expect(await as(alice.token)).toEqual([{ id: request.id, status: 'PENDING' }]);
  expect(await as(bob.token)).toEqual([{ id: request.id, status: 'PENDING' }]);
  expect(await as(carol.token)).toEqual([null]);
  expect(await as()).toEqual([null]);
});
