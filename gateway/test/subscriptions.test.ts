/**
 * Federated subscriptions through the gateway's graphql-ws endpoint: a chat subscription that also
 * selects profile-owned fields, resolved per event; who may subscribe; one pooled upstream
 * connection carrying several users; errors of follow-up fetches.
 */
import { connectGraphQL } from '@social/testing';
import {
  MESSAGES_WITH_SENDERS,
  chatClient,
  conversationChannel,
  nextData,
  rename,
  setAvatar,
  startSubscriptionTestbed,
  watch,
  type ChatTestbed,
  type MessageEvent,
} from './subscriptions-fixtures.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  // One upstream connection to chat, so every test's subscriptions share it.
  bed = await startSubscriptionTestbed({ SUBSCRIPTIONS_UPSTREAM_CONNECTIONS: '1' });
  client = chatClient(bed);
}, 120_000);
afterAll(async () => {
  await bed?.stop();
});

const gatewayStats = () => bed.supergraph.stack.gateway.subscriptions.stats();

test('a chat subscription receives each message with its sender’s profile fields, shaped as selected', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  await rename(bed, alice, 'Alice A.');
  await rename(bed, bob, 'Bob B.');
  const avatarUrl = await setAvatar(bed, alice);
  const chat = await client.direct(alice, bob);
  const bobs = await watch<MessageEvent>(bed, MESSAGES_WITH_SENDERS, { id: chat.id }, bob, {
    channel: conversationChannel(chat.id),
    count: 1,
  });
  try {
    await client.send(alice, chat.id, 'hi Bob');
    await client.send(bob, chat.id, 'hi Alice');
    await client.send(alice, chat.id, 'how are you?');
    // Exactly the client's selection: no __typename or key fields the gateway needed for planning.
    expect(await nextData(bobs)).toEqual({
      conversationEvents: { message: { content: 'hi Bob', sender: { displayName: 'Alice A.', avatarUrl } } },
    });
    expect(await nextData(bobs)).toEqual({
      conversationEvents: {
        message: { content: 'hi Alice', sender: { displayName: 'Bob B.', avatarUrl: null } },
      },
    });
    expect(await nextData(bobs)).toEqual({
      conversationEvents: {
        message: { content: 'how are you?', sender: { displayName: 'Alice A.', avatarUrl } },
      },
    });
  } finally {
    await bobs.close();
  }
});

test('every event is resolved afresh: a new display name shows from the next message on', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  await rename(bed, alice, 'Before');
  const chat = await client.direct(alice, bob);
  const bobs = await watch<MessageEvent>(bed, MESSAGES_WITH_SENDERS, { id: chat.id }, bob, {
    channel: conversationChannel(chat.id),
    count: 1,
  });
  try {
    await client.send(alice, chat.id, 'one');
    expect((await nextData(bobs)).conversationEvents.message?.sender.displayName).toBe('Before');
    await rename(bed, alice, 'After');
    await client.send(alice, chat.id, 'two');
    expect((await nextData(bobs)).conversationEvents.message).toEqual({
      content: 'two',
      sender: { displayName: 'After', avatarUrl: null },
    });
  } finally {
    await bobs.close();
  }
});

test('a bad token is refused at connect (4403); without one, chat answers UNAUTHENTICATED', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);

  const forged = bed.supergraph.subscribe(MESSAGES_WITH_SENDERS, { id: chat.id }, { token: 'not-a-token' });
  await expect(forged.connected).rejects.toMatchObject({ code: 4403 });
  await forged.close();

  const session = await bed.supergraph.login(alice.username, alice.password);
  await bed.run('mutation { logout }', {}, { ...alice, token: session.token });
  const revoked = bed.supergraph.subscribe(MESSAGES_WITH_SENDERS, { id: chat.id }, { token: session.token });
  await expect(revoked.connected).rejects.toMatchObject({ code: 4403 });
  await revoked.close();

  const anonymous = bed.supergraph.subscribe(MESSAGES_WITH_SENDERS, { id: chat.id });
  try {
    await anonymous.connected;
    const event = await anonymous.next(10_000);
    expect(event.data ?? null).toBeNull();
    expect(event.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', serviceName: 'chat' });
    await anonymous.completed;
  } finally {
    await anonymous.close();
  }
});

