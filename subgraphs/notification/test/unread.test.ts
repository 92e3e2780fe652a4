/**
 * unreadNotificationCount on real Redis: served from the cache once counted, exact after every
 * change (the change invalidates it), and exact under concurrent reads of the same notifications
 * (each counts once), with unreadNotificationCountChanged ending on the true count.
 */
import { onMongoCommand } from '@social/kit';
import type { SubscriptionHandle, TestAccount } from '@social/testing';
import {
  COUNT_CHANGED,
  DELETE,
  MARK_ALL_READ,
  MARK_READ,
  requireRedis,
  startNotificationTestbed,
  type NotificationTestbed,
} from './helpers.js';

let bed: NotificationTestbed;
beforeAll(async () => {
  bed = await startNotificationTestbed({ redisUrl: await requireRedis() });
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

async function inbox(size: number): Promise<{ viewer: TestAccount; actor: TestAccount; ids: string[] }> {
  const [viewer, actor] = await bed.members(2);
  for (let i = 0; i < size; i += 1) await bed.mention(actor, viewer, `note ${i}`);
  const nodes = await bed.waitForNotifications(viewer, (list) => list.length === size);
  return { viewer, actor, ids: nodes.map((node) => node.id) };
}

/** The aggregations notification sends while `fn` runs (the count itself: the cache's misses). */
async function countings<T>(fn: () => Promise<T>): Promise<{ result: T; counted: number }> {
  let counted = 0;
  const stop = onMongoCommand((event) => {
    if (event.appName === 'notification' && event.commandName === 'aggregate') counted += 1;
  });
  try {
    return { result: await fn(), counted };
  } finally {
    stop();
  }
}

test('the count is counted once, then served from Redis until a change invalidates it', async () => {
  const { viewer, actor, ids } = await inbox(5);
  expect(await countings(() => bed.unreadCount(viewer))).toEqual({ result: 5, counted: 1 });
  expect(await countings(() => bed.unreadCount(viewer))).toEqual({ result: 5, counted: 0 });
  const cached = await bed.supergraph.stack.resources.redis?.hgetall(
    `${bed.supergraph.stack.resources.redisKeyPrefix}notification:unread:${viewer.id}`,
  );
  expect(cached?.c).toMatch(/\|5\|\d+$/);

  await bed.mention(actor, viewer, 'one more');
  await bed.waitForNotifications(viewer, (list) => list.length === 6);
  expect(await bed.unreadCount(viewer)).toBe(6);
  await bed.run(MARK_READ, { id: ids[0] }, viewer);
  expect(await bed.unreadCount(viewer)).toBe(5);
  await bed.run(DELETE, { id: ids[1] }, viewer);
  expect(await bed.unreadCount(viewer)).toBe(4);
  // Deleting a read one changes nothing.
  await bed.run(DELETE, { id: ids[0] }, viewer);
  expect(await countings(() => bed.unreadCount(viewer))).toEqual({ result: 4, counted: 0 });
  await bed.run(MARK_ALL_READ, {}, viewer);
  expect(await bed.unreadCount(viewer)).toBe(0);
});

/** Events of a count subscription until `final` arrives (fails if it never does). */
async function countsUntil(
  subscription: SubscriptionHandle<{ unreadNotificationCountChanged: number }>,
  final: number,
) {
  const seen: number[] = [];
  while (seen.at(-1) !== final) {
    const event = await subscription.next(10_000);
    seen.push(event.data!.unreadNotificationCountChanged);
  }
  return seen;
}

test('20 concurrent reads of the same notifications count each once, and the subscription ends exact', async () => {
  const { viewer, ids } = await inbox(10);
  expect(await bed.unreadCount(viewer)).toBe(10);
  const subscription = await bed.subscribe<{ unreadNotificationCountChanged: number }>(
    COUNT_CHANGED,
    viewer,
    `notification:unread:${viewer.id}`,
  );

  // Half of them, each marked read four times at once.
  const half = ids.slice(0, 5);
  await Promise.all(Array.from({ length: 20 }, (_, i) => bed.run(MARK_READ, { id: half[i % 5] }, viewer)));
  expect(await bed.unreadCount(viewer)).toBe(5);
  const first = await countsUntil(subscription, 5);
  expect(first.every((count) => count >= 5 && count < 10)).toBe(true);
  expect(first).toEqual([...first].sort((a, b) => b - a));

  // Then 20 "mark all read" at once: together they changed exactly the five left.
  const changed = await Promise.all(
    Array.from({ length: 20 }, () =>
      bed.run<{ markAllNotificationsRead: number }>(MARK_ALL_READ, {}, viewer),
    ),
  );
  expect(changed.reduce((sum, each) => sum + each.markAllNotificationsRead, 0)).toBe(5);
  expect(await bed.unreadCount(viewer)).toBe(0);
  expect((await countsUntil(subscription, 0)).every((count) => count < 5)).toBe(true);
  await subscription.close();
});

test('the count subscription reports new notifications and is the viewer’s own', async () => {
  const [viewer, other, actor] = await bed.members(3);
  const mine = await bed.subscribe<{ unreadNotificationCountChanged: number }>(
    COUNT_CHANGED,
    viewer,
    `notification:unread:${viewer.id}`,
  );
  const theirs = await bed.subscribe<{ unreadNotificationCountChanged: number }>(
    COUNT_CHANGED,
    other,
    `notification:unread:${other.id}`,
  );
  await bed.mention(actor, viewer, 'for the viewer');
  expect((await mine.next(10_000)).data).toEqual({ unreadNotificationCountChanged: 1 });
  await bed.mention(actor, other, 'for the other');
  expect((await theirs.next(10_000)).data).toEqual({ unreadNotificationCountChanged: 1 });
  await expect(mine.next(300)).rejects.toThrow(/no subscription event/);
  await mine.close();
  await theirs.close();
});
