/**
 * Many people writing in one group at once: every message gets its own sequence, 1 to N with no
 * gap and no duplicate, and every subscriber receives every message once, in sequence order.
 */
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatSubscription, type ChatTestbed } from './helpers.js';
import { CONVERSATION_EVENTS, SEND, chatClient } from './operations.js';

const SENDERS = 20;
const MESSAGES_EACH = 50;
const TOTAL = SENDERS * MESSAGES_EACH;

let bed: ChatTestbed;
beforeAll(async () => {
  bed = await startChatTestbed({ env: { CHAT_SEND_RATE_POINTS: String(TOTAL * 2) } });
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

type Added = { conversationEvents: { __typename: string; message?: { sequence: number; content: string } } };

/** Reads `count` MessageAdded events and returns their sequences and contents, in arrival order. */
async function collect(subscription: ChatSubscription<Added>, count: number) {
  const received: Array<{ sequence: number; content: string }> = [];
  while (received.length < count) {
    const event = await subscription.next(30_000);
    if (event.errors?.length) throw new Error(JSON.stringify(event.errors));
    const message = event.data?.conversationEvents.message;
    if (event.data?.conversationEvents.__typename === 'MessageAddedEvent' && message) received.push(message);
  }
  return received;
}

test(`${SENDERS} concurrent senders × ${MESSAGES_EACH} messages: sequences 1..${TOTAL}, all delivered in order`, async () => {
  const client = chatClient(bed);
  const members: TestAccount[] = [];
  for (let i = 0; i < SENDERS + 1; i += 1) members.push(await bed.member());
  const [admin, ...rest] = members as [TestAccount, ...TestAccount[]];
  const observer = rest.at(-1) as TestAccount;
  const senders = [admin, ...rest.slice(0, -1)];
  const group = await client.group(admin, rest, 'Load');
  const startSequence = group.lastSequence; // the "created the group" system message

  const subscribers = [observer, admin, senders[7] as TestAccount];
  const subscriptions = await Promise.all(
    subscribers.map((account) => bed.subscribe<Added>(CONVERSATION_EVENTS, { id: group.id }, account)),
  );
  await bed.listening(`chat:conversation:${group.id}`, subscribers.length);
  const deliveries = subscriptions.map((subscription) => collect(subscription, TOTAL));

  const sent = await Promise.all(
    senders.map(async (sender, s) => {
      const mine: number[] = [];
      for (let m = 0; m < MESSAGES_EACH; m += 1) {
        const response = await bed.supergraph.query<{ sendMessage: { sequence: number } }>(
          SEND,
          { input: { conversationId: group.id, clientMessageId: randomUUID(), content: `s${s} m${m}` } },
          { token: sender.token },
        );
        if (response.errors?.length || !response.data) throw new Error(JSON.stringify(response.errors));
        mine.push(response.data.sendMessage.sequence);
      }
      return mine;
    }),
  );

  // Each sender's messages got increasing sequences, and together they are exactly the range.
  for (const mine of sent) expect(mine).toEqual([...mine].sort((a, b) => a - b));
  const all = sent.flat().sort((a, b) => a - b);
  const expected = Array.from({ length: TOTAL }, (_, i) => startSequence + 1 + i);
  expect(all).toEqual(expected);

  const history = await bed.db
    .collection('messages')
    .find({ conversationId: group.id, messageType: { $ne: 'System' } })
    .project({ sequence: 1 })
    .toArray();
  expect(history.map((row) => row.sequence as number).sort((a, b) => a - b)).toEqual(expected);
  const conversation = await client.conversation(observer, group.id);
  expect(conversation?.lastSequence).toBe(startSequence + TOTAL);
  expect(conversation?.unreadCount).toBe(startSequence + TOTAL);

  for (const received of await Promise.all(deliveries)) {
    expect(received.map((message) => message.sequence)).toEqual(expected);
    // Each sender's messages arrive in the order they were sent.
    for (let s = 0; s < SENDERS; s += 1) {
      const order = received.filter((message) => message.content.startsWith(`s${s} `)).map((m) => m.content);
      expect(order).toEqual(Array.from({ length: MESSAGES_EACH }, (_, m) => `s${s} m${m}`));
    }
  }
  await Promise.all(subscriptions.map((subscription) => subscription.close()));
}, 240_000);
