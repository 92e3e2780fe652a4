/**
 * The notification store's rules on their own, against the embedded MongoDB (and the machine's
 * Redis for the cache): events racing into one group end in one notification counting each
 * actor; a read group absorbs nothing; a failing channel leaves the notification FAILED with the
 * channels that worked; the unread cache never keeps a count a concurrent change made stale.
 */
import {
  MemoryEventBus,
  closeRedisClient,
  createRedisClient,
  silentLogger,
  withTransaction,
  type Mailer,
  type MailMessage,
} from '@social/kit';
import { startMongoEmbedded, type MongoEmbedded } from '@social/mongo-embedded';
import { randomUUID } from 'node:crypto';
import { notificationConfigSchema } from '../src/config.js';
import type { StoredChannel } from '../src/data/collections.js';
import { inboxPage, unreadSummary, type UnreadSummary } from '../src/data/inbox.js';
import { applyDrafts, type NotificationDraft } from '../src/data/notifications.js';
import { openNotificationStore, type NotificationStore } from '../src/data/store.js';
import { createUnreadCounter } from '../src/realtime/unread.js';
import { createDelivery, type PushTransport } from '../src/services/delivery.js';
import { renderText, who } from '../src/services/text.js';
import { requireRedis } from './helpers.js';

let server: MongoEmbedded;
let store: NotificationStore;
let bus: MemoryEventBus;

beforeAll(async () => {
  server = await startMongoEmbedded({ port: 0, logger: silentLogger() });
  bus = new MemoryEventBus({ logger: silentLogger() });
  const config = notificationConfigSchema.parse({ MONGO_URL: server.uri });
  store = await openNotificationStore({ config, env: {}, events: bus, logger: silentLogger() });
});
afterAll(async () => {
  await store?.close();
  await bus?.close();
  await server?.stop();
});

const like = (userId: string, actorId: string, postId: string): NotificationDraft => ({
  userId,
  type: 'Like',
  actorId,
  groupKey: `Like:post:${postId}`,
  relatedEntityId: postId,
  relatedEntityType: 'Post',
  actionUrl: `/posts/${postId}`,
  metadata: { postId, reaction: 'LIKE' },
  postId,
  priority: 'Low',
  at: new Date(),
});

function apply(drafts: NotificationDraft[], channels: StoredChannel[] = ['InApp']) {
  return withTransaction(store.mongo.client, (session) =>
    applyDrafts(store, drafts, {
      session,
      identities: new Map(),
      channels: new Map(drafts.map((draft) => [draft.userId, channels])),
      ttlMs: 7 * 86_400_000,
      now: new Date(),
    }),
  );
}

test('ten events racing into one group end in one notification counting each actor once', async () => {
  const recipient = randomUUID();
  const postId = 'a'.repeat(24);
  const actors = Array.from({ length: 10 }, () => randomUUID());
  await Promise.all(actors.map((actor) => apply([like(recipient, actor, postId)])));
  const docs = await store.notifications.find({ userId: recipient }).toArray();
  expect(docs).toHaveLength(1);
  expect(docs[0]?.groupCount).toBe(10);
  expect([...(docs[0]?.actors ?? [])].sort()).toEqual([...actors].sort());
  expect(docs[0]?.message).toBe('Someone and 9 others liked your post');

  // A repeat by an actor of the group refreshes it without counting them twice.
  await apply([like(recipient, actors[0] as string, postId)]);
  const [again] = await store.notifications.find({ userId: recipient }).toArray();
  expect(again).toMatchObject({ groupCount: 10, actorId: actors[0] });
  expect(again?.actors[0]).toBe(actors[0]);

  // Once read, the group is closed: the next event opens another.
  await store.notifications.updateOne({ _id: again?._id }, { $set: { isRead: true } });
  await Promise.all([
    apply([like(recipient, randomUUID(), postId)]),
    apply([like(recipient, randomUUID(), postId)]),
  ]);
  const open = await store.notifications.find({ userId: recipient, isRead: false }).toArray();
  expect(open.map((doc) => doc.groupCount)).toEqual([2]);
});

