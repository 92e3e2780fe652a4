/**
 * What chat tells other services (stream `chat`) and what it does with what they tell it: the
 * MessageSent event the notification service decides from (recipients, muted, viewing,
 * mentions), and a deleted account leaving its groups while its direct conversations become
 * read-only.
 */
import type { EventEnvelope } from '@social/kit';
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import type { ChatEventMap } from '../src/events.js';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import { CONVERSATION_EVENTS, MUTE, SEND, chatClient } from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
const recorded: EventEnvelope[] = [];
let stopRecording: () => Promise<void>;
beforeAll(async () => {
  bed = await startChatTestbed();
  client = chatClient(bed);
  const subscription = await bed.supergraph.stack.resources.events.subscribe(
    'chat',
    `test-${randomUUID().slice(0, 8)}`,
    async (event) => {
      recorded.push(event);
    },
    { blockMs: 100 },
  );
  stopRecording = () => subscription.stop();
}, 60_000);
afterAll(async () => {
  await stopRecording?.();
  await bed?.stop();
});

function eventOf<K extends keyof ChatEventMap>(type: K, where: (data: ChatEventMap[K]) => boolean) {
  return bed.eventually(
    async () => recorded.find((event) => event.type === type && where(event.data as ChatEventMap[K])),
    (event) => event !== undefined,
  ) as Promise<EventEnvelope<ChatEventMap[K]>>;
}

test('MessageSent names each recipient with their muted and viewing state and mentions', async () => {
  const [alice, bob, carol, dave] = [
    await bed.member({ firstName: 'Alice', lastName: 'Events' }),
    await bed.member(),
    await bed.member(),
    await bed.member(),
  ];
  const group = await client.group(alice, [bob, carol, dave], 'Notify');
  await bed.run(MUTE, { id: group.id, muted: true }, carol);
  const watching = await bed.subscribe(CONVERSATION_EVENTS, { id: group.id }, dave);
  await bed.listening(`chat:conversation:${group.id}`);

  const text = `Dinner at 8? @${bob.username} ${'long '.repeat(60)}`;
  const message = await client.send(alice, group.id, text);
  const sent = await eventOf('MessageSent', (data) => data.messageId === message.id);
  expect(sent.data).toMatchObject({
    conversationId: group.id,
    conversationType: 'GROUP',
    conversationName: 'Notify',
    sequence: message.sequence,
    senderId: alice.id,
    senderDisplayName: 'Alice Events',
    messageType: 'TEXT',
    preview: text.slice(0, 200),
    mentions: [bob.id],
  });
  const byUser = Object.fromEntries(sent.data.recipients.map((r) => [r.userId, r]));
  expect(Object.keys(byUser).sort()).toEqual([bob.id, carol.id, dave.id].sort());
  expect(byUser[bob.id]).toMatchObject({ muted: false, viewing: false, mentioned: true });
  expect(byUser[carol.id]).toMatchObject({ muted: true, viewing: false, mentioned: false });
  expect(byUser[dave.id]).toMatchObject({ muted: false, viewing: true, mentioned: false });

  // No longer viewing once the subscription ends.
  await watching.close();
  await bed.eventually(
    async () => {
      const next = await client.send(alice, group.id, `still there ${randomUUID()}`);
      const event = await eventOf('MessageSent', (data) => data.messageId === next.id);
      return event.data.recipients.find((r) => r.userId === dave.id)?.viewing;
    },
    (viewing) => viewing === false,
  );

  const created = await eventOf('ConversationCreated', (data) => data.conversationId === group.id);
  expect(created.data).toMatchObject({ conversationType: 'GROUP', createdBy: alice.id, name: 'Notify' });
  expect([...created.data.participantIds].sort()).toEqual([alice.id, bob.id, carol.id, dave.id].sort());
});

/** Deletes an account the way its owner does (auth's deleteAccount). */
async function deleteAccount(account: TestAccount) {
  await bed.run(
    'mutation ($password: String!) { deleteAccount(password: $password) }',
    { password: account.password },
    account,
  );
  await bed.eventually(
    () => bed.db.collection('social_users').findOne({ _id: account.id as never }),
    (user) => user?.status === 'DELETED',
  );
}

test('a deleted account leaves its groups (its adminship passes on) and its direct chats become read-only', async () => {
  const [doomed, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(doomed, [bob, carol], 'Farewell');
  const direct = await client.direct(bob, doomed);
  await client.send(doomed, direct.id, 'last words');
  const bobWatches = await bed.subscribe<{ conversationEvents: Record<string, unknown> }>(
    CONVERSATION_EVENTS,
    { id: group.id },
    bob,
  );
  await bed.listening(`chat:conversation:${group.id}`);

  await deleteAccount(doomed);
  const left = await bobWatches.next();
  expect(left.data?.conversationEvents).toMatchObject({ change: 'LEFT', user: { id: doomed.id } });
  const groupNow = await bed.eventually(
    () => client.conversation(bob, group.id),
    (conversation) => conversation?.participantsCount === 2,
  );
  // Bob joined first among those left: he is the admin now.
  expect(groupNow?.participants.map((p) => [p.user.id, p.role])).toEqual([
    [bob.id, 'ADMIN'],
    [carol.id, 'MEMBER'],
  ]);
  const history = await client.messages(bob, direct.id);
  expect(history.edges.map((edge) => edge.node.content)).toEqual(['last words']);
  // The history keeps its author: auth resolves the deleted account, shown as DELETED.
  const withSender = await bed.run<{
    messages: { edges: Array<{ node: { content: string; sender: { id: string; accountStatus: string } } }> };
  }>(
    `query ($id: ID!) { messages(conversationId: $id) { edges { node { content sender { id accountStatus } } } } }`,
    { id: direct.id },
    bob,
  );
  expect(withSender.messages.edges.map((edge) => edge.node)).toEqual([
    { content: 'last words', sender: { id: doomed.id, accountStatus: 'DELETED' } },
  ]);
  const refused = await bed.failure(
    SEND,
    { input: { conversationId: direct.id, clientMessageId: randomUUID(), content: 'are you there?' } },
    bob,
  );
  expect(refused.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'READ_ONLY' });
  const left2 = await eventOf(
    'ParticipantsChanged',
    (data) => data.conversationId === group.id && data.change === 'LEFT',
  );
  expect(left2.data).toMatchObject({ userIds: [doomed.id], actorId: doomed.id });
  await bobWatches.close();
});
