/**
 * Federated subscriptions when things change underneath: the owning subgraph restarts, a subgraph
 * of a follow-up fetch is down, the owning subgraph does not come back, the supergraph is reloaded.
 */
import { createGateway, type Gateway } from '@social/gateway';
import { silentLogger } from '@social/kit';
import { connectGraphQL } from '@social/testing';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MESSAGES_WITH_SENDERS,
  chatClient,
  conversationChannel,
  nextData,
  rename,
  startSubscriptionTestbed,
  watch,
  type ChatTestbed,
  type MessageEvent,
} from './subscriptions-fixtures.js';

let bed: ChatTestbed;
let client: ReturnType<typeof chatClient>;
beforeAll(async () => {
  // Reconnect attempts 100 ms apart at first, at most 1 s apart, 12 in all (about 7 to 10 s).
  bed = await startSubscriptionTestbed({
    SUBSCRIPTIONS_UPSTREAM_RETRIES: '12',
    SUBSCRIPTIONS_UPSTREAM_RETRY_BASE_MS: '100',
    SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS: '1000',
  });
  client = chatClient(bed);
}, 120_000);
afterAll(async () => {
  await bed?.stop();
});

const stack = () => bed.supergraph.stack;
const listeners = (conversationId: string) =>
  stack().resources.pubsub.listenerCount(conversationChannel(conversationId));

async function conversationWatchedByBob() {
  const [alice, bob] = [await bed.member(), await bed.member()];
  await rename(bed, alice, 'Alice');
  const chat = await client.direct(alice, bob);
  const bobs = await watch<MessageEvent>(bed, MESSAGES_WITH_SENDERS, { id: chat.id }, bob, {
    channel: conversationChannel(chat.id),
    count: 1,
  });
  return { alice, bob, chat, bobs };
}

test('the owning subgraph restarts mid-subscription: the subscription resumes on the new instance', async () => {
  const { alice, chat, bobs } = await conversationWatchedByBob();
  try {
    await client.send(alice, chat.id, 'before');
    expect((await nextData(bobs)).conversationEvents.message?.content).toBe('before');

    await stack().stopSubgraph('chat');
    expect(listeners(chat.id)).toBe(0);
    await stack().startSubgraph('chat');
    // The gateway reconnects and subscribes again by itself; the client did nothing.
    await bed.listening(conversationChannel(chat.id), 1);

    await client.send(alice, chat.id, 'after');
    expect(await nextData(bobs)).toEqual({
      conversationEvents: {
        message: { content: 'after', sender: { displayName: 'Alice', avatarUrl: null } },
      },
    });
  } finally {
    await bobs.close();
  }
});

test('a follow-up fetch to a subgraph that is down: the event carries errors, later events are whole', async () => {
  const { alice, chat, bobs } = await conversationWatchedByBob();
  try {
    await stack().stopSubgraph('profile');
    try {
      await client.send(alice, chat.id, 'profile is down');
      const degraded = await bobs.next(10_000);
      // Chat's part is there; profile's fields could not be fetched for this event.
      expect(degraded.data).toEqual({
        conversationEvents: {
          message: { content: 'profile is down', sender: { displayName: null, avatarUrl: null } },
        },
      });
      expect(degraded.errors?.length).toBeGreaterThan(0);
    } finally {
      await stack().startSubgraph('profile');
    }
    await client.send(alice, chat.id, 'profile is back');
    const whole = await bobs.next(10_000);
    expect(whole.errors).toBeUndefined();
    expect(whole.data?.conversationEvents.message?.sender.displayName).toBe('Alice');
  } finally {
    await bobs.close();
  }
});

test('an owning subgraph that does not come back: the client gets an error, then the end of the stream', async () => {
  const { bobs } = await conversationWatchedByBob();
  try {
    await stack().stopSubgraph('chat');
    const last = await bobs.next(30_000);
    expect(last.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('chat service is unavailable'),
        extensions: expect.objectContaining({
          code: 'INTERNAL_SERVER_ERROR',
          reason: 'SUBGRAPH_UNAVAILABLE',
        }),
      }),
    ]);
    await bobs.completed;
  } finally {
    await bobs.close();
    await stack().startSubgraph('chat');
  }
}, 60_000);

describe('supergraph hot reload', () => {
  let dir: string;
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supergraph-'));
    const path = join(dir, 'supergraph.graphql');
    await writeFile(path, await readFile(new URL('../../supergraph.graphql', import.meta.url), 'utf8'));
    gateway = createGateway({
      supergraphPath: path,
      watchSupergraph: false,
      subgraphUrls: stack().subgraphUrls,
      logger: silentLogger(),
      verifier: stack().resources.verifier,
    });
    url = await gateway.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await gateway?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('new subscriptions are planned on the new supergraph; live ones keep going', async () => {
    const [alice, bob] = [await bed.member(), await bed.member()];
    await rename(bed, alice, 'Alice');
    const chat = await client.direct(alice, bob);
    const socket = connectGraphQL(url, { token: bob.token });
    try {
      const live = socket.subscribe<MessageEvent>(MESSAGES_WITH_SENDERS, { id: chat.id });
      await bed.listening(conversationChannel(chat.id), 1);

      // The new supergraph no longer has User.avatarUrl (nor its description).
      const path = join(dir, 'supergraph.graphql');
      const sdl = await readFile(path, 'utf8');
      const withoutAvatarUrl = sdl.replace(
        /\n {2}"""(?:(?!""")[\s\S])*"""\n {2}avatarUrl: String @join__field\(graph: PROFILE\)/,
        '',
      );
      expect(withoutAvatarUrl).not.toBe(sdl);
      await writeFile(path, withoutAvatarUrl);
      expect(await gateway.reloadSupergraph()).toBe(true);

      const refused = socket.subscribe(MESSAGES_WITH_SENDERS, { id: chat.id });
      await expect(refused.next(10_000)).rejects.toEqual([
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
      const replanned = socket.subscribe<{
        conversationEvents: { message?: { sender: { displayName: string } } };
      }>(
        `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
          ... on MessageAddedEvent { message { sender { displayName } } } } }`,
        { id: chat.id },
      );
      await bed.listening(conversationChannel(chat.id), 2);

      await client.send(alice, chat.id, 'after the reload');
      expect(await nextData(live)).toEqual({
        conversationEvents: {
          message: { content: 'after the reload', sender: { displayName: 'Alice', avatarUrl: null } },
        },
      });
      expect(await nextData(replanned)).toEqual({
        conversationEvents: { message: { sender: { displayName: 'Alice' } } },
      });
    } finally {
      await socket.close();
    }
  });
});