test('a stranger cannot subscribe to someone else’s conversation', async () => {
  const [alice, bob, eve] = [await bed.member(), await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  const eves = bed.supergraph.subscribe(MESSAGES_WITH_SENDERS, { id: chat.id }, { token: eve.token });
  try {
    const event = await eves.next(10_000);
    expect(event.data ?? null).toBeNull();
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(event.errors?.[0]?.extensions?.code);
    await eves.completed;
    // Nothing of the conversation reaches her afterwards.
    await client.send(alice, chat.id, 'private');
    await expect(eves.next(500)).rejects.toThrow(/no subscription event/);
  } finally {
    await eves.close();
  }

  // Credentials of her own in the subscribe payload do not reach the subgraph: the gateway sends
  // those of the connection.
  const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: eve.token });
  try {
    const spoofed = socket.subscribe(
      MESSAGES_WITH_SENDERS,
      { id: chat.id },
      { authorization: `Bearer ${alice.token}` },
    );
    const event = await spoofed.next(10_000);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(event.errors?.[0]?.extensions?.code);
  } finally {
    await socket.close();
  }
});

const OWN_VIEW = `subscription ($id: ID!) {
  conversationEvents(conversationId: $id) {
    ... on MessageAddedEvent {
      message { content clientMessageId conversation { viewerParticipant { user { id } } } sender { displayName } }
    }
  }
}`;
interface OwnView {
  conversationEvents: {
    message: {
      content: string;
      clientMessageId: string | null;
      conversation: { viewerParticipant: { user: { id: string } } };
      sender: { displayName: string | null };
    };
  };
}

test('users sharing one pooled upstream connection each receive their own view only', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  await rename(bed, alice, 'Alice');
  const chat = await client.direct(alice, bob);
  const channel = conversationChannel(chat.id);
  const alices = await watch<OwnView>(bed, OWN_VIEW, { id: chat.id }, alice, { channel, count: 1 });
  const bobs = await watch<OwnView>(bed, OWN_VIEW, { id: chat.id }, bob, { channel, count: 2 });
  try {
    // Both operations travel on the single upstream connection this gateway keeps to chat.
    expect(gatewayStats().upstream.chat).toMatchObject({ connections: 1 });
    expect(gatewayStats().upstream.chat?.operations).toBeGreaterThanOrEqual(2);

    const sent = await client.send(alice, chat.id, 'mine');
    const forAlice = await nextData(alices);
    const forBob = await nextData(bobs);
    // clientMessageId is visible to its sender only; viewerParticipant is each viewer's own.
    expect(forAlice.conversationEvents.message).toEqual({
      content: 'mine',
      clientMessageId: sent.clientMessageId,
      conversation: { viewerParticipant: { user: { id: alice.id } } },
      sender: { displayName: 'Alice' },
    });
    expect(forBob.conversationEvents.message).toEqual({
      content: 'mine',
      clientMessageId: null,
      conversation: { viewerParticipant: { user: { id: bob.id } } },
      sender: { displayName: 'Alice' },
    });
  } finally {
    await alices.close();
    await bobs.close();
  }
});

