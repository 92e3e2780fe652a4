/**
 * Who may read and write: a conversation and its messages are visible to its active participants
 * only, whatever the path (queries, entity references, subscriptions), and direct messages follow
 * the recipient's blocks and allowMessages setting as profile's events report them.
 */
import type { TestAccount } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { startChatTestbed, type ChatTestbed } from './helpers.js';
import {
  CONVERSATION,
  CONVERSATION_EVENTS,
  CREATE_GROUP,
  MARK_READ,
  MESSAGE,
  MESSAGES,
  SEND,
  SET_TYPING,
  START_DIRECT,
  TOTAL_UNREAD,
  TYPING,
  befriend,
  block,
  chatClient,
  setPrivacy,
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

const ENTITIES = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Conversation { id name } ... on Message { id content } } }`;

async function entities(viewer: TestAccount, representations: Array<Record<string, string>>) {
  const response = await bed.supergraph.query<{ _entities: unknown[] }>(
    ENTITIES,
    { representations },
    { token: viewer.token, target: 'chat' },
  );
  return response.data?._entities;
}

test('outsiders can neither read nor subscribe, by any path', async () => {
  const [alice, bob, eve] = [await bed.member(), await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob], 'Private');
  const message = await client.send(alice, group.id, 'for members only');

  expect(await client.conversation(eve, group.id)).toBeNull();
  expect((await bed.run<{ message: unknown }>(MESSAGE, { id: message.id }, eve)).message).toBeNull();
  expect((await bed.failure(MESSAGES, { id: group.id }, eve)).extensions?.code).toBe('FORBIDDEN');
  expect((await bed.failure(MARK_READ, { id: group.id }, eve)).extensions?.code).toBe('FORBIDDEN');
  expect((await bed.failure(SET_TYPING, { id: group.id, isTyping: true }, eve)).extensions?.code).toBe(
    'FORBIDDEN',
  );
  const send = { input: { conversationId: group.id, clientMessageId: randomUUID(), content: 'let me in' } };
  expect((await bed.failure(SEND, send, eve)).extensions?.code).toBe('FORBIDDEN');

  // Entity references (what another subgraph's field or the gateway would fetch).
  const representations = [
    { __typename: 'Conversation', id: group.id },
    { __typename: 'Message', id: message.id },
  ];
  expect(await entities(eve, representations)).toEqual([null, null]);
  expect(await entities(bob, representations)).toEqual([
    { id: group.id, name: 'Private' },
    { id: message.id, content: 'for members only' },
  ]);

  for (const query of [CONVERSATION_EVENTS, TYPING]) {
    const subscription = await bed.subscribe(query, { id: group.id }, eve);
    const refused = await subscription.next();
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    await subscription.completed;
    await subscription.close();
  }
  expect((await bed.failure(CONVERSATION, { id: group.id })).extensions?.code).toBe('UNAUTHENTICATED');
  expect((await bed.failure(TOTAL_UNREAD)).extensions?.code).toBe('UNAUTHENTICATED');
  expect((await bed.failure(CONVERSATION, { id: 'not-an-id' }, eve)).extensions?.code).toBe('BAD_USER_INPUT');
});

test('a removed participant loses access, entity references included', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const group = await client.group(alice, [bob], 'Shrinking');
  const message = await client.send(alice, group.id, 'before');
  await bed.run(
    'mutation ($id: ID!, $u: ID!) { removeParticipant(conversationId: $id, userId: $u) { id } }',
    {
      id: group.id,
      u: bob.id,
    },
    alice,
  );
  expect(await entities(bob, [{ __typename: 'Message', id: message.id }])).toEqual([null]);
  expect(await client.conversation(bob, group.id)).toBeNull();
});

test('blocked either way: no new conversation and no message, until unblocked', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  await client.send(bob, chat.id, 'hi Alice');
  await block(bed, alice, bob);

  const sendAs = (from: TestAccount) =>
    bed.failure(
      SEND,
      { input: { conversationId: chat.id, clientMessageId: randomUUID(), content: 'hello?' } },
      from,
    );
  expect((await sendAs(bob)).extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'BLOCKED' });
  expect((await sendAs(alice)).extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'BLOCKED' });
  expect((await bed.failure(START_DIRECT, { userId: alice.id }, bob)).extensions).toMatchObject({
    code: 'FORBIDDEN',
    reason: 'BLOCKED',
  });
  const carol = await bed.member();
  const group = await bed.failure(
    CREATE_GROUP,
    { input: { name: 'No', participantIds: [carol.id, alice.id] } },
    bob,
  );
  expect(group.extensions).toMatchObject({ code: 'FORBIDDEN' });
  // The history stays readable.
  expect((await client.messages(alice, chat.id)).edges).toHaveLength(1);

  await bed.run('mutation ($id: ID!) { unblock(userId: $id) { id } }', { id: bob.id }, alice);
  await bed.eventually(
    () => bed.db.collection('social_edges').findOne({ _id: `block:${alice.id}:${bob.id}` as never }),
    (edge) => edge?.active === false,
  );
  await client.send(bob, chat.id, 'thanks');
});

test('allowMessages: NONE refuses everyone, FRIENDS only friends', async () => {
  const [alice, bob, friend] = [await bed.member(), await bed.member(), await bed.member()];
  const chat = await client.direct(bob, alice);
  await setPrivacy(bed, alice, { allowMessages: 'NONE' });
  await bed.eventually(
    () => bed.db.collection('social_users').findOne({ _id: alice.id as never }),
    (user) => user?.privacy?.allowMessages === 'NONE',
  );
  const refused = await bed.failure(
    SEND,
    { input: { conversationId: chat.id, clientMessageId: randomUUID(), content: 'hey' } },
    bob,
  );
  expect(refused.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MESSAGES_NOT_ALLOWED' });
  // Alice's own setting does not stop her writing.
  await client.send(alice, chat.id, 'I can still write');

  await setPrivacy(bed, alice, { allowMessages: 'FRIENDS' });
  await befriend(bed, alice, friend);
  await bed.eventually(
    () => bed.db.collection('social_users').findOne({ _id: alice.id as never }),
    (user) => user?.privacy?.allowMessages === 'FRIENDS',
  );
  expect((await bed.failure(START_DIRECT, { userId: alice.id }, bob)).extensions).toMatchObject({
    code: 'FORBIDDEN',
    reason: 'MESSAGES_NOT_ALLOWED',
  });
  const friendly = await client.direct(friend, alice);
  await client.send(friend, friendly.id, 'friends may write');
});
