/**
 * Identical subscriptions of one identity (same document, variables and token) share one upstream
 * operation and one execution per event (gateway/src/subscriptions/groups.ts). What must not
 * change: each user sees their own view, a member leaving does not end the others, and a token
 * that expires or is revoked closes its own sockets only.
 */
import {
  connectGraphQL,
  eventually,
  socialActions,
  type GraphQLSocket,
  type SubscriptionHandle,
  type TestAccount,
} from '@social/testing';
import {
  MESSAGES_WITH_SENDERS,
  chatClient,
  conversationChannel,
  nextData,
  rename,
  startSubscriptionTestbed,
  type ChatTestbed,
  type MessageEvent,
} from './subscriptions-fixtures.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  bed = await startSubscriptionTestbed({ SUBSCRIPTIONS_REVERIFY_MS: '250', CHAT_SEND_RATE_POINTS: '100000' });
  client = chatClient(bed);
}, 120_000);
afterAll(async () => {
  await bed?.stop();
});

const stats = () => bed.supergraph.stack.gateway.subscriptions.stats();
const upstreamOperations = () => stats().upstream.chat?.operations ?? 0;

/** Waits until the gateway runs `count` upstream operations on chat (leaving is asynchronous). */
const upstreamSettles = (count: number) =>
  eventually(
    async () => upstreamOperations(),
    (n) => n === count,
    { what: `${count} upstream operations` },
  );

interface Device {
  readonly socket: GraphQLSocket;
  readonly subscription: SubscriptionHandle<MessageEvent>;
}

function devices(
  account: TestAccount,
  conversationId: string,
  count: number,
  token = account.token,
): Device[] {
  return Array.from({ length: count }, () => {
    const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token });
    return {
      socket,
      subscription: socket.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id: conversationId }),
    };
  });
}

/** The next new message a device receives (other conversation events skipped). */
async function nextMessage(device: Device) {
  for (;;) {
    const data = await nextData(device.subscription, 15_000);
    if (data.conversationEvents.message) return data.conversationEvents.message;
  }
}

async function closeAll(list: readonly Device[]) {
  await Promise.all(list.map((device) => device.socket.close()));
}

test('one identity’s identical subscriptions share an upstream; users on the same document keep their own view', async () => {
  const [sender, bob, carol] = [await bed.member(), await bed.member(), await bed.member()];
  await rename(bed, sender, 'Announcer');
  const group = await client.group(sender, [bob, carol], 'Shared');
  // The sender blocks carol: profile shows her nothing of the sender but id and username.
  await socialActions(bed.supergraph, []).block(sender, carol);
  const bobs = devices(bob, group.id, 3);
  const carols = devices(carol, group.id, 2);
  try {
    await Promise.all([...bobs, ...carols].map((device) => device.socket.connected));
    await bed.listening(conversationChannel(group.id), 2);
    expect(stats().operations).toBe(5);
    await upstreamSettles(2);

    await client.send(sender, group.id, 'hello all');
    for (const device of bobs) {
      expect(await nextMessage(device)).toEqual({
        content: 'hello all',
        sender: { displayName: 'Announcer', avatarUrl: null },
      });
    }
    for (const device of carols) {
      expect(await nextMessage(device)).toEqual({
        content: 'hello all',
        sender: { displayName: null, avatarUrl: null },
      });
    }
  } finally {
    await closeAll([...bobs, ...carols]);
  }
  await upstreamSettles(0);
}, 90_000);

test('members leaving a shared subscription do not end it for the others; the last one ends it upstream', async () => {
  const [sender, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(sender, bob);
  const bobs = devices(bob, chat.id, 3);
  const [first, second, third] = bobs as [Device, Device, Device];
  try {
    await Promise.all(bobs.map((device) => device.socket.connected));
    await bed.listening(conversationChannel(chat.id), 1);
    await upstreamSettles(1);

    await first.subscription.close(); // unsubscribes, its socket stays open
    await second.socket.close(); // the device goes away
    await client.send(sender, chat.id, 'still there?');
    expect(await nextMessage(third)).toMatchObject({ content: 'still there?' });
    expect(upstreamOperations()).toBe(1);

    // A new member joins the live upstream and receives from the next event on.
    const late = devices(bob, chat.id, 1)[0]!;
    bobs.push(late);
    await late.socket.connected;
    await eventually(
      async () => stats().operations,
      (n) => n === 2,
      { what: 'the late subscription' },
    );
    await client.send(sender, chat.id, 'welcome');
    expect(await nextMessage(late)).toMatchObject({ content: 'welcome' });
    expect(await nextMessage(third)).toMatchObject({ content: 'welcome' });
    expect(upstreamOperations()).toBe(1);

    await third.socket.close();
    await late.socket.close();
    await upstreamSettles(0);
    await eventually(
      async () => bed.supergraph.stack.resources.pubsub.listenerCount(conversationChannel(chat.id)),
      (listeners) => listeners === 0,
      { what: 'chat ends the upstream subscription' },
    );
  } finally {
    await closeAll(bobs);
  }
}, 90_000);

test('an expired or revoked token closes its own sockets; the same user’s other sessions keep receiving', async () => {
  const [sender, bob] = [await bed.member(), await bed.member()];
  const chat = await client.direct(sender, bob);
  const kept = devices(bob, chat.id, 2);
  const session = await bed.supergraph.login(bob.username, bob.password);
  const revoked = devices(bob, chat.id, 2, session.token);
  const shortLived = await bed.supergraph.signToken(
    { sub: bob.id, sid: bob.sessionId, role: bob.role, username: bob.username },
    { ttlSeconds: 3 },
  );
  const expiring = devices(bob, chat.id, 1, shortLived);
  const all = [...kept, ...revoked, ...expiring];
  try {
    await Promise.all(all.map((device) => device.socket.connected));
    await bed.listening(conversationChannel(chat.id), 3);
    await upstreamSettles(3);

    await bed.run('mutation { logout }', {}, { ...bob, token: session.token });
    for (const device of revoked) {
      expect(await device.socket.closed).toEqual({ code: 4403, reason: 'Forbidden: token revoked' });
    }
    expect(await expiring[0]!.socket.closed).toEqual({ code: 4403, reason: 'Forbidden: token expired' });
    await upstreamSettles(1);

    await client.send(sender, chat.id, 'for the kept session');
    for (const device of kept)
      expect(await nextMessage(device)).toMatchObject({ content: 'for the kept session' });
  } finally {
    await closeAll(all);
  }
}, 90_000);
