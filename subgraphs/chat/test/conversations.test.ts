/**
 * Direct conversations and the viewer's list: one conversation per pair whoever starts it, the
 * list ordered by last activity with per-viewer archive and mute, and paging through it.
 */
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import { ARCHIVE, CONVERSATIONS, MUTE, START_DIRECT, chatClient, type Conversation } from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startChatTestbed();
  client = chatClient(bed);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

type List = {
  conversations: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: Conversation }>;
  };
};

test('a direct conversation is one per pair, whoever starts it and however often', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const [first, again, concurrent1, concurrent2] = await Promise.all([
    client.direct(alice, bob),
    client.direct(alice, bob),
    client.direct(bob, alice),
    client.direct(bob, alice),
  ]);
  expect(new Set([first.id, again.id, concurrent1.id, concurrent2.id]).size).toBe(1);
  expect(first).toMatchObject({ type: 'ONE_ON_ONE', name: null, participantsCount: 2, lastMessage: null });
  expect(first.participants.map((p) => p.role)).toEqual(['MEMBER', 'MEMBER']);
  expect(new Set(first.participants.map((p) => p.user.id))).toEqual(new Set([alice.id, bob.id]));
  expect((await client.conversation(alice, first.id))?.otherParticipant).toEqual({ id: bob.id });
  expect((await client.conversation(bob, first.id))?.otherParticipant).toEqual({ id: alice.id });
});

test('starting a conversation is refused with oneself, unknown users and anonymously', async () => {
  const alice = await bed.member();
  const self = await bed.failure(START_DIRECT, { userId: alice.id }, alice);
  expect(self.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  const nobody = await bed.failure(START_DIRECT, { userId: '00000000-0000-4000-8000-000000000000' }, alice);
  expect(nobody.extensions?.code).toBe('NOT_FOUND');
  const malformed = await bed.failure(START_DIRECT, { userId: 'not-a-user' }, alice);
  expect(malformed.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  const anonymous = await bed.failure(START_DIRECT, { userId: alice.id });
  expect(anonymous.extensions?.code).toBe('UNAUTHENTICATED');
});

test('the list shows the most recent activity first and pages without gaps or repeats', async () => {
  const me = await bed.member();
  const others = [await bed.member(), await bed.member(), await bed.member(), await bed.member()];
  const conversations: Conversation[] = [];
  for (const other of others) conversations.push(await client.direct(me, other));
  // Activity in a new order: the second conversation, then the fourth.
  await client.send(others[1]!, conversations[1]!.id, 'hi');
  await client.send(me, conversations[3]!.id, 'hello');

  const seen: Conversation[] = [];
  let after: string | null = null;
  for (;;) {
    const page: List = await bed.run<List>(CONVERSATIONS, { first: 3, after }, me);
    seen.push(...page.conversations.edges.map((edge) => edge.node));
    if (!page.conversations.pageInfo.hasNextPage) break;
    after = page.conversations.pageInfo.endCursor;
  }
  expect(seen.map((c) => c.id)).toEqual(
    [conversations[3], conversations[1], conversations[2], conversations[0]].map((c) => c!.id),
  );
  expect(seen[0]).toMatchObject({ lastMessage: { content: 'hello' }, unreadCount: 0 });
  expect(seen[1]).toMatchObject({ lastMessage: { content: 'hi' }, unreadCount: 1 });
  for (let i = 1; i < seen.length; i += 1) {
    expect(Date.parse(seen[i - 1]!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(seen[i]!.updatedAt));
  }

  const groups = await bed.run<List>(CONVERSATIONS, { type: 'GROUP' }, me);
  expect(groups.conversations.edges).toEqual([]);
  const bad = await bed.failure(CONVERSATIONS, { after: 'bogus' }, me);
  expect(bad.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  const tooMany = await bed.failure(CONVERSATIONS, { first: 51 }, me);
  expect(tooMany.extensions?.code).toBe('BAD_USER_INPUT');
});

test('archive and mute are the viewer’s own; a new message does not unarchive', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const conversation = await client.direct(alice, bob);
  await client.send(bob, conversation.id, 'first');
  const archived = await bed.run<{ archiveConversation: { isArchived: boolean } }>(
    ARCHIVE,
    { id: conversation.id, archived: true },
    alice,
  );
  expect(archived.archiveConversation.isArchived).toBe(true);
  const muted = await bed.run<{ muteConversation: { isMuted: boolean } }>(
    MUTE,
    { id: conversation.id, muted: true },
    alice,
  );
  expect(muted.muteConversation.isMuted).toBe(true);

  await client.send(bob, conversation.id, 'still there?');
  const ids = async (viewer: typeof alice, archivedList: boolean) =>
    (await bed.run<List>(CONVERSATIONS, { archived: archivedList }, viewer)).conversations.edges.map(
      (edge) => edge.node.id,
    );
  expect(await ids(alice, false)).not.toContain(conversation.id);
  expect(await ids(alice, true)).toEqual([conversation.id]);
  expect(await ids(bob, false)).toContain(conversation.id);
  expect(await client.conversation(alice, conversation.id)).toMatchObject({
    isArchived: true,
    isMuted: true,
    unreadCount: 2,
  });
  expect(await client.conversation(bob, conversation.id)).toMatchObject({
    isArchived: false,
    isMuted: false,
  });

  await bed.run(ARCHIVE, { id: conversation.id, archived: false }, alice);
  await bed.run(MUTE, { id: conversation.id, muted: false }, alice);
  expect(await ids(alice, false)).toContain(conversation.id);
  expect(await client.conversation(alice, conversation.id)).toMatchObject({
    isArchived: false,
    isMuted: false,
  });
});
