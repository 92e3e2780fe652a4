/**
 * Presence lapses: a user whose heartbeat is older than the TTL (5 minutes; 1 second here) goes
 * offline for everyone, and PresenceChanged says so.
 */
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { SET_PRESENCE, graphClient, recordEvents } from './graph-helpers.js';

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;
let bus: Awaited<ReturnType<typeof recordEvents>>;

beforeAll(async () => {
  testbed = await startProfileTestbed({ PRESENCE_TTL_SECONDS: '1', PRESENCE_SWEEP_MS: '200' });
  client = graphClient(testbed);
  bus = await recordEvents(testbed, 'graph-presence-ttl-test');
});
afterAll(async () => {
  await testbed?.stop();
});

test('without heartbeats a user goes offline after the TTL, with a PresenceChanged event', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  await client.run(SET_PRESENCE, { online: true }, alice);
  await bus.waitFor('PresenceChanged', { userId: alice.id, isOnline: true });

  const lapsed = await bus.waitFor('PresenceChanged', { userId: alice.id, isOnline: false });
  const seen = await client.relation(bob, alice);
  expect(seen.isOnline).toBe(false);
  expect(seen.lastSeenAt).not.toBeNull();
  expect(lapsed.data).toMatchObject({ lastSeenAt: seen.lastSeenAt });
  const profile = await testbed.db.collection('user_profiles').findOne({ _id: alice.id as never });
  expect(profile?.isOnline).toBe(false);

  // The next heartbeat brings her back, as a new transition.
  await client.run(SET_PRESENCE, { online: true }, alice);
  await testbed.eventually(
    async () => bus.count('PresenceChanged', { userId: alice.id, isOnline: true }),
    (count) => count === 2,
  );
});

test('a profile left online by a lost sweep is put right from the stored state', async () => {
  const carol = await testbed.member();
  const dave = await testbed.member();
  // As if an instance marked Carol online and crashed before its sweep could take her (or Redis
  // lost its keys): only the profile says she is online, with a heartbeat long ago.
  await testbed.db
    .collection('user_profiles')
    .updateOne(
      { _id: carol.id as never },
      { $set: { isOnline: true, lastSeenAt: new Date(Date.now() - 3_600_000) } },
    );
  await bus.waitFor('PresenceChanged', { userId: carol.id, isOnline: false });
  expect((await client.relation(dave, carol)).isOnline).toBe(false);
  const profile = await testbed.db.collection('user_profiles').findOne({ _id: carol.id as never });
  expect(profile?.isOnline).toBe(false);
});
