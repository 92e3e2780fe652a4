/**
 * The database cost of a page of notifications (DESIGN 10): N notifications with their actor and
 * recent actors (names and avatars from profile, through the gateway) cost as many MongoDB
 * commands in notification and in profile for N = 5 as for N = 50.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { startNotificationTestbed, type NotificationTestbed } from './helpers.js';

let bed: NotificationTestbed;
beforeAll(async () => {
  bed = await startNotificationTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const PAGE = `query ($first: Int) { notifications(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id type title message groupCount isRead createdAt
    actor { id username displayName avatarUrl }
    actors(first: 3) { id displayName }
  } } } }`;

type Page = {
  notifications: {
    edges: Array<{
      node: { actor: { displayName: string | null } | null; actors: Array<{ displayName: string | null }> };
    }>;
  };
};

/** Commands per service while the page loads: the fewest of three runs (background pollers add some). */
async function commandsFor(viewer: TestAccount, first: number) {
  const runs: Array<{ notification: number; profile: number }> = [];
  for (let run = 0; run < 3; run += 1) {
    const counts = { notification: 0, profile: 0 };
    const stop = onMongoCommand((event) => {
      if (event.appName === 'notification' || event.appName === 'profile') counts[event.appName] += 1;
    });
    try {
      const page = await bed.run<Page>(PAGE, { first }, viewer);
      expect(page.notifications.edges).toHaveLength(first);
    } finally {
      stop();
    }
    runs.push(counts);
  }
  return {
    notification: Math.min(...runs.map((run) => run.notification)),
    profile: Math.min(...runs.map((run) => run.profile)),
  };
}

test('a page of notifications costs as many commands for 50 as for 5, in notification and in profile', async () => {
  const viewer = await bed.member();
  const actors = await bed.members(5);
  // One group with five actors, and fifty single notifications from the five.
  const postId = await bed.post(viewer, { content: 'popular', visibility: 'PUBLIC' });
  for (const actor of actors) await bed.react(actor, postId);
  for (let round = 0; round < 10; round += 1) {
    await Promise.all(actors.map((actor, index) => bed.mention(actor, viewer, `mention ${round}-${index}`)));
  }
  const nodes = await bed.waitForNotifications(viewer, (list) => list.length === 50, { first: 50 });
  await bed.waitForNotifications(viewer, (list) => list[0]?.groupCount === 5, { first: 1, types: ['LIKE'] });
  expect(nodes.every((node) => node.actor !== null)).toBe(true);

  const page = await bed.run<Page>(PAGE, { first: 50 }, viewer);
  const listed = page.notifications.edges.map((edge) => edge.node);
  expect(listed.every((node) => node.actor?.displayName === 'Test User')).toBe(true);
  expect(listed.some((node) => node.actors.length === 3)).toBe(true);

  const five = await commandsFor(viewer, 5);
  const fifty = await commandsFor(viewer, 50);
  console.log(`notification page MongoDB commands: ${JSON.stringify({ 'N=5': five, 'N=50': fifty })}`);
  expect(five.notification).toBeGreaterThan(0);
  expect(five.profile).toBeGreaterThan(0);
  expect(fifty).toEqual(five);
}, 90_000);
