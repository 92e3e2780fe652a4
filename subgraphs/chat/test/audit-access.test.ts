/**
 * Audit regressions: cursors belong to one list (and one conversation), a retried send does not
 * reach around a removal, and a removed participant's typing stream ends with the removal.
 */
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import {
  CONVERSATIONS,
  MESSAGES,
  REMOVE_PARTICIPANT,
  SEARCH,
  SEND,
  SET_TYPING,
  TYPING,
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

test('a cursor is only accepted by the list (and conversation) that made it', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const one = await client.direct(alice, bob);
  const two = await client.direct(alice, carol);
  for (const [id, word] of [
    [one.id, 'apple one'],
    [one.id, 'apple two'],
    [two.id, 'apple three'],
  ] as const) {
    await client.send(alice, id, word);
  }
  const page = await client.messages(alice, one.id, { first: 1 });
  const cursor = page.pageInfo.endCursor;
  expect(cursor).not.toBeNull();

  // Another conversation's message cursor.
  for (const args of [
    { first: 5, after: cursor },
    { last: 5, before: cursor },
  ]) {
    const error = await bed.failure(MESSAGES, { id: two.id, ...args }, alice);
    expect(error.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after' in args ? 'after' : 'before',
    });
  }
  // The conversation list's cursor, given to messages.
  const list = await bed.run<{ conversations: { pageInfo: { endCursor: string } } }>(
    CONVERSATIONS,
    { first: 1 },
    alice,
  );
  const listCursor = list.conversations.pageInfo.endCursor;
  expect(
    (await bed.failure(MESSAGES, { id: one.id, first: 5, after: listCursor }, alice)).extensions,
  ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  // A message cursor given to the conversation list and to search, and a search cursor to messages.
  expect((await bed.failure(CONVERSATIONS, { first: 5, after: cursor }, alice)).extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    field: 'after',
  });
  expect(
    (await bed.failure(SEARCH, { query: 'apple', first: 5, after: cursor }, alice)).extensions,
  ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  const found = await bed.run<{ searchMessages: { pageInfo: { endCursor: string } } }>(
    SEARCH,
    { query: 'apple', first: 1 },
    alice,
  );
  const searchCursor = found.searchMessages.pageInfo.endCursor;
  expect(
    (await bed.failure(MESSAGES, { id: one.id, first: 5, after: searchCursor }, alice)).extensions,
  ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });

  // The lists' own cursors still page.
  const next = await client.messages(alice, one.id, { first: 5, after: cursor });
  expect(next.edges.map((edge) => edge.node.content)).toEqual(['apple two']);
  const before = await client.messages(alice, one.id, { last: 5, before: next.pageInfo.startCursor });
  expect(before.edges.map((edge) => edge.node.content)).toEqual(['apple one']);
  const more = await bed.run<{ searchMessages: { edges: unknown[] } }>(
    SEARCH,
    { query: 'apple', first: 5, after: searchCursor },
    alice,
  );
  expect(more.searchMessages.edges).toHaveLength(2);
  const listed = await bed.run<{ conversations: { edges: unknown[] } }>(
    CONVERSATIONS,
    { first: 5, after: listCursor },
    alice,
  );
  expect(listed.conversations.edges).toHaveLength(1);
});

test('a removed participant cannot read a message back by retrying its send', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob], 'Retry');
  const clientMessageId = randomUUID();
  const input = { conversationId: group.id, clientMessageId, content: 'mine' };
  await bed.run(SEND, { input }, bob);
  await client.send(alice, group.id, 'after bob wrote');
  await bed.run(REMOVE_PARTICIPANT, { id: group.id, userId: bob.id }, alice);
  const error = await bed.failure(SEND, { input }, bob);
  expect(error.extensions?.code).toBe('FORBIDDEN');
});

test('a removed participant’s typing stream ends with the removal and shows nothing after it', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Typists');
  const typing = await bed.subscribe<{ typing: { user: { id: string }; isTyping: boolean } }>(
    TYPING,
    { id: group.id },
    bob,
  );
  try {
    await bed.listening(`chat:typing:${group.id}`);
    await bed.run(SET_TYPING, { id: group.id, isTyping: true }, carol);
    expect((await typing.next()).data?.typing).toMatchObject({ user: { id: carol.id }, isTyping: true });
    await bed.run(SET_TYPING, { id: group.id, isTyping: false }, carol);
    expect((await typing.next()).data?.typing).toMatchObject({ isTyping: false });

    await bed.run(REMOVE_PARTICIPANT, { id: group.id, userId: bob.id }, alice);
    await bed.run(SET_TYPING, { id: group.id, isTyping: true }, carol);
    await typing.completed;
    await expect(typing.next(50)).rejects.toThrow();
  } finally {
    await typing.close();
  }
});
