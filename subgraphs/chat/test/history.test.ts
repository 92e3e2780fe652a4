/**
 * Reading: history paged by sequence both ways, full-text search in the viewer's conversations,
 * read and delivery receipts, exact unread counts and the sender's view of delivery status.
 */
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import {
  DELETE,
  LEAVE,
  MARK_DELIVERED,
  MARK_READ,
  MESSAGE,
  MESSAGES,
  SEARCH,
  chatClient,
  type Conversation,
  type Message,
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

test('history pages by sequence: forward with first/after, backward with last/before (the default)', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  for (let i = 1; i <= 25; i += 1) await client.send(i % 2 ? alice : bob, chat.id, `message ${i}`);

  const newest = await client.messages(bob, chat.id);
  expect(newest.edges.map((edge) => edge.node.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 6));
  expect(newest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  const older = await client.messages(bob, chat.id, { last: 20, before: newest.pageInfo.startCursor });
  expect(older.edges.map((edge) => edge.node.sequence)).toEqual([1, 2, 3, 4, 5]);
  expect(older.pageInfo.hasPreviousPage).toBe(false);

  const sequences: number[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await client.messages(alice, chat.id, { first: 10, after });
    sequences.push(...page.edges.map((edge) => edge.node.sequence));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  expect(sequences).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));

  const both = await bed.failure(MESSAGES, { id: chat.id, first: 5, last: 5 }, alice);
  expect(both.extensions?.code).toBe('BAD_USER_INPUT');
  const badCursor = await bed.failure(MESSAGES, { id: chat.id, after: 'nope' }, alice);
  expect(badCursor.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
});

test('search finds words in the viewer’s own conversations only, best match first', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const ours = await client.direct(alice, bob);
  const theirs = await client.direct(bob, carol);
  await client.send(alice, ours.id, 'the zebrafish aquarium needs cleaning');
  const best = await client.send(bob, ours.id, 'zebrafish zebrafish everywhere');
  await client.send(bob, theirs.id, 'secret zebrafish plans');
  const gone = await client.send(alice, ours.id, 'deleted zebrafish note');
  await bed.run(DELETE, { id: gone.id, forEveryone: true }, alice);

  type Found = {
    searchMessages: { edges: Array<{ node: { id: string; content: string; conversation: { id: string } } }> };
  };
  const found = await bed.run<Found>(SEARCH, { query: 'zebrafish' }, alice);
  const nodes = found.searchMessages.edges.map((edge) => edge.node);
  expect(nodes).toHaveLength(2);
  expect(nodes[0]?.id).toBe(best.id);
  expect(nodes.every((node) => node.conversation.id === ours.id)).toBe(true);
  const inOne = await bed.run<Found>(SEARCH, { query: 'zebrafish', id: theirs.id }, carol);
  expect(inOne.searchMessages.edges.map((edge) => edge.node.content)).toEqual(['secret zebrafish plans']);
  const notMine = await bed.failure(SEARCH, { query: 'zebrafish', id: theirs.id }, alice);
  expect(notMine.extensions?.code).toBe('FORBIDDEN');
  const empty = await bed.failure(SEARCH, { query: ' ' }, alice);
  expect(empty.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
});

test('read receipts: positions only move forward, unread counts are exact, status follows', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Receipts');
  const sent: Message[] = [];
  for (let i = 0; i < 4; i += 1) sent.push(await client.send(alice, group.id, `news ${i}`));
  await client.send(bob, group.id, 'my own message is never unread for me');
  expect((await client.conversation(bob, group.id))?.unreadCount).toBe(5); // creation + 4
  expect(await client.totalUnread(bob)).toBe(5);

  const read = await bed.run<{ markRead: Conversation }>(MARK_READ, { id: group.id, upTo: sent[1]?.id }, bob);
  expect(read.markRead).toMatchObject({
    unreadCount: 2,
    viewerParticipant: { lastReadSequence: sent[1]?.sequence },
  });
  // Never backwards.
  const back = await bed.run<{ markRead: Conversation }>(MARK_READ, { id: group.id, upTo: sent[0]?.id }, bob);
  expect(back.markRead.viewerParticipant.lastReadSequence).toBe(sent[1]?.sequence);
  expect(await client.totalUnread(bob)).toBe(2);

  const status = async (id: string | undefined) =>
    (await bed.run<{ message: Message }>(MESSAGE, { id }, alice)).message;
  expect(await status(sent[1]?.id)).toMatchObject({ status: 'SENT', readBy: [{ user: { id: bob.id } }] });
  await bed.run(MARK_DELIVERED, { id: group.id, upTo: sent[3]?.id }, carol);
  expect(await status(sent[2]?.id)).toMatchObject({
    status: 'SENT',
    deliveredTo: [{ user: { id: carol.id } }],
  });
  await bed.run(MARK_READ, { id: group.id }, carol);
  // Read by Carol; delivered to Bob (reading implies delivery); read by Bob up to sent[1] only.
  expect(await status(sent[1]?.id)).toMatchObject({ status: 'READ' });
  expect(await status(sent[3]?.id)).toMatchObject({ status: 'SENT' });
  await bed.run(MARK_DELIVERED, { id: group.id, upTo: sent[3]?.id }, bob);
  expect(await status(sent[3]?.id)).toMatchObject({ status: 'DELIVERED' });
  await bed.run(MARK_READ, { id: group.id }, bob);
  const last = await status(sent[3]?.id);
  expect(last.status).toBe('READ');
  expect(last.readBy.map((receipt) => receipt.user.id).sort()).toEqual([bob.id, carol.id].sort());
  expect(await client.totalUnread(bob)).toBe(0);
  expect((await client.conversation(carol, group.id))?.unreadCount).toBe(0);

  // Someone leaving stops counting towards "everyone".
  const fresh = await client.send(alice, group.id, 'anyone?');
  await bed.run(LEAVE, { id: group.id }, carol);
  await bed.run(MARK_READ, { id: group.id, upTo: fresh.id }, bob);
  expect(await status(fresh.id)).toMatchObject({ status: 'READ' });

  const foreign = await client.send(alice, (await client.direct(alice, bob)).id, 'elsewhere');
  const wrong = await bed.failure(MARK_READ, { id: group.id, upTo: foreign.id }, bob);
  expect(wrong.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'upToMessageId' });
});

test('the unread total covers every conversation, muted and archived ones included', async () => {
  const [me, friend, other] = [await bed.member(), await bed.member(), await bed.member()];
  const a = await client.direct(friend, me);
  const b = await client.direct(other, me);
  await client.send(friend, a.id, 'one');
  await client.send(other, b.id, 'two');
  await client.send(other, b.id, 'three');
  await bed.run('mutation ($id: ID!) { archiveConversation(conversationId: $id) { id } }', { id: b.id }, me);
  await bed.run('mutation ($id: ID!) { muteConversation(conversationId: $id) { id } }', { id: a.id }, me);
  expect(await client.totalUnread(me)).toBe(3);
  await bed.run(MARK_READ, { id: b.id }, me);
  expect(await client.totalUnread(me)).toBe(1);
  await client.send(friend, a.id, 'four');
  expect(await client.totalUnread(me)).toBe(2);
  expect(await client.totalUnread(friend)).toBe(0);
});
