/**
 * Subscriptions as a chat client sees them (graphql-ws on the chat subgraph): everything that
 * happens in a conversation, the end of the stream for someone removed or leaving, typing
 * indicators, the conversation list and presence.
 */
import type { TestAccount } from '@social/testing';
import { startChatTestbed, type ChatSubscription, type ChatTestbed } from './helpers.js';
import {
  ADD_PARTICIPANTS,
  CONVERSATION_EVENTS,
  DELETE,
  EDIT,
  LEAVE,
  MARK_READ,
  MY_CONVERSATIONS,
  PRESENCE,
  REACT,
  REMOVE_PARTICIPANT,
  SET_TYPING,
  TYPING,
  UPDATE_GROUP,
  block,
  chatClient,
  setPrivacy,
} from './operations.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startChatTestbed({ env: { CHAT_TYPING_TTL_MS: '600' } });
  client = chatClient(bed);
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

type Event = { conversationEvents: Record<string, unknown> & { __typename: string } };

async function events(subscription: ChatSubscription<Event>, count: number) {
  const out: Array<Event['conversationEvents']> = [];
  for (let i = 0; i < count; i += 1) {
    const event = await subscription.next();
    if (event.errors?.length) throw new Error(JSON.stringify(event.errors));
    out.push(event.data!.conversationEvents);
  }
  return out;
}

async function watch(viewer: TestAccount, conversationId: string, already = 0) {
  const subscription = await bed.subscribe<Event>(CONVERSATION_EVENTS, { id: conversationId }, viewer);
  await bed.listening(`chat:conversation:${conversationId}`, already + 1);
  return subscription;
}

test('conversationEvents delivers every kind of change, in order', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob], 'Live');
  const bobs = await watch(bob, group.id);
  const alices = await watch(alice, group.id, 1);

  const message = await client.send(alice, group.id, 'hello');
  await bed.run(EDIT, { id: message.id, content: 'hello all' }, alice);
  await bed.run(REACT, { id: message.id, emoji: '👋' }, bob);
  await bed.run(MARK_READ, { id: group.id, upTo: message.id }, bob);
  await bed.run(DELETE, { id: message.id, forEveryone: false }, alice); // Alice's own view only
  await bed.run(UPDATE_GROUP, { input: { conversationId: group.id, name: 'Live!' } }, alice);
  await bed.run(ADD_PARTICIPANTS, { id: group.id, userIds: [carol.id] }, alice);
  const oops = await client.send(alice, group.id, 'oops');
  await bed.run(DELETE, { id: oops.id, forEveryone: true }, alice);

  const common = [
    'MessageAddedEvent',
    'MessageEditedEvent',
    'MessageReactionChangedEvent',
    'ReadReceiptEvent', // delivered (reading implies it)
    'ReadReceiptEvent', // read
    'ConversationUpdatedEvent',
    'MessageAddedEvent', // SYSTEM: changed the group name
    'ParticipantChangedEvent',
    'MessageAddedEvent', // SYSTEM: added Carol
    'MessageAddedEvent', // oops
    'MessageDeletedEvent',
  ];
  const seen = await events(bobs, common.length);
  expect(seen.map((event) => event.__typename)).toEqual(common);
  expect(seen[0]).toMatchObject({ message: { id: message.id, content: 'hello', sender: { id: alice.id } } });
  expect(seen[1]).toMatchObject({ message: { content: 'hello all', isEdited: true } });
  expect(seen[2]).toMatchObject({
    user: { id: bob.id },
    emoji: '👋',
    message: { reactions: [{ emoji: '👋', count: 1 }] },
  });
  expect(seen[3]).toMatchObject({ receiptType: 'DELIVERED', upToSequence: message.sequence });
  expect(seen[4]).toMatchObject({ receiptType: 'READ', user: { id: bob.id }, upToMessageId: message.id });
  expect(seen[5]).toMatchObject({ conversation: { name: 'Live!' }, actor: { id: alice.id } });
  expect(seen[6]).toMatchObject({ message: { messageType: 'SYSTEM', sequence: message.sequence + 1 } });
  expect(seen[7]).toMatchObject({
    change: 'ADDED',
    role: 'MEMBER',
    user: { id: carol.id },
    actor: { id: alice.id },
  });
  expect(seen[10]).toMatchObject({ messageId: oops.id, sequence: oops.sequence, forEveryone: true });

  // Alice alone also saw her own deletion "for me".
  const hers = await events(alices, common.length + 1);
  expect(hers[5]).toMatchObject({
    __typename: 'MessageDeletedEvent',
    messageId: message.id,
    forEveryone: false,
  });
  expect(hers.filter((_, index) => index !== 5).map((event) => event.__typename)).toEqual(common);
  await bobs.close();
  await alices.close();
});

