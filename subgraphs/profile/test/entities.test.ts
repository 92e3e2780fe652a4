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
        ENTITIES,
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
