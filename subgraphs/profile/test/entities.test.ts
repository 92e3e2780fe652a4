/**
 * `User` entity references as the gateway fetches them (e.g. a message's sender for each
 * subscriber of a conversation): one MongoDB command for the profiles and all the viewer's
 * relation their access level depends on, with the privacy rules unchanged.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { befriend, block, setPrivacy, updateProfile } from './profile-fixtures.js';

let bed: ProfileTestbed;

beforeAll(async () => {
  // No background polling of the outbox or presence: the command count sees requests only.
  bed = await startProfileTestbed({ OUTBOX_POLL_MS: '3600000', PRESENCE_SWEEP_MS: '3600000' });
});
afterAll(async () => {
  await bed?.stop();
});

const ENTITIES = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on User { id displayName avatarUrl bio } } }`;

type Entity = { id: string; displayName: string | null; avatarUrl: string | null; bio: string | null };

async function entities(
  viewer: TestAccount,
  users: TestAccount[],
  query = ENTITIES,
): Promise<{ commands: number; users: Entity[] }> {
  const counts: number[] = [];
  let result: Entity[] = [];
  for (let run = 0; run < 3; run += 1) {
    let count = 0;
    const stop = onMongoCommand((event) => {
      if (event.appName === 'profile') count += 1;
    });
    try {
      const response = await bed.supergraph.query<{ _entities: Entity[] }>(
        query,
        { reps: users.map((user) => ({ __typename: 'User', id: user.id })) },
        { token: viewer.token, target: 'profile' },
      );
      expect(response.errors).toBeUndefined();
      result = response.data!._entities;
    } finally {
      stop();
    }
    counts.push(count);
  }
  return { commands: Math.min(...counts), users: result };
}

test('one user, or several, with their privacy applied, cost one MongoDB command', async () => {
  const [viewer, friend, stranger, blocker] = [
    await bed.member(),
    await bed.member(),
    await bed.member(),
    await bed.member(),
  ];
  for (const user of [friend, stranger, blocker]) {
    await updateProfile(bed, user, { displayName: `Name ${user.username}`, bio: `Bio ${user.username}` });
    await setPrivacy(bed, user, { profileVisibility: 'FRIENDS' });
  }
  await befriend(bed, viewer, friend);
  await block(bed, blocker, viewer);

  const one = await entities(viewer, [friend]);
  expect(one.commands).toBe(1);
  expect(one.users).toEqual([
    { id: friend.id, displayName: `Name ${friend.username}`, avatarUrl: null, bio: `Bio ${friend.username}` },
  ]);

  const three = await entities(viewer, [friend, stranger, blocker]);
  expect(three.commands).toBe(1);
  expect(three.users).toEqual([
    { id: friend.id, displayName: `Name ${friend.username}`, avatarUrl: null, bio: `Bio ${friend.username}` },
    // Not a friend: identity only.
    { id: stranger.id, displayName: `Name ${stranger.username}`, avatarUrl: null, bio: null },
    // Blocked the viewer: nothing.
    { id: blocker.id, displayName: null, avatarUrl: null, bio: null },
  ]);
});

test('a selection of identity fields only (a card) gets the same answers, and any other field its value', async () => {
  const [viewer, friend, stranger, blocker, verified] = [
    await bed.member(),
    await bed.member(),
    await bed.member(),
    await bed.member(),
    await bed.member(),
  ];
  for (const user of [friend, stranger, blocker, verified]) {
    await updateProfile(bed, user, {
      displayName: `Name ${user.username}`,
      tagline: `Tagline ${user.username}`,
      bio: `Bio ${user.username}`,
    });
    await setPrivacy(bed, user, { profileVisibility: 'PRIVATE' });
  }
  await befriend(bed, viewer, friend);
  await block(bed, blocker, viewer);
  const users = [friend, stranger, blocker, viewer];

  // Loaded projected to the identity (resolvers/identity.ts): privacy still applies as before.
  const CARD = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
    ... on User { id displayName tagline profileVisibility __typename } } }`;
  const card = await entities(viewer, users, CARD);
  expect(card.commands).toBe(1);
  const identity = (user: TestAccount) => ({
    id: user.id,
    displayName: `Name ${user.username}`,
    tagline: `Tagline ${user.username}`,
    profileVisibility: 'PRIVATE',
    __typename: 'User',
  });
  const nothing = (user: TestAccount) => ({
    id: user.id,
    displayName: null,
    tagline: null,
    profileVisibility: null,
    __typename: 'User',
  });
  expect(card.users).toEqual([
    identity(friend),
    identity(stranger),
    nothing(blocker),
    // Their own card, whatever its settings.
    expect.objectContaining({ id: viewer.id, displayName: expect.any(String), __typename: 'User' }),
  ]);

  // Signed out: the identity of everyone not hidden (nobody blocked an anonymous viewer).
  const anonymous = await bed.supergraph.query<{ _entities: Entity[] }>(
    CARD,
    { reps: [friend, blocker].map((user) => ({ __typename: 'User', id: user.id })) },
    { target: 'profile' },
  );
  expect(anonymous.errors).toBeUndefined();
  expect(anonymous.data!._entities).toEqual([identity(friend), identity(blocker)]);

  // One field beyond the identity, here in a named fragment, and every field has its value.
  const MIXED = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
    ... on User { id displayName tagline profileVisibility __typename ...More } } }
    fragment More on User { bio }`;
  const mixed = await entities(viewer, [friend, stranger, blocker], MIXED);
  expect(mixed.commands).toBe(1);
  expect(mixed.users).toEqual([
    // PRIVATE: even a friend sees the identity only, and the owner sees all (below).
    { ...identity(friend), bio: null },
    { ...identity(stranger), bio: null },
    { ...nothing(blocker), bio: null },
  ]);
  const own = await entities(verified, [verified], MIXED);
  expect(own.users).toEqual([{ ...identity(verified), bio: `Bio ${verified.username}` }]);
});