test('an expired group the TTL monitor has not swept yet absorbs nothing: the event starts a visible one', async () => {
  const recipient = randomUUID();
  const postId = 'f'.repeat(24);
  const [first] = await apply([like(recipient, randomUUID(), postId)]);
  // Expired a moment ago; MongoDB's TTL monitor deletes it within a minute, not at once.
  await store.notifications.updateOne(
    { _id: first!.doc._id },
    { $set: { expiresAt: new Date(Date.now() - 1_000) } },
  );
  expect((await unreadSummary(store, recipient)).count).toBe(0);

  const late = randomUUID();
  const [applied] = await apply([like(recipient, late, postId)]);
  expect(applied).toMatchObject({ created: true, doc: { groupCount: 1, actors: [late] } });
  expect((await unreadSummary(store, recipient)).count).toBe(1);
  const page = await inboxPage(store, recipient, { unreadOnly: false, types: [], after: null, limit: 10 });
  expect(page.map((doc) => doc._id.toHexString())).toEqual([applied!.doc._id.toHexString()]);
});

test('an event older than its group’s latest joins the count and actors, not the newest’s place', async () => {
  const recipient = randomUUID();
  const postId = '1'.repeat(24);
  const [newest, older, oldest] = [randomUUID(), randomUUID(), randomUUID()];
  const identities = new Map([
    [newest, { username: 'newest', displayName: 'Nina Newest', avatarUrl: null }],
    [older, { username: 'older', displayName: 'Oscar Older', avatarUrl: null }],
    [oldest, { username: 'oldest', displayName: 'Olga Oldest', avatarUrl: null }],
  ]);
  const at = (secondsAgo: number, actorId: string, likes: number): NotificationDraft => ({
    ...like(recipient, actorId, postId),
    at: new Date(Date.now() - secondsAgo * 1000),
    metadata: { postId, reaction: 'LIKE', totalLikes: likes },
  });
  const applyAs = (draft: NotificationDraft) =>
    withTransaction(store.mongo.client, (session) =>
      applyDrafts(store, [draft], {
        session,
        identities,
        channels: new Map([[recipient, ['InApp']]]),
        ttlMs: 7 * 86_400_000,
        now: new Date(),
      }),
    );
  // Handled in this order (say, by two instances), though they happened oldest first.
  const latest = at(10, newest, 3);
  await applyAs(latest);
  await applyAs(at(20, older, 2));
  await applyAs(at(30, oldest, 1));
  const [doc] = await store.notifications.find({ userId: recipient }).toArray();
  expect(doc).toMatchObject({
    groupCount: 3,
    actorId: newest,
    actorDisplayName: 'Nina Newest',
    actors: [newest, oldest, older],
    message: 'Nina Newest and 2 others liked your post',
    metadata: { totalLikes: 3 },
    lastEventAt: latest.at,
  });
});

test('a failing channel leaves the notification FAILED with the channels that worked', async () => {
  const mails: MailMessage[] = [];
  const mailer: Mailer = { transport: 'outbox', send: async (message) => void mails.push(message) };
  const failingPush: PushTransport = {
    name: 'broken',
    send: async () => {
      throw new Error('push provider down');
    },
  };
  const recipient = randomUUID();
  await store.emailAddresses.insertOne({
    _id: recipient,
    email: 'r@example.com',
    verified: true,
    at: new Date(),
  });
  const [applied] = await apply([like(recipient, randomUUID(), 'b'.repeat(24))], ['InApp', 'Push', 'Email']);
  expect(applied?.doc).toMatchObject({ deliveryStatus: 'Pending', sentVia: ['InApp'] });

  const delivery = createDelivery({
    store,
    mailer,
    push: failingPush,
    logger: silentLogger(),
    concurrency: 2,
  });
  delivery.enqueue([applied!.doc]);
  await delivery.drain();
  const failed = await store.notifications.findOne({ _id: applied!.doc._id });
  expect(failed).toMatchObject({ deliveryStatus: 'Failed', sentVia: ['InApp', 'Email'] });
  expect(mails).toEqual([
    expect.objectContaining({ to: 'r@example.com', subject: 'New like', kind: 'notification' }),
  ]);

  const pushed: string[] = [];
  const working = createDelivery({
    store,
    mailer,
    push: { name: 'memory', send: async (message) => void pushed.push(message.notificationId) },
    logger: silentLogger(),
    concurrency: 2,
  });
  const [next] = await apply([like(randomUUID(), randomUUID(), 'c'.repeat(24))], ['InApp', 'Push']);
  working.enqueue([next!.doc]);
  await working.drain();
  expect(await store.notifications.findOne({ _id: next!.doc._id })).toMatchObject({
    deliveryStatus: 'Sent',
    sentVia: ['InApp', 'Push'],
  });
  expect(pushed).toEqual([next!.doc._id.toHexString()]);
});