test('a message whose event pub/sub lost still reaches subscribers, in its place', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  const bobs = await watch(bob, chat.id);
  // Fault injection: the next MessageAdded of this conversation is dropped on its way out.
  const pubsub = bed.supergraph.stack.resources.pubsub;
  const publish = pubsub.publish.bind(pubsub);
  let dropped = 0;
  pubsub.publish = async <T>(channel: string, payload: T) => {
    if (
      channel === `chat:conversation:${chat.id}` &&
      (payload as { kind?: string }).kind === 'MessageAdded' &&
      !dropped
    ) {
      dropped += 1;
      return;
    }
    return publish(channel, payload);
  };
  try {
    const lost = await client.send(alice, chat.id, 'lost in transit');
    const next = await client.send(alice, chat.id, 'made it');
    const seen = await events(bobs, 2);
    expect(dropped).toBe(1);
    expect(seen.map((event) => (event.message as { id: string }).id)).toEqual([lost.id, next.id]);
  } finally {
    pubsub.publish = publish;
    await bobs.close();
  }
});

test('a removed subscriber receives the removal, then the stream ends; others carry on', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob, carol], 'Exit');
  const bobs = await watch(bob, group.id);
  const carols = await watch(carol, group.id, 1);
  await bed.run(REMOVE_PARTICIPANT, { id: group.id, userId: bob.id }, alice);
  const [removal] = await events(bobs, 1);
  expect(removal).toMatchObject({
    __typename: 'ParticipantChangedEvent',
    change: 'REMOVED',
    role: null,
    user: { id: bob.id },
    actor: { id: alice.id },
  });
  await bobs.completed;
  await client.send(alice, group.id, 'after Bob');
  const carolSees = await events(carols, 3);
  expect(carolSees.map((event) => event.__typename)).toEqual([
    'ParticipantChangedEvent',
    'MessageAddedEvent',
    'MessageAddedEvent',
  ]);
  expect(carolSees[2]).toMatchObject({ message: { content: 'after Bob' } });

  await bed.run(LEAVE, { id: group.id }, carol);
  const [left] = await events(carols, 1);
  expect(left).toMatchObject({ change: 'LEFT', user: { id: carol.id }, actor: { id: carol.id } });
  await carols.completed;
  await bobs.close();
  await carols.close();
});

type Typing = { typing: { user: { id: string }; isTyping: boolean; expiresAt: string | null } };

test('typing: others see it, the typer does not, and it lapses unless renewed', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  const bobSees = await bed.subscribe<Typing>(TYPING, { id: chat.id }, bob);
  const aliceSees = await bed.subscribe<Typing>(TYPING, { id: chat.id }, alice);
  await bed.listening(`chat:typing:${chat.id}`, 2);

  await bed.run(SET_TYPING, { id: chat.id, isTyping: true }, alice);
  const started = (await bobSees.next()).data?.typing;
  expect(started).toMatchObject({ user: { id: alice.id }, isTyping: true, expiresAt: expect.any(String) });
  expect((await client.conversation(bob, chat.id))?.typingUsers).toEqual([{ id: alice.id }]);
  expect((await client.conversation(alice, chat.id))?.typingUsers).toEqual([]);
  // Not renewed: it lapses (CHAT_TYPING_TTL_MS) and subscribers hear it stopped.
  expect((await bobSees.next()).data?.typing).toMatchObject({
    user: { id: alice.id },
    isTyping: false,
    expiresAt: null,
  });
  expect((await client.conversation(bob, chat.id))?.typingUsers).toEqual([]);

  await bed.run(SET_TYPING, { id: chat.id, isTyping: true }, bob);
  await bed.run(SET_TYPING, { id: chat.id, isTyping: false }, bob);
  // Alice's stream never had her own indicators: Bob's start and stop come first.
  expect((await aliceSees.next()).data?.typing).toMatchObject({ user: { id: bob.id }, isTyping: true });
  expect((await aliceSees.next()).data?.typing).toMatchObject({ user: { id: bob.id }, isTyping: false });
  await bobSees.close();
  await aliceSees.close();
});

