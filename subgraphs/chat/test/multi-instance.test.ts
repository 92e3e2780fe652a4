/**
 * Two chat instances sharing Redis and MongoDB, as two pods would: subscribers on one instance
 * receive what is sent through the other (pub/sub fan-out), typing crosses instances, "who is
 * viewing" and the unread cache are shared, and a crashed instance's viewers lapse.
 */
import { silentLogger, type EventEnvelope } from '@social/kit';
import { postGraphQL, type TestAccount } from '@social/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createViewingRegistry } from '../src/realtime/viewing.js';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import { isolatedRedisUrl, startSecondInstance, type ChatInstance } from './instances.js';
import {
  CONVERSATION_EVENTS,
  DELETE,
  MARK_READ,
  SEND,
  SET_TYPING,
  TOTAL_UNREAD,
  TYPING,
  chatClient,
  type Message,
} from './operations.js';

let bed: ChatTestbed;
let second: ChatInstance;
let redisUrl: string;

beforeAll(async () => {
  const url = await isolatedRedisUrl();
  if (!url) throw new Error('These tests need Redis (REDIS_URL or 127.0.0.1:6379)');
  redisUrl = url;
  bed = await startChatTestbed({ redisUrl });
  second = await startSecondInstance(bed.supergraph, redisUrl);
}, 60_000);
afterAll(async () => {
  await second?.stop();
  await bed?.stop();
});

/** An operation straight to instance B (the gateway only knows instance A). */
async function onB<T>(query: string, variables: Record<string, unknown>, as: TestAccount): Promise<T> {
  const response = await postGraphQL<T>(second.url, query, variables, { token: as.token });
  if (response.errors?.length || !response.data) throw new Error(JSON.stringify(response.errors));
  return response.data;
}

type Added = { conversationEvents: { __typename: string; message?: { sequence: number; content: string } } };

test('a subscriber on instance A receives every message sent through instance B, in order', async () => {
  const client = chatClient(bed);
  const [alice, bob] = [await bed.member(), await bed.member()];
  const conversation = await client.direct(alice, bob);
  const onA = await bed.subscribe<Added>(CONVERSATION_EVENTS, { id: conversation.id }, bob);
  const onBSubscriber = await bed.subscribe<Added>(
    CONVERSATION_EVENTS,
    { id: conversation.id },
    alice,
    second.url,
  );
  await bed.listening(`chat:conversation:${conversation.id}`);
  await bed.listening(`chat:conversation:${conversation.id}`, 1, second.resources.pubsub);

  const count = 40;
  const sent: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const through = i % 4 === 3 ? 'A' : 'B';
    const input = {
      conversationId: conversation.id,
      clientMessageId: randomUUID(),
      content: `${through} ${i}`,
    };
    const data =
      through === 'B'
        ? await onB<{ sendMessage: Message }>(SEND, { input }, alice)
        : await bed.run<{ sendMessage: Message }>(SEND, { input }, alice);
    sent.push(data.sendMessage.sequence);
  }
  for (const subscription of [onA, onBSubscriber]) {
    const received: number[] = [];
    while (received.length < count) {
      const event = await subscription.next();
      const message = event.data?.conversationEvents.message;
      if (message) received.push(message.sequence);
    }
    expect(received).toEqual(sent);
  }
  await onA.close();
  await onBSubscriber.close();
});

test('typing indicators cross instances and are not echoed to the typer', async () => {
  const client = chatClient(bed);
  const [alice, bob] = [await bed.member(), await bed.member()];
  const conversation = await client.direct(alice, bob);
  const bobWatches = await bed.subscribe<{ typing: { user: { id: string }; isTyping: boolean } }>(
    TYPING,
    { id: conversation.id },
    bob,
  );
  const aliceWatches = await bed.subscribe<{ typing: { user: { id: string }; isTyping: boolean } }>(
    TYPING,
    { id: conversation.id },
    alice,
  );
  await bed.listening(`chat:typing:${conversation.id}`, 2);
  await onB(SET_TYPING, { id: conversation.id, isTyping: true }, alice);
  await bed.run(SET_TYPING, { id: conversation.id, isTyping: true }, bob);
  expect((await bobWatches.next()).data?.typing).toMatchObject({ user: { id: alice.id }, isTyping: true });
  // Alice's first event is Bob's indicator: her own was not echoed to her.
  expect((await aliceWatches.next()).data?.typing).toMatchObject({ user: { id: bob.id }, isTyping: true });
  await bobWatches.close();
  await aliceWatches.close();
});

test('a page of conversations shows who types in each, from one Redis lookup', async () => {
  const client = chatClient(bed);
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const withAlice = await client.direct(bob, alice);
  const withCarol = await client.direct(bob, carol);
  const quiet = await client.direct(bob, await bed.member());
  await onB(SET_TYPING, { id: withAlice.id, isTyping: true }, alice);
  await bed.run(SET_TYPING, { id: withCarol.id, isTyping: true }, carol);
  await bed.run(SET_TYPING, { id: withCarol.id, isTyping: true }, bob);
  const page = await bed.run<{
    conversations: { edges: Array<{ node: { id: string; typingUsers: Array<{ id: string }> } }> };
  }>('{ conversations(first: 10) { edges { node { id typingUsers { id } } } } }', {}, bob);
  const typing = new Map(page.conversations.edges.map((edge) => [edge.node.id, edge.node.typingUsers]));
  expect(typing.get(withAlice.id)).toEqual([{ id: alice.id }]);
  // Bob's own indicator is not listed to him.
  expect(typing.get(withCarol.id)).toEqual([{ id: carol.id }]);
  expect(typing.get(quiet.id)).toEqual([]);
});

