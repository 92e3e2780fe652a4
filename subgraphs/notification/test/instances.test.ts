/**
 * Two notification instances sharing Redis and MongoDB, as two pods would: they share the event
 * stream's consumer group (each event handled by one of them), and a subscriber on instance A
 * receives what a consumer on instance B created, and count changes made through B; the unread
 * cache is shared.
 */
import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  createSharedResources,
  silentLogger,
  type PubSub,
  type ServiceInstance,
  type SharedResources,
} from '@social/kit';
import { postGraphQL, type TestAccount } from '@social/testing';
import { createService } from '../src/subgraph.js';
import {
  COUNT_CHANGED,
  MARK_READ,
  NOTIFICATION_ADDED,
  UNREAD_COUNT,
  requireRedis,
  startNotificationTestbed,
  type Notification,
  type NotificationTestbed,
} from './helpers.js';

interface SecondInstance {
  readonly url: string;
  readonly resources: SharedResources;
  /** Channels instance B published on (what its consumers and mutations announced). */
  readonly published: string[];
  stop(): Promise<void>;
}

/** A second notification instance: its own Redis connections, pub/sub and event bus, like a pod. */
async function startSecondInstance(bed: NotificationTestbed, redisUrl: string): Promise<SecondInstance> {
  const env = bed.supergraph.stack.resources.env;
  const publicKey = env.JWT_PUBLIC_KEY;
  if (!publicKey) throw new Error('The stack did not expose its JWT public key');
  const shared = createSharedResources({
    logger: silentLogger(),
    verification: { publicKey, issuer: DEFAULT_JWT_ISSUER, audience: DEFAULT_JWT_AUDIENCE },
    redisUrl,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    production: false,
    env,
  });
  const published: string[] = [];
  const pubsub: PubSub = {
    kind: shared.pubsub.kind,
    async publish(channel, payload) {
      published.push(channel);
      await shared.pubsub.publish(channel, payload);
    },
    subscribe: (channel, options) => shared.pubsub.subscribe(channel, options),
    ready: (iterator) => shared.pubsub.ready(iterator),
    close: () => shared.pubsub.close(),
    listenerCount: (channel) => shared.pubsub.listenerCount(channel),
  };
  const resources: SharedResources = { ...shared, pubsub };
  const service: ServiceInstance = await createService(resources);
  const url = await service.server.listen(0, '127.0.0.1');
  return {
    url,
    resources,
    published,
    async stop() {
      await service.server.stop();
      await service.close();
      await shared.close();
    },
  };
}

let bed: NotificationTestbed;
let second: SecondInstance;
beforeAll(async () => {
  const redisUrl = await requireRedis();
  bed = await startNotificationTestbed({ redisUrl });
  second = await startSecondInstance(bed, redisUrl);
}, 60_000);
afterAll(async () => {
  await second?.stop();
  await bed?.stop();
});

async function onB<T>(query: string, variables: Record<string, unknown>, as: TestAccount): Promise<T> {
  const response = await postGraphQL<T>(second.url, query, variables, { token: as.token });
  if (response.errors?.length || !response.data) throw new Error(JSON.stringify(response.errors));
  return response.data;
}

test('a subscriber on instance A receives the notifications instance B’s consumer created', async () => {
  const [viewer, actor] = await bed.members(2);
  const channel = `notification:added:${viewer.id}`;
  const subscription = await bed.subscribe<{ notificationAdded: Notification }>(
    NOTIFICATION_ADDED,
    viewer,
    channel,
  );
  // Both instances take events from the group; mention until B has handled some.
  const received: Notification[] = [];
  let sent = 0;
  while (!second.published.includes(channel)) {
    for (let i = 0; i < 5; i += 1) await bed.mention(actor, viewer, `mention ${(sent += 1)}`);
    while (received.length < sent) received.push((await subscription.next(15_000)).data!.notificationAdded);
    if (sent >= 100) throw new Error('instance B handled none of 100 events');
  }
  expect(received.map((node) => node.message).sort()).toEqual(
    Array.from({ length: sent }, (_, i) => `Test User mentioned you in a post: "mention ${i + 1}"`).sort(),
  );
  expect(new Set(received.map((node) => node.id)).size).toBe(sent);
  // Whichever instance counts, the cache they share holds the same exact count.
  expect(await bed.unreadCount(viewer)).toBe(sent);
  expect(await onB(UNREAD_COUNT, {}, viewer)).toEqual({ unreadNotificationCount: sent });
  await subscription.close();
}, 90_000);

test('reads through instance B reach the count subscriber on instance A and the shared cache', async () => {
  const [viewer, actor] = await bed.members(2);
  for (let i = 0; i < 3; i += 1) await bed.mention(actor, viewer, `note ${i}`);
  const nodes = await bed.waitForNotifications(viewer, (list) => list.length === 3);
  expect(await bed.unreadCount(viewer)).toBe(3);
  const counts = await bed.subscribe<{ unreadNotificationCountChanged: number }>(
    COUNT_CHANGED,
    viewer,
    `notification:unread:${viewer.id}`,
  );
  await onB(MARK_READ, { id: nodes[0]?.id }, viewer);
  expect((await counts.next(10_000)).data).toEqual({ unreadNotificationCountChanged: 2 });
  // A's cached 3 was invalidated by B's change.
  expect(await bed.unreadCount(viewer)).toBe(2);
  await counts.close();
});
