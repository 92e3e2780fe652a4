/**
 * Chat messages as notifications: the recipients chat names in MessageSent are told unless they
 * muted the conversation or are looking at it (a conversationEvents subscription), messages of one
 * conversation group until read, and settings and blocks apply as everywhere.
 */
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { startNotificationTestbed, type Notification, type NotificationTestbed } from './helpers.js';

let bed: NotificationTestbed;
beforeAll(async () => {
  bed = await startNotificationTestbed();
}, 60_000);
afterAll(async () => {
  await bed?.stop();
});

const person = (firstName: string) => bed.member({ firstName, lastName: 'Chat' });
const messagesOf = (nodes: Notification[]) => nodes.filter((node) => node.type === 'MESSAGE');
const about = (conversationId: string) => (nodes: Notification[]) =>
  messagesOf(nodes).filter((node) => node.metadata.conversationId === conversationId);

async function direct(from: TestAccount, to: TestAccount): Promise<string> {
  const data = await bed.run<{ startDirectConversation: { id: string } }>(
    'mutation ($id: ID!) { startDirectConversation(userId: $id) { id } }',
    { id: to.id },
    from,
  );
  return data.startDirectConversation.id;
}

async function group(admin: TestAccount, members: TestAccount[], name: string): Promise<string> {
  const data = await bed.run<{ createGroup: { id: string } }>(
    'mutation ($input: CreateGroupInput!) { createGroup(input: $input) { id } }',
    { input: { name, participantIds: members.map((member) => member.id) } },
    admin,
  );
  return data.createGroup.id;
}

async function send(from: TestAccount, conversationId: string, content: string): Promise<string> {
  const data = await bed.run<{ sendMessage: { id: string } }>(
    'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
    { input: { conversationId, clientMessageId: randomUUID(), content } },
    from,
  );
  return data.sendMessage.id;
}

test('a direct message notifies its recipient, and further ones group until read', async () => {
  const [ann, ben] = [await person('Ann'), await person('Ben')];
  const conversationId = await direct(ann, ben);
  const first = await send(ann, conversationId, 'Lunch   tomorrow?');
  const [notified] = await bed.waitForNotifications(
    ben,
    (nodes) => about(conversationId)(nodes).length === 1,
  );
  expect(notified).toMatchObject({
    type: 'MESSAGE',
    title: 'New message from Ann Chat',
    message: 'Ann Chat: Lunch tomorrow?',
    actor: { id: ann.id },
    groupCount: 1,
    relatedEntityId: first,
    relatedEntityType: 'MESSAGE',
    actionUrl: `/conversations/${conversationId}`,
    metadata: { conversationId, conversationType: 'ONE_ON_ONE', messageId: first, mentioned: false },
    priority: 'HIGH',
  });

  const second = await send(ann, conversationId, 'At noon');
  const [grouped] = await bed.waitForNotifications(
    ben,
    (nodes) => about(conversationId)(nodes)[0]?.groupCount === 2,
  );
  expect(grouped).toMatchObject({
    id: notified?.id,
    title: 'New messages from Ann Chat',
    message: '2 new messages from Ann Chat',
    relatedEntityId: second,
    actors: [{ id: ann.id }],
  });
  expect(await bed.unreadCount(ben)).toBe(1);
});

test('a muted conversation notifies nobody; an unmuted one does', async () => {
  const [ann, ben, cat] = [await person('Ann'), await person('Ben'), await person('Cat')];
  const muted = await direct(cat, ben);
  const open = await direct(ann, ben);
  await bed.run(
    'mutation ($id: ID!) { muteConversation(conversationId: $id, muted: true) { id isMuted } }',
    { id: muted },
    ben,
  );
  await send(cat, muted, 'you will not hear this');
  // Chat's stream is handled in order: once the later message is there, the muted one was decided.
  await send(ann, open, 'you will hear this');
  const nodes = await bed.waitForNotifications(ben, (list) => about(open)(list).length === 1);
  expect(about(muted)(nodes)).toEqual([]);
  expect(about(open)(nodes)[0]).toMatchObject({ message: 'Ann Chat: you will hear this' });
});

test('a recipient looking at the conversation (subscribed to it) is not notified', async () => {
  const [ann, ben, cat] = [await person('Ann'), await person('Ben'), await person('Cat')];
  const conversationId = await direct(ann, ben);
  const other = await direct(cat, ben);
  const watching = bed.supergraph.subscribe(
    'subscription ($id: ID!) { conversationEvents(conversationId: $id) { __typename } }',
    { id: conversationId },
    { token: ben.token, target: 'chat' },
  );
  await watching.connected;
  await bed.listening(`chat:conversation:${conversationId}`);
  await send(ann, conversationId, 'ben is reading this live');
  await watching.next(10_000);
  await send(cat, other, 'a later message elsewhere');
  const nodes = await bed.waitForNotifications(ben, (list) => about(other)(list).length === 1);
  expect(about(conversationId)(nodes)).toEqual([]);

  // Ben left the conversation's screen: the next message reaches him as a notification.
  await watching.close();
  const [notification] = about(conversationId)(
    (
      await bed.eventually(
        async () => {
          await send(ann, conversationId, `still there? ${randomUUID()}`);
          return bed.notifications(ben);
        },
        (page) => about(conversationId)(page.edges.map((edge) => edge.node)).length > 0,
      )
    ).edges.map((edge) => edge.node),
  );
  expect(notification?.metadata.preview).toMatch(/^still there\?/);
});

test('a group message notifies its other members, not the blocked or those who turned messages off', async () => {
  const [ann, ben, cat, dan] = [
    await person('Ann'),
    await person('Ben'),
    await person('Cat'),
    await person('Dan'),
  ];
  const team = await group(ann, [ben, cat, dan], 'Weekend Team');
  await bed.block(cat, ann);
  await bed.settings(dan, { messageNotifications: false });
  await send(ann, team, `hello @${ben.username}`);
  const [notified] = await bed.waitForNotifications(ben, (nodes) => about(team)(nodes).length === 1);
  expect(notified).toMatchObject({
    title: 'New message in Weekend Team',
    message: `Ann Chat: hello @${ben.username}`,
    metadata: { conversationType: 'GROUP', conversationName: 'Weekend Team', mentioned: true },
  });
  // The group's creation (a SYSTEM message) told nobody either.
  expect(messagesOf(await bed.waitForNotifications(ben, () => true))).toHaveLength(1);

  // Cat and Dan: a later message from Ben reaches Cat (not blocked) but not Dan (turned off).
  await send(ben, team, 'from ben');
  const catNodes = await bed.waitForNotifications(cat, (nodes) => about(team)(nodes).length > 0);
  expect(about(team)(catNodes).map((node) => node.actor?.id)).toEqual([ben.id]);
  const sentinel = await direct(ann, dan);
  await bed.settings(dan, { messageNotifications: true });
  await send(ann, sentinel, 'messages are back on');
  const danNodes = await bed.waitForNotifications(dan, (nodes) => about(sentinel)(nodes).length > 0);
  expect(about(team)(danNodes)).toEqual([]);
});
