import { startMongoEmbedded, type MongoEmbedded } from '@social/mongo-embedded';
import { MongoClient, type Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import type { CommandStartedEvent } from 'mongodb';
import { ensureCollections, handleEventOnce, processedEventsCollection } from '../src/mongo-store.js';
import {
  createSocialLoaders,
  DEFAULT_PRIVACY,
  NO_RELATION,
  SocialReplica,
  socialReplicaCollections,
  type PrivacySnapshot,
} from '../src/social-replica.js';

let server: MongoEmbedded;
let client: MongoClient;
let db: Db;
let replica: SocialReplica;
let dbCount = 0;

beforeAll(async () => {
  server = await startMongoEmbedded({ port: 0, logger: silentLogger() });
  client = await MongoClient.connect(server.uri, { monitorCommands: true });
});
afterAll(async () => {
  await client.close();
  await server.stop();
});
beforeEach(async () => {
  dbCount += 1;
  db = client.db(`kit_replica_${dbCount}`);
  await ensureCollections(db, [...socialReplicaCollections(), processedEventsCollection]);
  replica = new SocialReplica(db);
});

let clock = Date.parse('2026-01-01T00:00:00Z');

/** An event `offsetMs` after the previous one (negative: an older event arriving late). */
function event(producer: string, type: string, data: unknown, offsetMs = 1000): EventEnvelope {
  clock += offsetMs;
  return { id: randomUUID(), type, producer, occurredAt: new Date(clock).toISOString(), data };
}

async function apply(...events: EventEnvelope[]): Promise<boolean[]> {
  const applied: boolean[] = [];
  for (const e of events) {
    await handleEventOnce(client, db, e, async (session) => {
      applied.push(await replica.apply(session, e));
    });
  }
  return applied;
}

const identity = (userId: string, username: string) => ({
  userId,
  username,
  displayName: `${username} display`,
  avatarUrl: null,
});

test('profile and auth events build the user, and unknown users get the defaults', async () => {
  const privacy: PrivacySnapshot = { ...DEFAULT_PRIVACY, allowMessages: 'FRIENDS' };
  await apply(
    event('auth', 'UserRegistered', { userId: 'u1', username: 'Alice', email: 'a@x.io' }),
    event('profile', 'ProfileCreated', {
      ...identity('u1', 'Alice'),
      privacySettings: DEFAULT_PRIVACY,
      notificationSettings: { ...defaultsOff(), likeNotifications: true },
      createdAt: new Date().toISOString(),
    }),
    event('profile', 'PrivacySettingsChanged', {
      userId: 'u1',
      privacySettings: privacy,
      changed: ['allowMessages'],
    }),
  );
  const users = await replica.users(['u1', 'nobody']);
  expect(users.get('u1')).toMatchObject({
    username: 'Alice',
    displayName: 'Alice display',
    status: 'ACTIVE',
    privacy: { allowMessages: 'FRIENDS' },
    notificationSettings: { likeNotifications: true, messageNotifications: false },
    known: true,
  });
  expect(users.get('nobody')).toMatchObject({ known: false, status: 'ACTIVE', privacy: DEFAULT_PRIVACY });
  expect((await replica.usersByUsername(['ALICE'])).get('alice')?.userId).toBe('u1');
});

test('an older event arriving late never overwrites a newer fact', async () => {
  const newer = event('profile', 'ProfileUpdated', { ...identity('u1', 'new_name'), changed: ['username'] });
  const older = event(
    'profile',
    'ProfileUpdated',
    { ...identity('u1', 'old_name'), changed: ['username'] },
    -5000,
  );
  const suspended = event('auth', 'UserStatusChanged', { userId: 'u1', status: 'SUSPENDED' });
  const staleActive = event('auth', 'UserStatusChanged', { userId: 'u1', status: 'ACTIVE' }, -60_000);
  await apply(newer, older, suspended, staleActive);
  const user = (await replica.users(['u1'])).get('u1');
  expect(user).toMatchObject({ username: 'new_name', status: 'SUSPENDED' });
  expect(replica.isHidden(user!)).toBe(true);

  // A registration replayed after the status change does not reactivate the account.
  await apply(event('auth', 'UserRegistered', { userId: 'u1', username: 'new_name' }, -120_000));
  expect((await replica.users(['u1'])).get('u1')?.status).toBe('SUSPENDED');
});

test('deletion is final, whatever arrives after it', async () => {
  await apply(
    event('auth', 'UserDeleted', { userId: 'u1' }),
    event('auth', 'UserStatusChanged', { userId: 'u1', status: 'ACTIVE' }, 10_000),
  );
  expect((await replica.users(['u1'])).get('u1')?.status).toBe('DELETED');
});

test('friendships, follows and blocks give relations both ways and the audience', async () => {
  await apply(
    event('profile', 'FriendRequestAccepted', { requestId: 'r', senderId: 'a', receiverId: 'b' }),
    event('profile', 'UserFollowed', { followerId: 'a', followeeId: 'c' }),
    event('profile', 'UserFollowed', { followerId: 'd', followeeId: 'a' }),
    event('profile', 'UserBlocked', { blockerId: 'e', blockedId: 'a' }),
    event('profile', 'UserBlocked', { blockerId: 'a', blockedId: 'f' }),
  );
  const relations = await replica.relations('a', ['b', 'c', 'd', 'e', 'f', 'g']);
  expect(relations.get('b')).toMatchObject({ friends: true, following: false, blocked: false });
  expect(relations.get('c')).toMatchObject({ following: true, followedBy: false });
  expect(relations.get('d')).toMatchObject({ following: false, followedBy: true });
  expect(relations.get('e')).toMatchObject({ blockedBy: true, blocking: false, blocked: true });
  expect(relations.get('f')).toMatchObject({ blocking: true, blocked: true });
  expect(relations.get('g')).toEqual(NO_RELATION);
  expect((await replica.relations('b', ['a'])).get('a')?.friends).toBe(true);

  const audience = await replica.audience('a');
  expect(audience.friends).toEqual(['b']);
  expect(audience.following).toEqual(['c']);
  expect(audience.blocked.sort()).toEqual(['e', 'f']);
});

test('removals end edges, and a late add does not resurrect an edge its removal ended', async () => {
  const followed = event('profile', 'UserFollowed', { followerId: 'a', followeeId: 'b' });
  const unfollowed = event('profile', 'UserUnfollowed', {
    followerId: 'a',
    followeeId: 'b',
    reason: 'REQUESTED',
  });
  const accepted = event('profile', 'FriendRequestAccepted', {
    requestId: 'r',
    senderId: 'a',
    receiverId: 'b',
  });
  const removed = event('profile', 'FriendRemoved', { userId: 'b', friendId: 'a', reason: 'REQUESTED' });
  // Delivered out of order: each removal before the addition it ends.
  await apply(unfollowed, followed, removed, accepted);
  expect((await replica.relations('a', ['b'])).get('b')).toEqual(NO_RELATION);
  expect(await replica.audience('b')).toEqual({ friends: [], following: [], blocked: [] });

  await apply(event('profile', 'UserBlocked', { blockerId: 'a', blockedId: 'b' }));
  await apply(event('profile', 'UserUnblocked', { blockerId: 'a', blockedId: 'b' }));
  expect((await replica.relations('b', ['a'])).get('a')?.blocked).toBe(false);
});

test('types it does not keep are left to the caller, and a bad payload fails loudly', async () => {
  expect(await apply(event('profile', 'PresenceChanged', { userId: 'a', isOnline: true }))).toEqual([false]);
  const bad = event('profile', 'UserBlocked', { blockerId: 'a' });
  await expect(apply(bad)).rejects.toThrow();
  // Nothing of the failed event was recorded, so a redelivery is handled afresh.
  expect(await db.collection('processed_events').countDocuments({ _id: `profile:${bad.id}` as never })).toBe(
    0,
  );
});

test('the loaders batch a tick of lookups into one command each', async () => {
  await apply(event('profile', 'FriendRequestAccepted', { requestId: 'r', senderId: 'v', receiverId: 'x1' }));
  const commands: string[] = [];
  const listener = (started: CommandStartedEvent) => {
    if (started.commandName === 'find') commands.push(String(started.command.find));
  };
  client.on('commandStarted', listener);
  try {
    const loaders = createSocialLoaders(replica, 'v');
    const ids = Array.from({ length: 30 }, (_, i) => `x${i}`);
    const [users, relations] = await Promise.all([
      Promise.all(ids.map((userId) => loaders.user.load(userId))),
      Promise.all(ids.map((userId) => loaders.relation.load(userId))),
    ]);
    expect(users).toHaveLength(30);
    expect(relations.filter((relation) => relation.friends)).toHaveLength(1);
    expect(commands.sort()).toEqual(['social_edges', 'social_users']);
    // Without a viewer there is no relation to look up.
    const anonymous = createSocialLoaders(replica, null);
    expect(await anonymous.relation.load('x1')).toEqual(NO_RELATION);
    expect(commands).toHaveLength(2);
  } finally {
    client.off('commandStarted', listener);
  }
});

function defaultsOff() {
  return {
    emailNotifications: false,
    pushNotifications: false,
    messageNotifications: false,
    friendRequestNotifications: false,
    postNotifications: false,
    commentNotifications: false,
    likeNotifications: false,
    mentionNotifications: false,
    followerNotifications: false,
  };
}