test('one connection may carry several subscriptions of its user; each ends on its own', async () => {
  const [alice, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  const withAlice = await client.direct(bob, alice);
  const withCarol = await client.direct(bob, carol);
  const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: bob.token });
  try {
    await socket.connected;
    const first = socket.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id: withAlice.id });
    const second = socket.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id: withCarol.id });
    await bed.listening(conversationChannel(withAlice.id));
    await bed.listening(conversationChannel(withCarol.id));
    await client.send(carol, withCarol.id, 'from carol');
    await client.send(alice, withAlice.id, 'from alice');
    expect((await nextData(second)).conversationEvents.message?.content).toBe('from carol');
    expect((await nextData(first)).conversationEvents.message?.content).toBe('from alice');
    // Operators see them on /metrics.
    const metrics = await (await fetch(bed.supergraph.gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
    expect(Number(/^gateway_subscriptions_active (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/^gateway_subscription_events_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);

    await first.close();
    await bed.eventually(
      async () => bed.supergraph.stack.resources.pubsub.listenerCount(conversationChannel(withAlice.id)),
      (count) => count === 0,
    );
    await client.send(carol, withCarol.id, 'still here');
    expect((await nextData(second)).conversationEvents.message?.content).toBe('still here');
  } finally {
    await socket.close();
  }
});

const WITH_LOGIN_HISTORY = `subscription ($id: ID!) {
  conversationEvents(conversationId: $id) {
    ... on MessageAddedEvent { message { content sender { displayName loginHistory(after: "not-a-cursor") { pageInfo { hasNextPage } } } } }
  }
}`;
interface WithHistory {
  conversationEvents: {
    message: { content: string; sender: { displayName: string | null; loginHistory: unknown } };
  };
}

test('an error of a follow-up fetch is reported in that event, and the stream goes on', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  await rename(bed, alice, 'Alice');
  await rename(bed, bob, 'Bob');
  const chat = await client.direct(alice, bob);
  // Alice may read her own login history, so auth checks her cursor (and refuses it); Bob's is
  // private to him, so for his messages the field is simply null.
  const alices = await watch<WithHistory>(bed, WITH_LOGIN_HISTORY, { id: chat.id }, alice, {
    channel: conversationChannel(chat.id),
    count: 1,
  });
  try {
    await client.send(alice, chat.id, 'first');
    const failed = await alices.next(10_000);
    expect(failed.data).toEqual({
      conversationEvents: {
        message: { content: 'first', sender: { displayName: 'Alice', loginHistory: null } },
      },
    });
    expect(failed.errors).toEqual([
      expect.objectContaining({
        path: ['conversationEvents', 'message', 'sender', 'loginHistory'],
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', serviceName: 'auth' }),
      }),
    ]);

    await client.send(bob, chat.id, 'second');
    const next = await alices.next(10_000);
    expect(next.errors).toBeUndefined();
    expect(next.data).toEqual({
      conversationEvents: {
        message: { content: 'second', sender: { displayName: 'Bob', loginHistory: null } },
      },
    });
  } finally {
    await alices.close();
  }
});

test('queries and mutations sent over the socket run through the same plans', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  await rename(bed, bob, 'Bobby');
  const chat = await client.direct(alice, bob);
  await client.send(bob, chat.id, 'hello');
  const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: alice.token });
  try {
    const query = socket.subscribe<{ conversation: { lastMessage: { sender: { displayName: string } } } }>(
      'query ($id: ID!) { conversation(id: $id) { lastMessage { sender { displayName } } } }',
      { id: chat.id },
    );
    expect(await nextData(query)).toEqual({
      conversation: { lastMessage: { sender: { displayName: 'Bobby' } } },
    });
    await query.completed;
  } finally {
    await socket.close();
  }
});

test('a subgraph verifies each operation’s own credentials on a shared connection (what the pool relies on)', async () => {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  // One anonymous connection straight to chat, as the gateway's pool opens them.
  const shared = connectGraphQL(bed.supergraph.subgraphUrls.chat);
  try {
    await shared.connected;
    const contents =
      'subscription ($id: ID!) { conversationEvents(conversationId: $id) { ... on MessageAddedEvent { message { content } } } }';
    const alices = shared.subscribe<{ conversationEvents: { message?: { content: string } } }>(
      contents,
      { id: chat.id },
      { authorization: `Bearer ${alice.token}` },
    );
    const forged = shared.subscribe(contents, { id: chat.id }, { authorization: 'Bearer forged' });
    await expect(forged.next()).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
    const anonymous = shared.subscribe(contents, { id: chat.id }, { authorization: '' });
    expect((await anonymous.next()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    await bed.listening(conversationChannel(chat.id), 1);
    await client.send(bob, chat.id, 'for alice');
    expect(await nextData(alices)).toEqual({ conversationEvents: { message: { content: 'for alice' } } });
  } finally {
    await shared.close();
  }
});
