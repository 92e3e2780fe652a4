/**
 * The gateway's graphql-ws limits: subscriptions per connection and in all, the largest inbound
 * message, clients that do not read their events, tokens that expire or are revoked while their
 * socket is open. Small limits here; defaults in options.ts.
 */
import { jest } from '@jest/globals';
import { SLOW_CONSUMER_CLOSE_CODE } from '@social/gateway';
import { authenticationUnavailable } from '@social/kit';
import { connectGraphQL, deliveredAfterRevocation, type TestAccount } from '@social/testing';
import WebSocket from 'ws';
import {
  MESSAGES_WITH_SENDERS,
  chatClient,
  conversationChannel,
  nextData,
  startSubscriptionTestbed,
  type ChatTestbed,
  type MessageEvent,
} from './subscriptions-fixtures.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startSubscriptionTestbed({
    SUBSCRIPTIONS_PER_CONNECTION: '3',
    SUBSCRIPTIONS_MAX: '5',
    SUBSCRIPTIONS_MAX_MESSAGE_BYTES: '4096',
    SUBSCRIPTIONS_MAX_BUFFERED_BYTES: '16384',
    SUBSCRIPTIONS_MAX_QUEUED_EVENTS: '8',
    CHAT_SEND_RATE_POINTS: '100000',
    // The stalled subscriber below must be dropped for not reading, not for missing pings.
    SUBSCRIPTIONS_KEEPALIVE_MS: '60000',
    SUBSCRIPTIONS_REVERIFY_MS: '250',
  });
  client = chatClient(bed);
}, 120_000);
afterAll(async () => {
  await bed?.stop();
});

const stats = () => bed.supergraph.stack.gateway.subscriptions.stats();
const operationsReach = (count: number) =>
  bed.eventually(
    async () => stats().operations,
    (operations) => operations === count,
  );

async function pair(): Promise<{ alice: TestAccount; bob: TestAccount; id: string }> {
  const [alice, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(alice, bob);
  return { alice, bob, id: chat.id };
}

test('a connection runs at most its share of subscriptions, the gateway at most its total', async () => {
  const { alice, bob, id } = await pair();
  const first = connectGraphQL(bed.supergraph.gatewayUrl, { token: bob.token });
  const second = connectGraphQL(bed.supergraph.gatewayUrl, { token: bob.token });
  try {
    const mine = [1, 2, 3].map(() => first.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id }));
    // Identical subscriptions of one token share one upstream operation (groups.ts); the caps
    // count the client's operations.
    await bed.listening(conversationChannel(id), 1);
    await operationsReach(3);
    const fourth = first.subscribe(MESSAGES_WITH_SENDERS, { id });
    await expect(fourth.next()).rejects.toEqual([
      expect.objectContaining({
        message: 'At most 3 subscriptions may run on one connection',
        extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 3 },
      }),
    ]);
    // The three running ones are unaffected.
    await client.send(alice, id, 'to all three');
    for (const subscription of mine) {
      expect((await nextData(subscription)).conversationEvents.message?.content).toBe('to all three');
    }

    // Two more on another connection reach the gateway's total of five; a sixth is refused.
    const theirs = [1, 2].map(() => second.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id }));
    await operationsReach(5);
    const sixth = second.subscribe(MESSAGES_WITH_SENDERS, { id });
    await expect(sixth.next()).rejects.toEqual([
      expect.objectContaining({
        extensions: { code: 'RATE_LIMITED', reason: 'SUBSCRIPTION_CAPACITY', limit: 5 },
      }),
    ]);
    expect(stats()).toMatchObject({ connections: 2, operations: 5 });

    // Ending one frees its place.
    await theirs[0]?.close();
    await bed.eventually(
      async () => stats().operations,
      (operations) => operations === 4,
    );
    const again = second.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id });
    await operationsReach(5);
    await client.send(alice, id, 'room again');
    expect((await nextData(again)).conversationEvents.message?.content).toBe('room again');
  } finally {
    await first.close();
    await second.close();
  }
  await bed.eventually(
    async () => stats().operations,
    (operations) => operations === 0,
  );
});

test('a socket stays open while the revocation check cannot run (Redis down): the next check decides', async () => {
  const { alice, bob, id } = await pair();
  const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: bob.token });
  try {
    const subscription = socket.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id });
    await bed.listening(conversationChannel(id), 1);
    const verifier = bed.supergraph.stack.resources.verifier;
    const outage = jest
      .spyOn(verifier, 'viewerFromAuthorization')
      .mockRejectedValue(authenticationUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:6379')));
    try {
      // Several re-checks (every 250 ms here) run into the outage.
      await bed.eventually(
        async () => outage.mock.calls.length,
        (calls) => calls >= 3,
      );
    } finally {
      outage.mockRestore();
    }
    await client.send(alice, id, 'after the outage');
    expect((await nextData(subscription)).conversationEvents.message?.content).toBe('after the outage');
  } finally {
    await socket.close();
  }
});

