/**
 * Fan-out of conversation events: a message event carries the message as committed, so each
 * subscriber resolves it without reading MongoDB (delivery to four subscribers costs chat as many
 * commands as delivery to one), while every per-viewer field and access rule still holds for
 * each subscriber.
 */
import { onMongoCommand } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatSubscription, type ChatTestbed } from './helpers.js';
import { DELETE, EDIT, REACT, chatClient } from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startChatTestbed();
  client = chatClient(bed);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const EVENTS = `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
  __typename
  ... on MessageAddedEvent { message { id content clientMessageId viewerReaction sender { id } } }
  ... on MessageEditedEvent { message { id content isEdited } }
  ... on MessageDeletedEvent { messageId forEveryone }
  ... on MessageReactionChangedEvent {
    message { id viewerReaction reactions { emoji count viewerReacted } } emoji }
} }`;

type Message = Record<string, unknown> & { id: string };
type Event = { conversationEvents: { __typename: string; message?: Message | null } };

async function next(subscription: ChatSubscription<Event>) {
  const event = await subscription.next(15_000);
  if (event.errors?.length) throw new Error(JSON.stringify(event.errors));
  return event.data!.conversationEvents;
}

async function watch(viewers: TestAccount[], conversationId: string, already = 0) {
  const subscriptions = [];
  for (const viewer of viewers) {
    subscriptions.push(await bed.subscribe<Event>(EVENTS, { id: conversationId }, viewer));
    await bed.listening(`chat:conversation:${conversationId}`, already + subscriptions.length);
  }
  return subscriptions;
}

/** Chat's MongoDB commands from sending a message to its delivery to every subscription. */
async function deliveryCommands(
  sender: TestAccount,
  conversationId: string,
  subscriptions: ChatSubscription<Event>[],
): Promise<number> {
  let commands = 0;
  const stop = onMongoCommand((event) => {
    if (event.appName === 'chat') commands += 1;
  });
  try {
    const content = `count ${randomUUID()}`;
    await client.send(sender, conversationId, content);
    for (const subscription of subscriptions) {
      expect((await next(subscription)).message?.content).toBe(content);
    }
  } finally {
    stop();
  }
  return commands;
}

test('delivering a message to four subscribers costs chat no more reads than to one', async () => {
  const sender = await bed.member();
  const members = [await bed.member(), await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(sender, members, 'Fan-out');
  // The fewest of three sends each: background work (outbox polling, heartbeats) adds some.
  const one = await watch(members.slice(0, 1), group.id);
  const forOne: number[] = [];
  for (let run = 0; run < 3; run += 1) forOne.push(await deliveryCommands(sender, group.id, one));
  const four = [...one, ...(await watch(members.slice(1), group.id, 1))];
  const forFour: number[] = [];
  for (let run = 0; run < 3; run += 1) forFour.push(await deliveryCommands(sender, group.id, four));
  expect(Math.min(...forFour)).toBe(Math.min(...forOne));
  await Promise.all(four.map((subscription) => subscription.close()));
});

test('each subscriber still gets its own view of a message event', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Views');
  const [alices, bobs, carols] = (await watch([alice, bob, carol], group.id)) as [
    ChatSubscription<Event>,
    ChatSubscription<Event>,
    ChatSubscription<Event>,
  ];

  // Only the sender sees the client's idempotency key.
  const sent = await client.send(alice, group.id, 'hello');
  const added = await Promise.all([next(alices), next(bobs), next(carols)]);
  expect(added.map((event) => event.message?.clientMessageId)).toEqual([sent.clientMessageId, null, null]);
  expect(added.map((event) => event.message?.id)).toEqual([sent.id, sent.id, sent.id]);

  // A reaction: the reactor's viewerReaction and viewerReacted are theirs alone.
  await bed.run(REACT, { id: sent.id, emoji: '👍' }, bob);
  const reacted = await Promise.all([next(alices), next(bobs), next(carols)]);
  expect(reacted.map((event) => event.message?.viewerReaction)).toEqual([null, '👍', null]);
  expect(reacted.map((event) => event.message?.reactions)).toEqual([
    [{ emoji: '👍', count: 1, viewerReacted: false }],
    [{ emoji: '👍', count: 1, viewerReacted: true }],
    [{ emoji: '👍', count: 1, viewerReacted: false }],
  ]);

  // Carol deletes it for herself: her later events of that message show no message.
  expect(await bed.run(DELETE, { id: sent.id, forEveryone: false }, carol)).toEqual({ deleteMessage: true });
  expect(await next(carols)).toMatchObject({ __typename: 'MessageDeletedEvent', forEveryone: false });
  await bed.run(EDIT, { id: sent.id, content: 'hello, edited' }, alice);
  const edited = await Promise.all([next(alices), next(bobs)]);
  expect(edited.map((event) => event.message)).toEqual([
    { id: sent.id, content: 'hello, edited', isEdited: true },
    { id: sent.id, content: 'hello, edited', isEdited: true },
  ]);
  // (MessageEditedEvent.message is non-null: hers resolves to null and the event to an error.)
  const carolsEdit = await carols.next(15_000);
  expect(carolsEdit.data?.conversationEvents ?? null).toBeNull();
  expect(JSON.stringify(carolsEdit)).not.toContain('hello, edited');
  await Promise.all([alices, bobs, carols].map((subscription) => subscription.close()));
});