test('MessageSent tells which recipients are viewing, whichever instance holds their subscription', async () => {
  const client = chatClient(bed);
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Viewers');
  const events: EventEnvelope[] = [];
  const recorder = await bed.supergraph.stack.resources.events.subscribe(
    'chat',
    `test-${randomUUID().slice(0, 8)}`,
    async (event) => {
      events.push(event);
    },
    { blockMs: 100 },
  );
  const bobViewing = await bed.subscribe(CONVERSATION_EVENTS, { id: group.id }, bob, second.url);
  await bed.listening(`chat:conversation:${group.id}`, 1, second.resources.pubsub);
  // Registered in Redis by instance B, seen by instance A when Alice sends there.
  const redis = new Redis(redisUrl);
  try {
    await bed.eventually(
      () => redis.zcard(`${bed.supergraph.stack.resources.redisKeyPrefix}chat:viewing:${group.id}`),
      (n) => n >= 1,
    );
  } finally {
    redis.disconnect();
  }
  const message = await client.send(alice, group.id, 'are you here?');
  const sentEvent = await bed.eventually(
    async () => events.find((event) => (event.data as { messageId?: string }).messageId === message.id),
    (event) => event !== undefined,
  );
  const recipients = (sentEvent?.data as { recipients: Array<{ userId: string; viewing: boolean }> })
    .recipients;
  expect(recipients).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ userId: bob.id, viewing: true }),
      expect.objectContaining({ userId: carol.id, viewing: false }),
    ]),
  );
  await bobViewing.close();
  await recorder.stop();
});

test('a crashed instance leaves no one "viewing": its entries lapse without a heartbeat', async () => {
  const conversationId = randomUUID().replaceAll('-', '').slice(0, 24);
  const redisA = new Redis(redisUrl);
  const redisB = new Redis(redisUrl);
  const options = { ttlMs: 400, heartbeatMs: 100, logger: silentLogger() };
  const instanceA = createViewingRegistry({ ...options, redis: redisA });
  const instanceB = createViewingRegistry({ ...options, redis: redisB });
  try {
    const alive = await instanceA.register(conversationId, 'user-on-a');
    await instanceB.register(conversationId, 'user-on-b');
    expect(await instanceA.viewers(conversationId)).toEqual(new Set(['user-on-a', 'user-on-b']));
    instanceB.stop(); // the crash: no release, no more heartbeats
    // A's entry is renewed past its TTL; B's lapses.
    await bed.eventually(
      () => instanceA.viewers(conversationId),
      (viewers) => !viewers.has('user-on-b'),
    );
    expect(await instanceA.viewers(conversationId)).toEqual(new Set(['user-on-a']));
    await alive.release();
    expect(await instanceB.viewers(conversationId)).toEqual(new Set());
  } finally {
    instanceA.stop();
    instanceB.stop();
    redisA.disconnect();
    redisB.disconnect();
  }
});

test('unread counts are exact across instances through sends, reads and deletions', async () => {
  const client = chatClient(bed);
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Counts');
  const direct = await client.direct(carol, bob);
  const total = async (viaB: boolean) =>
    viaB
      ? (await onB<{ totalUnreadCount: number }>(TOTAL_UNREAD, {}, bob)).totalUnreadCount
      : await client.totalUnread(bob);
  // The group's "created" system message is unread for Bob.
  expect(await total(false)).toBe(1);
  expect(await total(true)).toBe(1);

  const sent: Message[] = [];
  for (let i = 0; i < 3; i += 1) sent.push(await client.send(alice, group.id, `a${i}`));
  for (let i = 0; i < 2; i += 1) {
    const input = { conversationId: direct.id, clientMessageId: randomUUID(), content: `c${i}` };
    sent.push((await onB<{ sendMessage: Message }>(SEND, { input }, carol)).sendMessage);
  }
  expect(await total(true)).toBe(6);
  expect(await total(false)).toBe(6);

  // Read the group up to its second message through B; Alice deletes her last one through A.
  await onB(MARK_READ, { id: group.id, upTo: sent[1]?.id }, bob);
  expect(await total(false)).toBe(2 + 1);
  await bed.run(DELETE, { id: sent[2]?.id, forEveryone: true }, alice);
  expect(await total(true)).toBe(2);
  await onB(DELETE, { id: sent[4]?.id, forEveryone: false }, bob);
  expect(await total(false)).toBe(1);
  const groupView = await client.conversation(bob, group.id);
  const directView = await client.conversation(bob, direct.id);
  expect([groupView?.unreadCount, directView?.unreadCount]).toEqual([0, 1]);
});