test('the edge limits apply to graphql-ws operations: tokens while parsing, then depth', async () => {
  const { bob, id } = await pair();
  const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: bob.token });
  try {
    // Under the 4 KiB message limit of this testbed, over the 1,000 tokens of the defaults.
    const manyTokens = `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
      ... on MessageAddedEvent { message { ${'id '.repeat(1_000)} } } } }`;
    await expect(socket.subscribe(manyTokens, { id }).next()).rejects.toEqual([
      expect.objectContaining({
        message: expect.stringContaining('1000 tokens'),
        extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }),
      }),
    ]);
    // Deeper than the default depth limit (12): conversation → lastMessage, over and over.
    const chain = 'conversation { lastMessage { '.repeat(6);
    const tooDeep = `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
      ... on MessageAddedEvent { message { ${chain} id ${'} } '.repeat(6)} } } } }`;
    await expect(socket.subscribe(tooDeep, { id }).next()).rejects.toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth' }),
      }),
    ]);
  } finally {
    await socket.close();
  }
});

test('a message over the size limit closes the socket (1009)', async () => {
  const { bob, id } = await pair();
  const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: bob.token });
  try {
    await socket.connected;
    const padded = `${MESSAGES_WITH_SENDERS}\n# ${'x'.repeat(5_000)}`;
    const oversized = socket.subscribe(padded, { id });
    expect(await socket.closed).toMatchObject({ code: 1009 });
    await expect(oversized.next()).rejects.toMatchObject({ code: 1009 });
  } finally {
    await socket.close();
  }
});

/** A graphql-transport-ws client that can stop reading its socket, as a stalled phone would. */
async function stallableSubscriber(token: string, id: string) {
  const socket = new WebSocket(bed.supergraph.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const acknowledged = new Promise<void>((resolve) =>
    socket.on('message', (data: WebSocket.RawData) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acknowledged;
  // Every message's text twelve times over (aliases): events of some 55 kB fill buffers quickly.
  const copies = Array.from({ length: 12 }, (_, n) => `copy${n}: message { content }`).join(' ');
  const query = `subscription ($id: ID!) { conversationEvents(conversationId: $id) { ... on MessageAddedEvent { ${copies} } } }`;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { id } } }));
  // The underlying TCP socket: pausing it stops reading, so the kernel buffers fill up.
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return { closed, stopReading: () => tcp.pause(), resumeReading: () => tcp.resume(), socket };
}

test('a subscriber that stops reading is dropped (4008) instead of buffered without bound', async () => {
  const { alice, bob, id } = await pair();
  const stalled = await stallableSubscriber(bob.token, id);
  const before = stats().slowConsumersDropped;
  try {
    await bed.listening(conversationChannel(id), 1);
    stalled.stopReading();
    const content = 'z'.repeat(4_500);
    for (let sent = 0; stats().slowConsumersDropped === before; sent += 10) {
      if (sent >= 1_000) throw new Error('the stalled subscriber was never dropped');
      await Promise.all(Array.from({ length: 10 }, () => client.send(alice, id, content)));
    }
    stalled.resumeReading();
    expect(await stalled.closed).toBe(SLOW_CONSUMER_CLOSE_CODE);
    // Its subscription ended with it: chat stops delivering to it.
    await bed.eventually(
      async () => bed.supergraph.stack.resources.pubsub.listenerCount(conversationChannel(id)),
      (listeners) => listeners === 0,
    );
  } finally {
    stalled.socket.terminate();
  }
}, 120_000);

test('a socket whose token expires, or whose session is revoked, is closed (4403) to reconnect', async () => {
  const { bob, id } = await pair();
  const shortLived = await bed.supergraph.signToken(
    { sub: bob.id, sid: bob.sessionId, role: bob.role, username: bob.username },
    { ttlSeconds: 2 },
  );
  const expiring = connectGraphQL(bed.supergraph.gatewayUrl, { token: shortLived });
  try {
    await expiring.connected;
    expect(await expiring.closed).toEqual({ code: 4403, reason: 'Forbidden: token expired' });
  } finally {
    await expiring.close();
  }

  const session = await bed.supergraph.login(bob.username, bob.password);
  const revoked = connectGraphQL(bed.supergraph.gatewayUrl, { token: session.token });
  try {
    const subscription = revoked.subscribe(MESSAGES_WITH_SENDERS, { id });
    await bed.listening(conversationChannel(id), 1);
    await bed.run('mutation { logout }', {}, { ...bob, token: session.token });
    expect(await revoked.closed).toEqual({ code: 4403, reason: 'Forbidden: token revoked' });
    // No data after the logout; chat may have relayed its own refusal before the gateway closed.
    expect(await deliveredAfterRevocation(subscription)).toEqual(
      expect.stringMatching(/^(nothing|a refusal, no data)$/),
    );
  } finally {
    await revoked.close();
  }
});
