/**
 * Many subscribers on one gateway: every one of them receives every message of a group exactly
 * once and in order (bench/gateway-subscriptions.ts measures the delivery latency with 1,000).
 */
import {
  connectGraphQL,
  type GraphQLSocket,
  type SubscriptionHandle,
  type TestAccount,
} from '@social/testing';
import {
  MESSAGES_WITH_SENDERS,
  chatClient,
  conversationChannel,
  rename,
  startSubscriptionTestbed,
  type ChatTestbed,
  type MessageEvent,
} from './subscriptions-fixtures.js';

const MEMBERS = 10;
const CONNECTIONS_PER_MEMBER = 20;
const MESSAGES = 5;

let bed: ChatTestbed;
beforeAll(async () => {
  bed = await startSubscriptionTestbed();
}, 120_000);
afterAll(async () => {
  await bed?.stop();
});

/** The contents of the next `count` new messages a subscriber receives (other events skipped). */
async function messages(subscription: SubscriptionHandle<MessageEvent>, count: number): Promise<string[]> {
  const contents: string[] = [];
  while (contents.length < count) {
    const event = await subscription.next(30_000);
    if (event.errors?.length) throw new Error(JSON.stringify(event.errors));
    const message = event.data?.conversationEvents.message;
    if (message) contents.push(message.content);
  }
  return contents;
}

/** New messages that still arrive within `quietMs` (duplicates would). */
async function extraMessages(
  subscription: SubscriptionHandle<MessageEvent>,
  quietMs: number,
): Promise<number> {
  let extra = 0;
  for (;;) {
    try {
      const event = await subscription.next(quietMs);
      if (event.data?.conversationEvents.message) extra += 1;
    } catch {
      return extra;
    }
  }
}

test(`${MEMBERS * CONNECTIONS_PER_MEMBER} subscribers each receive every message once, in order`, async () => {
  const client = chatClient(bed);
  const sender = await bed.member();
  await rename(bed, sender, 'Announcer');
  const members: TestAccount[] = [];
  for (let i = 0; i < MEMBERS; i += 1) members.push(await bed.member());
  const group = await client.group(sender, members, 'Broadcast');

  const sockets: GraphQLSocket[] = [];
  const subscriptions: Array<SubscriptionHandle<MessageEvent>> = [];
  try {
    for (const member of members) {
      for (let i = 0; i < CONNECTIONS_PER_MEMBER; i += 1) {
        const socket = connectGraphQL(bed.supergraph.gatewayUrl, { token: member.token });
        sockets.push(socket);
        subscriptions.push(socket.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id: group.id }));
      }
    }
    // One upstream subscription per member: a member's connections share its token (groups.ts).
    await bed.listening(conversationChannel(group.id), MEMBERS);
    const stats = () => bed.supergraph.stack.gateway.subscriptions.stats();
    await bed.eventually(
      async () => stats().operations,
      (operations) => operations === subscriptions.length,
    );
    expect(stats().upstream.chat?.operations).toBe(MEMBERS);

    const sent: string[] = [];
    for (let i = 0; i < MESSAGES; i += 1) {
      sent.push(`broadcast ${i}`);
      await client.send(sender, group.id, `broadcast ${i}`);
    }
    const received = await Promise.all(subscriptions.map((subscription) => messages(subscription, MESSAGES)));
    for (const contents of received) expect(contents).toEqual(sent);
    const extras = await Promise.all(subscriptions.map((subscription) => extraMessages(subscription, 300)));
    expect(extras.filter((count) => count > 0)).toEqual([]);

    // And each with the sender's profile, fetched per subscriber and event.
    const last = await (async () => {
      await client.send(sender, group.id, 'with profile');
      const event = await subscriptions[0]!.next(30_000);
      return event.data?.conversationEvents.message;
    })();
    expect(last).toEqual({ content: 'with profile', sender: { displayName: 'Announcer', avatarUrl: null } });
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
  }
}, 240_000);