type ListUpdate = {
  myConversationsUpdated: {
    conversationId: string;
    reason: string;
    unreadCount: number;
    totalUnreadCount: number;
    conversation: { id: string; lastMessage: { content: string | null } | null } | null;
  };
};

test('myConversationsUpdated follows the viewer’s list: new messages, reads, joins, removals', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const list = await bed.subscribe<ListUpdate>(MY_CONVERSATIONS, {}, bob);
  await bed.listening(`chat:user:${bob.id}`);
  const next = async () => (await list.next()).data!.myConversationsUpdated;

  const chat = await client.direct(alice, bob);
  expect(await next()).toMatchObject({ conversationId: chat.id, reason: 'JOINED', unreadCount: 0 });
  await client.send(alice, chat.id, 'ping');
  expect(await next()).toMatchObject({
    reason: 'NEW_MESSAGE',
    unreadCount: 1,
    totalUnreadCount: 1,
    conversation: { id: chat.id, lastMessage: { content: 'ping' } },
  });
  await bed.run(MARK_READ, { id: chat.id }, bob); // e.g. from Bob's other device
  expect(await next()).toMatchObject({ reason: 'READ', unreadCount: 0, totalUnreadCount: 0 });

  const group = await client.group(alice, [bob], 'Listed');
  expect(await next()).toMatchObject({
    conversationId: group.id,
    reason: 'JOINED',
    unreadCount: 1,
    totalUnreadCount: 1,
  });
  await bed.run(REMOVE_PARTICIPANT, { id: group.id, userId: bob.id }, alice);
  expect(await next()).toMatchObject({
    conversationId: group.id,
    reason: 'REMOVED',
    conversation: null,
    unreadCount: 0,
    totalUnreadCount: 0,
  });
  await list.close();
});

type Presence = { presenceChanged: { user: { id: string }; isOnline: boolean; lastSeenAt: string | null } };
const SET_PRESENCE = 'mutation ($online: Boolean!) { setPresence(online: $online) }';

test('presenceChanged relays only what the viewer may see', async () => {
  const [viewer, open, hidden, blocker, quiet] = [
    await bed.member(),
    await bed.member(),
    await bed.member(),
    await bed.member(),
    await bed.member(),
  ];
  await setPrivacy(bed, hidden, { showOnlineStatus: false });
  await setPrivacy(bed, quiet, { showLastSeen: false });
  await block(bed, blocker, viewer);
  await bed.eventually(
    () =>
      bed.db
        .collection('social_users')
        .find({ _id: { $in: [hidden.id, quiet.id] as never[] } })
        .toArray(),
    (users) =>
      users.some((u) => String(u._id) === hidden.id && u.privacy?.showOnlineStatus === false) &&
      users.some((u) => String(u._id) === quiet.id && u.privacy?.showLastSeen === false),
  );
  const watched = [open, hidden, blocker, quiet].map((account) => account.id);
  const presence = await bed.subscribe<Presence>(PRESENCE, { ids: watched }, viewer);
  await bed.listening('chat:presence');

  for (const account of [hidden, blocker, open, quiet])
    await bed.run(SET_PRESENCE, { online: true }, account);
  const first = (await presence.next()).data?.presenceChanged;
  expect(first).toMatchObject({ user: { id: open.id }, isOnline: true, lastSeenAt: expect.any(String) });
  const second = (await presence.next()).data?.presenceChanged;
  expect(second).toMatchObject({ user: { id: quiet.id }, isOnline: true, lastSeenAt: null });
  const invalid = await bed.subscribe<Presence>(PRESENCE, { ids: [] }, viewer);
  expect((await invalid.next()).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  await invalid.close();
  await presence.close();
});
