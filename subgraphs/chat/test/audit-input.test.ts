/**
 * Audit regressions: malformed ids and sizes are BAD_USER_INPUT naming the field, and unread
 * counts stay exact through deletions, leaving and being re-added.
 */
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import {
  ADD_PARTICIPANTS,
  CONVERSATIONS,
  DELETE,
  EDIT,
  LEAVE,
  MARK_DELIVERED,
  MARK_READ,
  MESSAGES,
  REACT,
  REMOVE_PARTICIPANT,
  SEARCH,
  SEND,
  START_DIRECT,
  chatClient,
} from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startChatTestbed();
  client = chatClient(bed);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

test('malformed ids, sizes and emoji are BAD_USER_INPUT naming the field', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  const sent = await client.send(alice, chat.id, 'hello');
  const field = async (query: string, variables: Record<string, unknown>) =>
    (await bed.failure(query, variables, alice)).extensions;
  for (const bogus of ['bogus', '$gt', '{"$gt":""}']) {
    expect(await field(MESSAGES, { id: bogus })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'conversationId',
    });
    expect(await field(MARK_READ, { id: bogus })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'conversationId',
    });
    expect(await field(MARK_DELIVERED, { id: chat.id, upTo: bogus })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'upToMessageId',
    });
    expect(await field(EDIT, { id: bogus, content: 'x' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'messageId',
    });
    expect(await field(DELETE, { id: bogus, forEveryone: false })).toMatchObject({ field: 'messageId' });
    expect(await field(LEAVE, { id: bogus })).toMatchObject({ field: 'conversationId' });
    expect(await field(ADD_PARTICIPANTS, { id: bogus, userIds: [bob.id] })).toMatchObject({
      field: 'conversationId',
    });
    expect(await field(REMOVE_PARTICIPANT, { id: chat.id, userId: bogus })).toMatchObject({
      field: 'userId',
    });
    expect(await field(START_DIRECT, { userId: bogus })).toMatchObject({ field: 'userId' });
    expect(await field(SEARCH, { query: 'hello', id: bogus })).toMatchObject({ field: 'conversationId' });
    const input = { conversationId: bogus, clientMessageId: randomUUID(), content: 'x' };
    expect(await field(SEND, { input })).toMatchObject({ field: 'input.conversationId' });
    const reply = {
      conversationId: chat.id,
      clientMessageId: randomUUID(),
      content: 'x',
      replyToMessageId: bogus,
    };
    expect(await field(SEND, { input: reply })).toMatchObject({ field: 'input.replyToMessageId' });
  }
  for (const size of [0, 51]) {
    expect(await field(MESSAGES, { id: chat.id, first: size })).toMatchObject({ field: 'first' });
    expect(await field(MESSAGES, { id: chat.id, last: size })).toMatchObject({ field: 'last' });
    expect(await field(CONVERSATIONS, { first: size })).toMatchObject({ field: 'first' });
    expect(await field(SEARCH, { query: 'hello', first: size })).toMatchObject({ field: 'first' });
  }
  expect(await field(SEARCH, { query: ' ' })).toMatchObject({ field: 'query' });
  expect(await field(SEARCH, { query: 'q'.repeat(201) })).toMatchObject({ field: 'query' });
  expect(await field(START_DIRECT, { userId: alice.id })).toMatchObject({ field: 'userId' });
  for (const emoji of ['👍👍', 'a', '', '👨‍👩‍👧‍👦'.repeat(2)]) {
    expect(await field(REACT, { id: sent.id, emoji })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'emoji',
    });
  }
  const group = await client.group(alice, [bob], 'Dupes');
  expect(await field(ADD_PARTICIPANTS, { id: group.id, userIds: [bob.id, bob.id] })).toMatchObject({
    field: 'userIds',
  });
  expect(await field(EDIT, { id: sent.id, content: 'x'.repeat(5001) })).toMatchObject({ field: 'content' });
  expect(await field(EDIT, { id: sent.id, content: '  ' })).toMatchObject({ field: 'content' });
  // Nothing stored by any of it.
  expect((await client.conversation(alice, chat.id))?.messagesCount).toBe(1);
});

test('unread counts stay exact through deletions, leaving and being re-added', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Counting');
  await bed.run(MARK_READ, { id: group.id }, bob);
  const m1 = await client.send(alice, group.id, 'one');
  const m2 = await client.send(alice, group.id, 'two');
  const m3 = await client.send(carol, group.id, 'three');
  const unread = async () => (await client.conversation(bob, group.id))?.unreadCount;
  expect(await unread()).toBe(3);
  await bed.run(MARK_READ, { id: group.id, upTo: m1.id }, bob);
  expect(await unread()).toBe(2);
  // m1 was read already: deleting it for everyone changes nothing for bob.
  await bed.run(DELETE, { id: m1.id, forEveryone: true }, alice);
  expect(await unread()).toBe(2);
  await bed.run(DELETE, { id: m2.id, forEveryone: true }, alice);
  expect(await unread()).toBe(1);
  await bed.run(DELETE, { id: m3.id, forEveryone: false }, bob);
  expect(await unread()).toBe(0);
  // Deleting for oneself a message deleted for everyone already changes nothing either.
  await bed.run(DELETE, { id: m2.id, forEveryone: false }, bob);
  expect(await unread()).toBe(0);
  expect(await client.totalUnread(bob)).toBe(0);

  await client.send(carol, group.id, 'four');
  expect(await client.totalUnread(bob)).toBe(1);
  await bed.run(LEAVE, { id: group.id }, bob);
  expect(await client.totalUnread(bob)).toBe(0);
  await client.send(carol, group.id, 'while bob is away');
  expect(await client.totalUnread(bob)).toBe(0);
  await bed.run(ADD_PARTICIPANTS, { id: group.id, userIds: [bob.id] }, alice);
  // Re-added: what was sent while away is history; the notice of being added is unread, as is
  // what follows.
  expect(await unread()).toBe(1);
  await client.send(carol, group.id, 'welcome back');
  expect(await unread()).toBe(2);
  expect(await client.totalUnread(bob)).toBe(2);
  expect(await client.totalUnread(carol)).toBe(3);
});
