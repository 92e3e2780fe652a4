/**
 * After sending: edits by the sender within the window, deletion for everyone (sender) or for
 * oneself (anyone), and reactions, one per user and message.
 */
import type { TestAccount } from '@social/testing';
import { ObjectId } from 'mongodb';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import {
  DELETE,
  EDIT,
  MESSAGE,
  REACT,
  UNREACT,
  chatClient,
  type Conversation,
  type Message,
} from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
let alice: TestAccount;
let bob: TestAccount;
let carol: TestAccount;
let group: Conversation;
beforeAll(async () => {
  bed = await startChatTestbed();
  client = chatClient(bed);
  [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  group = await client.group(alice, [bob, carol], 'Actions');
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const view = async (viewer: TestAccount, id: string) =>
  (await bed.run<{ message: Message | null }>(MESSAGE, { id }, viewer)).message;

test('the sender edits within 15 minutes; the edit shows everywhere, the preview follows', async () => {
  const message = await client.send(alice, group.id, 'helo');
  const edited = await bed.run<{ editMessage: Message & { editedAt: string } }>(
    EDIT,
    { id: message.id, content: 'hello' },
    alice,
  );
  expect(edited.editMessage).toMatchObject({ content: 'hello', isEdited: true });
  expect(edited.editMessage.editedAt).toEqual(expect.any(String));
  expect(await view(bob, message.id)).toMatchObject({ content: 'hello', isEdited: true });
  expect((await client.conversation(bob, group.id))?.lastMessage).toMatchObject({
    id: message.id,
    content: 'hello',
  });

  expect((await bed.failure(EDIT, { id: message.id, content: 'mine now' }, bob)).extensions).toMatchObject({
    code: 'FORBIDDEN',
    reason: 'NOT_SENDER',
  });
  expect((await bed.failure(EDIT, { id: message.id, content: ' ' }, alice)).extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    field: 'content',
  });
  // Sixteen minutes later (the clock moved by rewriting when it was sent).
  await bed.db
    .collection('messages')
    .updateOne(
      { _id: new ObjectId(message.id) },
      { $set: { createdAt: new Date(Date.now() - 16 * 60_000) } },
    );
  expect((await bed.failure(EDIT, { id: message.id, content: 'too late' }, alice)).extensions).toMatchObject({
    code: 'FORBIDDEN',
    reason: 'EDIT_WINDOW_EXPIRED',
  });
  const system = (await client.messages(alice, group.id, { first: 1 })).edges[0]?.node;
  expect(system?.messageType).toBe('SYSTEM');
  expect((await bed.failure(EDIT, { id: system?.id, content: 'rewritten' }, alice)).extensions?.code).toBe(
    'BAD_USER_INPUT',
  );
});

test('deleting for everyone removes content and media for all; only the sender may', async () => {
  const message = await client.send(bob, group.id, 'oops, wrong chat');
  expect((await bed.failure(DELETE, { id: message.id, forEveryone: true }, alice)).extensions).toMatchObject({
    code: 'FORBIDDEN',
    reason: 'NOT_SENDER',
  });
  expect(
    (await bed.run<{ deleteMessage: boolean }>(DELETE, { id: message.id, forEveryone: true }, bob))
      .deleteMessage,
  ).toBe(true);
  // Idempotent.
  await bed.run(DELETE, { id: message.id, forEveryone: true }, bob);
  for (const viewer of [alice, bob, carol]) {
    expect(await view(viewer, message.id)).toMatchObject({
      isDeleted: true,
      content: null,
      media: [],
      mentions: [],
    });
  }
  expect((await client.conversation(carol, group.id))?.lastMessage).toMatchObject({
    id: message.id,
    isDeleted: true,
  });
  // A deleted message cannot be edited, reacted to or replied to.
  expect((await bed.failure(EDIT, { id: message.id, content: 'fix' }, bob)).extensions?.code).toBe(
    'BAD_USER_INPUT',
  );
  expect((await bed.failure(REACT, { id: message.id, emoji: '👍' }, alice)).extensions?.code).toBe(
    'BAD_USER_INPUT',
  );
});

test('deleting for oneself hides the message from that viewer only', async () => {
  const first = await client.send(carol, group.id, 'first');
  const second = await client.send(carol, group.id, 'second');
  const unreadBefore = (await client.conversation(bob, group.id))?.unreadCount ?? 0;
  await bed.run(DELETE, { id: second.id, forEveryone: false }, bob);
  expect(await view(bob, second.id)).toBeNull();
  expect(await view(alice, second.id)).toMatchObject({ content: 'second', isDeleted: false });
  const bobs = await client.conversation(bob, group.id);
  expect(bobs?.lastMessage).toMatchObject({ id: first.id });
  expect(bobs?.unreadCount).toBe(unreadBefore - 1);
  expect((await client.conversation(alice, group.id))?.lastMessage).toMatchObject({ id: second.id });
  const page = await client.messages(bob, group.id, { last: 50 });
  expect(page.edges.map((edge) => edge.node.id)).not.toContain(second.id);
  // Acting on it again is as if it did not exist.
  expect((await bed.failure(REACT, { id: second.id, emoji: '👍' }, bob)).extensions?.code).toBe('NOT_FOUND');
});

test('one reaction per user: a new emoji replaces the old; groups count by emoji', async () => {
  const message = await client.send(alice, group.id, 'party?');
  type Reacted = { reactToMessage: Message };
  await bed.run<Reacted>(REACT, { id: message.id, emoji: '🎉' }, alice);
  await bed.run<Reacted>(REACT, { id: message.id, emoji: '🎉' }, bob);
  const carols = await bed.run<Reacted>(REACT, { id: message.id, emoji: '👍' }, carol);
  expect(carols.reactToMessage.reactions).toEqual([
    { emoji: '🎉', count: 2, users: [{ id: alice.id }, { id: bob.id }], viewerReacted: false },
    { emoji: '👍', count: 1, users: [{ id: carol.id }], viewerReacted: true },
  ]);
  expect(carols.reactToMessage.viewerReaction).toBe('👍');
  const changed = await bed.run<Reacted>(REACT, { id: message.id, emoji: '👍🏽' }, bob);
  expect(changed.reactToMessage.reactions.map((group) => [group.emoji, group.count])).toEqual([
    ['🎉', 1],
    ['👍', 1],
    ['👍🏽', 1],
  ]);
  const removed = await bed.run<{ unreactToMessage: Message }>(UNREACT, { id: message.id }, bob);
  expect(removed.unreactToMessage.viewerReaction).toBeNull();
  expect(removed.unreactToMessage.reactions.map((group) => group.emoji)).toEqual(['🎉', '👍']);
  // Removing nothing is fine.
  await bed.run(UNREACT, { id: message.id }, bob);

  for (const emoji of ['no', '👍👍', '', 'a'.repeat(17)]) {
    const refused = await bed.failure(REACT, { id: message.id, emoji }, bob);
    expect(refused.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'emoji' });
  }
});
