/**
 * Expiry (seed: notifications are deleted 7 days after creation, by a TTL index): with the TTL set
 * to a few seconds, a notification leaves its recipient's list and count when it expires (and the
 * count subscription says so), and the database's TTL monitor deletes it.
 */
import {
  COUNT_CHANGED,
  NOTIFICATION,
  startNotificationTestbed,
  type Notification,
  type NotificationTestbed,
} from './helpers.js';

const TTL_SECONDS = 6;

let bed: NotificationTestbed;
beforeAll(async () => {
  bed = await startNotificationTestbed({ env: { NOTIFICATION_TTL_DAYS: String(TTL_SECONDS / 86_400) } });
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

test('an expired notification leaves the list and the count, and the TTL monitor deletes it', async () => {
  const [viewer, fan] = await bed.members(2);
  const postId = await bed.post(viewer, { content: 'fleeting', visibility: 'PUBLIC' });
  await bed.react(fan, postId);
  const [like] = await bed.waitForNotifications(viewer, (nodes) => nodes.length === 1);
  const notification = like as Notification;
  expect(new Date(notification.expiresAt).getTime() - new Date(notification.createdAt).getTime()).toBe(
    TTL_SECONDS * 1000,
  );
  expect(await bed.unreadCount(viewer)).toBe(1);
  const counts = await bed.subscribe<{ unreadNotificationCountChanged: number }>(
    COUNT_CHANGED,
    viewer,
    `notification:unread:${viewer.id}`,
  );

  // Nothing announces an expiry: the subscription notices the first unread one lapsing.
  expect((await counts.next(TTL_SECONDS * 1000 + 10_000)).data).toEqual({
    unreadNotificationCountChanged: 0,
  });
  expect(Date.now()).toBeGreaterThanOrEqual(new Date(notification.expiresAt).getTime());
  expect(await bed.unreadCount(viewer)).toBe(0);
  expect((await bed.notifications(viewer)).edges).toEqual([]);
  expect(await bed.run(NOTIFICATION, { id: notification.id }, viewer)).toEqual({ notification: null });

  // The database's TTL monitor (the embedded server's sweeps every second) deletes it.
  await bed.eventually(
    () => bed.db.collection('notifications').countDocuments({ userId: viewer.id }),
    (left) => left === 0,
  );
  await counts.close();
}, 60_000);
