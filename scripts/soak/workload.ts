/**
 * The soak's users and what they do. Setup: accounts created as people create them (register,
 * verify from the mail outbox, log in), friendships (a request, accepted), small group chats among
 * friends; every user keeps one graphql-ws connection to the gateway with a notificationAdded
 * subscription, and some members of each group also watch it (conversationEvents). Then a fixed
 * number of clients loop over a mix of operations until the deadline, recording every
 * acknowledged write in the ledger.
 *
 * The mix keeps the expected end state exact: each (user, post) pair reacts at most once, and
 * only ungrouped notifications (friends' posts) are marked read, so every group (likes and
 * comments per post, messages per conversation) stays open and its count is known.
 */
import { createAccount, connectGraphQL, eventually, postGraphQL, type GraphQLSocket } from '@social/testing';
import type { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { Ledger, reactionKey, type SoakUser } from './ledger.js';
import type { OperationLog } from './metrics.js';
import type { SoakStack } from './stack.js';

export interface WorkloadOptions {
  readonly users: number;
  /** Clients sending operations at once (each waits for its answer before the next). */
  readonly concurrency: number;
}

type Vars = Record<string, unknown>;

export interface Client {
  /** The operation's data as `token`'s user; any error (GraphQL or HTTP) throws. */
  run<T>(query: string, variables: Vars, token?: string): Promise<T>;
}

export function gatewayClient(stack: Pick<SoakStack, 'gatewayUrl'>): Client {
  return {
    async run<T>(query: string, variables: Vars, token?: string) {
      const response = await postGraphQL<T>(stack.gatewayUrl, query, variables, token ? { token } : {});
      if (response.errors?.length || !response.data) {
        throw new Error(`HTTP ${response.status}: ${JSON.stringify(response.errors ?? response.data)}`);
      }
      return response.data;
    },
  };
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;

async function pool<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

export interface World {
  readonly ledger: Ledger;
  readonly client: Client;
  readonly sockets: GraphQLSocket[];
  /** The MongoDB databases of the services (`feed`, `chat`, `notification`...). */
  readonly db: (service: string) => Db;
  readonly mongo: MongoClient;
  /** Subscription pumps; resolve once their subscription ended. */
  readonly pumps: Promise<void>[];
  close(): Promise<void>;
}

const NOTIFICATION_ADDED = `subscription SoakNotifications {
  notificationAdded { id type groupCount relatedEntityId metadata actors(first: 10) { id } }
}`;
const CONVERSATION_EVENTS = `subscription SoakConversation($id: ID!) {
  conversationEvents(conversationId: $id) { __typename ... on MessageAddedEvent { message { id } } }
}`;

interface NotificationEvent {
  notificationAdded: {
    id: string;
    type: string;
    groupCount: number;
    relatedEntityId: string | null;
    metadata: { postId?: string } | null;
    actors: Array<{ id: string }>;
  };
}

/** Accounts, friendships, groups and live subscriptions: the world the workload acts in. */
export async function setUpWorld(
  stack: SoakStack,
  options: WorkloadOptions,
  log: OperationLog,
  redis: Redis,
): Promise<World> {
  const ledger = new Ledger();
  const client = gatewayClient(stack);
  const query = <T>(q: string, v?: Vars, o?: { token?: string }) => postGraphQL<T>(stack.gatewayUrl, q, v, o);
  const mongo = await MongoClient.connect(stack.mongoUrl);
  const db = (service: string) => mongo.db(`${stack.mongoDbPrefix}social_${service}`);

  const accounts = Array.from({ length: options.users }, (_, i) => i);
  const created: SoakUser[] = new Array(options.users);
  await pool(accounts, 4, async (i) => {
    const account = await createAccount(
      { query, outboxPath: stack.mailOutbox, databaseUrl: stack.databaseUrl },
      { username: `soak_${i}_${randomUUID().slice(0, 6)}`, firstName: `Soak${i}` },
    );
    created[i] = { id: account.id, username: account.username, token: account.token, friends: new Set() };
  });
  for (const user of created) ledger.users.set(user.id, user);

  // Friends: each user with the next two (a ring), so any three consecutive users are all friends.
  const replicas = ['feed', 'chat', 'notification'].map(db);
  const pairs = created.flatMap((user, i) =>
    [1, 2].map((step) => [user, created[(i + step) % created.length] as SoakUser] as const),
  );
  await pool(pairs, 4, async ([a, b]) => {
    const sent = await client.run<{ sendFriendRequest: { id: string } }>(
      'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }',
      { id: b.id },
      a.token,
    );
    await client.run(
      'mutation ($id: ID!) { respondToFriendRequest(requestId: $id, accept: true) { id } }',
      { id: sent.sendFriendRequest.id },
      b.token,
    );
    ledger.friendships.push({ senderId: a.id, receiverId: b.id, requestId: sent.sendFriendRequest.id });
    a.friends.add(b.id);
    b.friends.add(a.id);
  });
  // Every service that decides by the social graph holds every friendship before the run.
  for (const replica of replicas) {
    await eventually(
      () => replica.collection('social_edges').countDocuments({ _id: /^friend:/ as never, active: true }),
      (count) => count === pairs.length * 2,
      { what: `${pairs.length * 2} friend edges in ${replica.databaseName}`, timeoutMs: 120_000 },
    );
  }

  // Groups of three friends (users 4k, 4k+1, 4k+2); the first two watch it, the third does not.
  for (let first = 0; first + 2 < created.length; first += 4) {
    const [admin, a, b] = [created[first], created[first + 1], created[first + 2]] as [
      SoakUser,
      SoakUser,
      SoakUser,
    ];
    const group = await client.run<{ createGroup: { id: string } }>(
      'mutation ($input: CreateGroupInput!) { createGroup(input: $input) { id } }',
      { input: { name: `Soak group ${first / 4}`, participantIds: [a.id, b.id] } },
      admin.token,
    );
    ledger.conversations.push({
      id: group.createGroup.id,
      members: [admin.id, a.id, b.id],
      viewers: [admin.id, a.id],
    });
  }

  const sockets: GraphQLSocket[] = [];
  const pumps: Promise<void>[] = [];
  let closing = false;
  const pump = <T>(
    what: string,
    handle: { next(timeoutMs?: number): Promise<{ data?: T | null; errors?: unknown }> },
    onEvent: (data: T, at: number) => void,
  ) =>
    (async () => {
      for (;;) {
        let event: { data?: T | null; errors?: unknown };
        try {
          event = await handle.next(2_000);
        } catch (error) {
          if (closing) return;
          // Quiet for a while: wait again (a closed socket fails `next` with another error).
          if (String((error as Error).message).startsWith('no subscription event')) continue;
          log.fail(`subscription ${what}`, error);
          return;
        }
        if (event.errors || !event.data) log.fail(`subscription ${what}`, event.errors ?? 'no data');
        else onEvent(event.data, Date.now());
      }
    })();

  for (const user of created) {
    const socket = connectGraphQL(stack.gatewayUrl, { token: user.token });
    sockets.push(socket);
    await socket.connected;
    const notifications = socket.subscribe<NotificationEvent>(NOTIFICATION_ADDED);
    pumps.push(
      pump('notificationAdded', notifications, ({ notificationAdded: n }, at) => {
        ledger.notificationEvents += 1;
        const keys: string[] = [];
        if (n.type === 'POST') keys.push(`post|${user.id}|${n.relatedEntityId}`);
        if (n.type === 'LIKE')
          for (const a of n.actors) keys.push(`like|${user.id}|${n.relatedEntityId}|${a.id}`);
        if (n.type === 'COMMENT') {
          for (const a of n.actors) keys.push(`comment|${user.id}|${n.metadata?.postId}|${a.id}`);
        }
        if (n.type === 'MESSAGE') keys.push(`message|${user.id}|${n.relatedEntityId}`);
        for (const key of keys)
          if (!ledger.notificationArrivals.has(key)) ledger.notificationArrivals.set(key, at);
      }),
    );
    for (const conversation of ledger.conversations.filter((c) => c.viewers.includes(user.id))) {
      const events = socket.subscribe<{
        conversationEvents: { __typename: string; message?: { id: string } };
      }>(CONVERSATION_EVENTS, { id: conversation.id });
      pumps.push(
        pump('conversationEvents', events, ({ conversationEvents: event }, at) => {
          if (event.__typename !== 'MessageAddedEvent' || !event.message) return;
          const key = `${user.id}|${event.message.id}`;
          const arrivals = ledger.messageArrivals.get(key);
          if (arrivals) arrivals.push(at);
          else ledger.messageArrivals.set(key, [at]);
        }),
      );
    }
  }
  // Chat counts a member as viewing once their subscription registered (a Redis sorted set).
  for (const conversation of ledger.conversations) {
    await eventually(
      () => redis.zrangebyscore(`${stack.redisKeyPrefix}chat:viewing:${conversation.id}`, Date.now(), '+inf'),
      (members) => conversation.viewers.every((id) => members.some((member) => member.startsWith(`${id}|`))),
      { what: `the viewers of ${conversation.id} registered`, timeoutMs: 60_000 },
    );
  }

  return {
    ledger,
    client,
    sockets,
    db,
    mongo,
    pumps,
    async close() {
      closing = true;
      await Promise.all(sockets.map((socket) => socket.close().catch(() => undefined)));
      await Promise.all(pumps);
      await mongo.close();
    },
  };
}

const FEED = `query SoakFeed {
  feed(first: 20) {
    edges { node {
      id content visibility likesCount commentsCount viewerReaction
      author { id username displayName }
      media { id }
      reactionsSummary { reaction count }
    } }
    pageInfo { endCursor hasNextPage }
  }
}`;
const NOTIFICATIONS = `query SoakNotifications {
  notifications(first: 20) { edges { node { id type title message groupCount isRead actor { id username } } } }
  unreadNotificationCount
}`;
const CONVERSATIONS = `query SoakConversations {
  conversations(first: 10) { edges { node { id unreadCount lastMessage { id content sender { id } } } } }
}`;
const REACTIONS = ['LIKE', 'LOVE', 'HAHA', 'WOW'] as const;

type Operation = (user: SoakUser) => Promise<void>;

/** The operations of the mix, each as one user; the weights are how often each is picked. */
export function operations(
  world: World,
  log: OperationLog,
): Array<{ weight: number; kind: string; run: Operation }> {
  const { ledger, client } = world;
  const recentPosts = () => [...ledger.posts.values()].slice(-60);
  /** A post `user` may see and act on: their own or a friend's (both visibilities allow it). */
  const visiblePost = (user: SoakUser, filter: (postId: string) => boolean = () => true) => {
    const candidates = recentPosts().filter(
      (post) => (post.authorId === user.id || user.friends.has(post.authorId)) && filter(post.id),
    );
    return candidates.length > 0 ? pick(candidates) : undefined;
  };
  const readFeed: Operation = async (user) => {
    await log.time('feed', () => client.run(FEED, {}, user.token));
  };
  const createPost: Operation = async (user) => {
    const visibility = Math.random() < 0.5 ? 'PUBLIC' : 'FRIENDS';
    const content = `Soak post by ${user.username} at ${new Date().toISOString()} #soak`;
    const data = await log
      .time('createPost', () =>
        client.run<{ createPost: { id: string } }>(
          'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }',
          { input: { content, visibility } },
          user.token,
        ),
      )
      .catch((error: unknown) => {
        ledger.unacknowledged.push(`createPost by ${user.id}`);
        throw error;
      });
    ledger.posts.set(data.createPost.id, {
      id: data.createPost.id,
      authorId: user.id,
      visibility,
      ackAt: Date.now(),
    });
  };
  const react: Operation = async (user) => {
    const post = visiblePost(user, (postId) => !ledger.reacting.has(reactionKey(postId, user.id)));
    if (!post) return readFeed(user);
    const key = reactionKey(post.id, user.id);
    ledger.reacting.add(key);
    try {
      await log.time('react', () =>
        client.run(
          'mutation ($input: ReactInput!) { react(input: $input) { id likesCount viewerReaction } }',
          { input: { entityId: post.id, entityType: 'POST', reaction: pick(REACTIONS) } },
          user.token,
        ),
      );
    } catch (error) {
      ledger.unacknowledged.push(`react ${key}`);
      throw error;
    }
    ledger.reactions.set(key, Date.now());
  };
  const comment: Operation = async (user) => {
    const post = visiblePost(user);
    if (!post) return readFeed(user);
    const data = await log
      .time('addComment', () =>
        client.run<{ addComment: { id: string } }>(
          'mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }',
          { input: { postId: post.id, content: `Soak comment by ${user.username}` } },
          user.token,
        ),
      )
      .catch((error: unknown) => {
        ledger.unacknowledged.push(`addComment on ${post.id} by ${user.id}`);
        throw error;
      });
    ledger.comments.set(data.addComment.id, { postId: post.id, authorId: user.id, ackAt: Date.now() });
  };
  const sendMessage: Operation = async (user) => {
    const conversations = ledger.conversations.filter((c) => c.members.includes(user.id));
    if (conversations.length === 0) return readFeed(user);
    const conversation = pick(conversations);
    const clientMessageId = randomUUID();
    const sentAt = Date.now();
    const data = await log
      .time('sendMessage', () =>
        client.run<{ sendMessage: { id: string } }>(
          'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
          {
            input: {
              conversationId: conversation.id,
              clientMessageId,
              content: `Soak message ${clientMessageId}`,
            },
          },
          user.token,
        ),
      )
      .catch((error: unknown) => {
        ledger.unacknowledged.push(`sendMessage ${clientMessageId}`);
        throw error;
      });
    ledger.messages.set(data.sendMessage.id, {
      id: data.sendMessage.id,
      conversationId: conversation.id,
      senderId: user.id,
      clientMessageId,
      sentAt,
      ackAt: Date.now(),
    });
  };
  const readNotifications: Operation = async (user) => {
    await log.time('notifications', () => client.run(NOTIFICATIONS, {}, user.token));
  };
  const markPostNotificationRead: Operation = async (user) => {
    const unread = await log.time('notifications', () =>
      client.run<{ notifications: { edges: Array<{ node: { id: string } }> } }>(
        'query { notifications(first: 1, unreadOnly: true, types: [POST]) { edges { node { id } } } }',
        {},
        user.token,
      ),
    );
    const id = unread.notifications.edges[0]?.node.id;
    if (!id) return;
    await log.time('markNotificationRead', () =>
      client.run('mutation ($id: ID!) { markNotificationRead(id: $id) { id isRead } }', { id }, user.token),
    );
  };
  const readConversations: Operation = async (user) => {
    await log.time('conversations', () => client.run(CONVERSATIONS, {}, user.token));
  };
  return [
    { weight: 30, kind: 'feed', run: readFeed },
    { weight: 8, kind: 'createPost', run: createPost },
    { weight: 22, kind: 'react', run: react },
    { weight: 10, kind: 'addComment', run: comment },
    { weight: 15, kind: 'sendMessage', run: sendMessage },
    { weight: 8, kind: 'notifications', run: readNotifications },
    { weight: 3, kind: 'markNotificationRead', run: markPostNotificationRead },
    { weight: 4, kind: 'conversations', run: readConversations },
  ];
}

/**
 * Runs the mix with `concurrency` clients until `deadline` (epoch ms). With a `rate` (operations
 * per second, all clients together) operations start on a fixed schedule, as independent users'
 * requests arrive, whatever the answers' latency (a client that falls behind starts its next one at
 * once); without one, each client sends its next operation as soon as the last one answered.
 */
export async function runMix(
  world: World,
  log: OperationLog,
  options: { concurrency: number; deadline: number; rate?: number },
): Promise<void> {
  const { concurrency, deadline, rate } = options;
  const startedAt = Date.now();
  let scheduled = 0;
  const waitForSlot = async () => {
    if (!rate) return;
    const slot = startedAt + (scheduled++ / rate) * 1000;
    const wait = slot - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  };
  const mix = operations(world, log);
  const total = mix.reduce((sum, op) => sum + op.weight, 0);
  const users = [...world.ledger.users.values()];
  const choose = () => {
    let roll = Math.random() * total;
    for (const op of mix) {
      roll -= op.weight;
      if (roll < 0) return op;
    }
    return mix[0]!;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await waitForSlot();
        if (Date.now() >= deadline) break;
        // A failure is recorded by the operation log; the client carries on.
        await choose()
          .run(pick(users))
          .catch(() => undefined);
      }
    }),
  );
}