describe.each(['memory', 'redis'] as const)('the unread cache (%s)', (kind) => {
  test('a count read before a concurrent change is never cached; an expired one is recounted', async () => {
    const redis =
      kind === 'redis' ? createRedisClient(await requireRedis(), silentLogger(), 'test') : undefined;
    try {
      const userId = randomUUID();
      let answer: UnreadSummary = { count: 5, nextExpiry: null };
      let gate: Promise<void> | null = null;
      let counted = 0;
      const counter = createUnreadCounter({
        redis,
        keyPrefix: `test-${randomUUID()}:`,
        ttlSeconds: 60,
        count: async () => {
          counted += 1;
          const result = answer;
          if (gate) await gate;
          return result;
        },
      });
      expect(await counter.summary(userId)).toEqual({ count: 5, nextExpiry: null });
      expect(await counter.summary(userId)).toEqual({ count: 5, nextExpiry: null });
      expect(counted).toBe(1);

      // A reader counts 5, then a change commits (4) and invalidates before the reader stores 5.
      await counter.invalidate([userId]);
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      const slow = counter.summary(userId);
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = { count: 4, nextExpiry: null };
      await counter.invalidate([userId]);
      open();
      gate = null;
      expect((await slow).count).toBe(5);
      expect((await counter.summary(userId)).count).toBe(4);
      expect(counted).toBe(3);

      // A count is good until its first notification expires.
      await counter.invalidate([userId]);
      answer = { count: 2, nextExpiry: new Date(Date.now() + 150) };
      expect((await counter.summary(userId)).count).toBe(2);
      answer = { count: 1, nextExpiry: null };
      expect((await counter.summary(userId)).count).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await counter.summary(userId)).count).toBe(1);
    } finally {
      if (redis) await closeRedisClient(redis);
    }
  });
});

test('the unread count counts unread, unexpired notifications and names the first expiry', async () => {
  const recipient = randomUUID();
  await apply([like(recipient, randomUUID(), 'd'.repeat(24)), like(recipient, randomUUID(), 'e'.repeat(24))]);
  const [soon] = await store.notifications.find({ userId: recipient }).toArray();
  const expiry = new Date(Date.now() + 60_000);
  await store.notifications.updateOne({ _id: soon?._id }, { $set: { expiresAt: expiry } });
  expect(await unreadSummary(store, recipient)).toEqual({ count: 2, nextExpiry: expiry });
  await store.notifications.updateOne({ _id: soon?._id }, { $set: { expiresAt: new Date(Date.now() - 1) } });
  expect((await unreadSummary(store, recipient)).count).toBe(1);
});

test('texts: "Alice and 3 others", within the seed’s lengths', () => {
  expect([1, 2, 4].map((count) => who('Alice', count))).toEqual([
    'Alice',
    'Alice and 1 other',
    'Alice and 3 others',
  ]);
  const long = renderText({
    type: 'Message',
    actorName: 'x'.repeat(300),
    groupCount: 1,
    relatedEntityType: 'Message',
    metadata: { conversationName: 'y'.repeat(300), preview: 'z'.repeat(1000) },
  });
  expect([...long.title]).toHaveLength(100);
  expect([...long.message].length).toBeLessThanOrEqual(500);
  expect(long.title.endsWith('…')).toBe(true);
});
