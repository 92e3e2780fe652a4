/**
 * Presence through the gateway: setPresence(true) is a heartbeat that marks the viewer online,
 * false signs off and sets lastSeenAt; others see both only as the privacy settings allow, and
 * PresenceChanged goes out once per transition.
 */
import { startProfileTestbed, type ProfileTestbed } from './helpers.js';
import { SET_PRESENCE, graphClient, recordEvents } from './graph-helpers.js';

let testbed: ProfileTestbed;
let client: ReturnType<typeof graphClient>;
let bus: Awaited<ReturnType<typeof recordEvents>>;

beforeAll(async () => {
  testbed = await startProfileTestbed();
  client = graphClient(testbed);
  bus = await recordEvents(testbed, 'graph-presence-test');
});
afterAll(async () => {
  await testbed?.stop();
});

const PRIVACY = `mutation ($input: UpdatePrivacySettingsInput!) { updatePrivacySettings(input: $input) { showOnlineStatus } }`;

test('online with a heartbeat, offline when signing off, PresenceChanged once per transition', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  expect(await client.relation(bob, alice)).toMatchObject({ isOnline: false, lastSeenAt: null });

  expect(await client.run(SET_PRESENCE, { online: true }, alice)).toEqual({ setPresence: true });
  const online = await client.relation(bob, alice);
  expect(online.isOnline).toBe(true);
  expect(online.lastSeenAt).not.toBeNull();
  expect((await client.relation(undefined, alice)).isOnline).toBe(true);
  const cameOnline = await bus.waitFor('PresenceChanged', { userId: alice.id, isOnline: true });
  expect(cameOnline.data).toMatchObject({ showOnlineStatus: true, showLastSeen: true });

  // A further heartbeat keeps her online without another event.
  await client.run(SET_PRESENCE, { online: true }, alice);
  expect((await client.relation(bob, alice)).isOnline).toBe(true);

  const before = Date.now();
  expect(await client.run(SET_PRESENCE, { online: false }, alice)).toEqual({ setPresence: false });
  const offline = await client.relation(bob, alice);
  expect(offline.isOnline).toBe(false);
  expect(Date.parse(offline.lastSeenAt ?? '')).toBeGreaterThanOrEqual(before - 1_000);
  const wentOffline = await bus.waitFor('PresenceChanged', { userId: alice.id, isOnline: false });
  expect(wentOffline.data).toMatchObject({ lastSeenAt: offline.lastSeenAt });
  // Events are in order: the one going offline came after a single one coming online.
  expect(bus.count('PresenceChanged', { userId: alice.id, isOnline: true })).toBe(1);

  // Signing off twice is no transition.
  await client.run(SET_PRESENCE, { online: false }, alice);
  await client.run(SET_PRESENCE, { online: true }, alice);
  await testbed.eventually(
    async () => bus.count('PresenceChanged', { userId: alice.id, isOnline: true }),
    (count) => count === 2,
  );
  expect(bus.count('PresenceChanged', { userId: alice.id, isOnline: false })).toBe(1);
  expect(await client.failure(SET_PRESENCE, { online: true })).toBe('UNAUTHENTICATED');
});

test('online status and last seen are hidden from others when the user says so', async () => {
  const alice = await testbed.member();
  const bob = await testbed.member();
  await client.run(SET_PRESENCE, { online: true }, alice);
  await client.run(PRIVACY, { input: { showOnlineStatus: false } }, alice);
  expect(await client.relation(bob, alice)).toMatchObject({ isOnline: null });
  expect((await client.relation(bob, alice)).lastSeenAt).not.toBeNull();
  expect((await client.relation(alice, alice)).isOnline).toBe(true);

  await client.run(PRIVACY, { input: { showLastSeen: false } }, alice);
  expect(await client.relation(bob, alice)).toMatchObject({ isOnline: null, lastSeenAt: null });
  expect((await client.relation(alice, alice)).lastSeenAt).not.toBeNull();

  await client.run(SET_PRESENCE, { online: false }, alice);
  const event = await bus.waitFor('PresenceChanged', { userId: alice.id, isOnline: false });
  // Chat relays the event only to those who may see it.
  expect(event.data).toMatchObject({ showOnlineStatus: false, showLastSeen: false });

  // A PRIVATE profile hides presence from strangers, not from its owner.
  await client.run(
    PRIVACY,
    { input: { showOnlineStatus: true, showLastSeen: true, profileVisibility: 'PRIVATE' } },
    alice,
  );
  await client.run(SET_PRESENCE, { online: true }, alice);
  expect(await client.relation(bob, alice)).toMatchObject({ isOnline: null, lastSeenAt: null });
  expect((await client.relation(alice, alice)).isOnline).toBe(true);
});
