import { isRedisReachable, type EventEnvelope, type PubSub } from '@social/kit';
import {
  eventually as waitUntil,
  gatewayOperations,
  socialActions,
  startSupergraph,
  type AccountOptions,
  type HarnessOptions,
  type SocialActions,
  type SubscriptionHandle,
  type Supergraph,
  type TestAccount,
} from '@social/testing';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { SubgraphName } from '../../../scripts/subgraphs.js';

/**
 * Shared set-up of the notification tests: a supergraph with cheap password hashing and real
 * accounts; people act through the gateway as a client would (posts, reactions, friend requests,
 * messages) and read their notifications there. The notification database is used only to wait
 * for event-driven work and to simulate time passing.
 */

/**
 * Where the tests subscribe: `undefined` is the gateway's graphql-ws endpoint (as a client would;
 * fields owned by other subgraphs, e.g. `actor { displayName }`, are resolved there), a subgraph's
 * name its own endpoint.
 */
export const SUBSCRIPTION_TARGET: SubgraphName | undefined = undefined;

export const NOTIFICATION_FIELDS = `id type title message actor { id } actors { id } groupCount
  relatedEntityId relatedEntityType actionUrl metadata isRead readAt priority channels sentVia
  deliveryStatus createdAt lastEventAt updatedAt expiresAt`;

export const NOTIFICATIONS = `query ($first: Int, $after: String, $unreadOnly: Boolean, $types: [NotificationType!]) {
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly, types: $types) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { ${NOTIFICATION_FIELDS} } } } }`;
export const NOTIFICATION = `query ($id: ID!) { notification(id: $id) { ${NOTIFICATION_FIELDS} } }`;
export const UNREAD_COUNT = `query { unreadNotificationCount }`;
export const MARK_READ = `mutation ($id: ID!) { markNotificationRead(id: $id) { id isRead readAt } }`;
export const MARK_ALL_READ = `mutation { markAllNotificationsRead }`;
export const DELETE = `mutation ($id: ID!) { deleteNotification(id: $id) }`;
export const NOTIFICATION_ADDED = `subscription { notificationAdded { ${NOTIFICATION_FIELDS} } }`;
export const COUNT_CHANGED = `subscription { unreadNotificationCountChanged }`;
export const SETTINGS = `mutation ($input: UpdateNotificationSettingsInput!) {
  updateNotificationSettings(input: $input) { likeNotifications } }`;

export interface Notification {
  id: string;
  type: string;
  title: string;
  message: string;
  actor: { id: string } | null;
  actors: Array<{ id: string }>;
  groupCount: number;
  relatedEntityId: string | null;
  relatedEntityType: string | null;
  actionUrl: string | null;
  metadata: Record<string, unknown>;
  isRead: boolean;
  readAt: string | null;
  priority: string;
  channels: string[];
  sentVia: string[];
  deliveryStatus: string;
  createdAt: string;
  lastEventAt: string;
  updatedAt: string;
  expiresAt: string;
}

export interface Page {
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  edges: Array<{ cursor: string; node: Notification }>;
}

export type Vars = Record<string, unknown>;
/** `[T, T, ...]` of length N (for destructuring a known number of accounts). */
export type Tuple<N extends number, T, R extends T[] = []> = number extends N
  ? T[]
  : R['length'] extends N
    ? R
    : Tuple<N, T, [T, ...R]>;

export interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
}

export interface NotificationTestbed extends SocialActions {
  readonly supergraph: Supergraph;
  /** The notification service's database (for waits and time travel, not for assertions a user sees). */
  readonly db: Db;
  /** A real account every service that reacts to it knows (profile, settings, verified email). */
  member(options?: AccountOptions): Promise<TestAccount>;
  members<N extends number>(count: N): Promise<Tuple<N, TestAccount>>;
  run<T = Record<string, unknown>>(query: string, variables?: Vars, as?: TestAccount): Promise<T>;
  /** Runs an operation that must fail and resolves with its first error. */
  failure(query: string, variables?: Vars, as?: TestAccount): Promise<GraphQLErrorShape>;
  /** The viewer's notifications (first page unless told otherwise). */
  notifications(as: TestAccount, variables?: Vars): Promise<Page>;
  /** Waits until the viewer's notifications satisfy `condition`, and resolves with them. */
  waitForNotifications(
    as: TestAccount,
    condition: (nodes: Notification[]) => boolean,
    variables?: Vars,
  ): Promise<Notification[]>;
  unreadCount(as: TestAccount): Promise<number>;
  /** Creates a post and resolves with its id. */
  post(author: TestAccount, input: Vars): Promise<string>;
  react(as: TestAccount, entityId: string, entityType?: 'POST' | 'COMMENT', reaction?: string): Promise<void>;
  comment(as: TestAccount, postId: string, content: string, parentCommentId?: string): Promise<string>;
  settings(as: TestAccount, input: Vars): Promise<void>;
  /**
   * A mention of `to` in a (made-up) post of `by`, announced on feed's stream as feed does it: many
   * notifications, quickly, without writing posts.
   */
  mention(by: TestAccount, to: TestAccount, text: string): Promise<void>;
  /** Subscribes as `as` where SUBSCRIPTION_TARGET says and waits until it listens on `channel`. */
  subscribe<T>(query: string, as: TestAccount, channel: string): Promise<SubscriptionHandle<T>>;
  /** Resolves once `count` subscriptions of the stack listen on `channel`. */
  listening(channel: string, count?: number, pubsub?: PubSub): Promise<void>;
  /** Records a stream's events from the start of the bus (a consumer group of the test's own). */
  record(stream: string): Promise<{ events: EventEnvelope[]; stop(): Promise<void> }>;
  eventually<T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startNotificationTestbed(options: HarnessOptions = {}): Promise<NotificationTestbed> {
  const supergraph = await startSupergraph({ ...options, env: { BCRYPT_COST: '4', ...options.env } });
  const client = await MongoClient.connect(supergraph.mongoUrl);
  const dbOf = (service: string) => client.db(`${supergraph.mongoDbPrefix}social_${service}`);
  const db = dbOf('notification');
  // Generous: other suites share the machine's two cores, and event chains cross three services.
  const eventually = <T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs = 30_000) =>
    waitUntil(probe, condition, { timeoutMs });

  const { run, firstError: failure } = gatewayOperations(supergraph);
  const replicaKnows = (service: string, userId: string) =>
    eventually(
      () =>
        dbOf(service)
          .collection('social_users')
          .findOne({ _id: userId as never }),
      (user) => Boolean(user?.privacy && user.username),
    );
  async function member(accountOptions?: AccountOptions) {
    const account = await supergraph.user({ username: `u${randomUUID().slice(0, 8)}`, ...accountOptions });
    await Promise.all([
      replicaKnows('notification', account.id),
      replicaKnows('feed', account.id),
      replicaKnows('chat', account.id),
      eventually(
        () => db.collection('email_addresses').findOne({ _id: account.id as never }),
        (address) => address?.verified === true,
      ),
    ]);
    return account;
  }
  // Graph changes resolve once every replica the notification flows depend on holds them.
  const social = socialActions(supergraph, [dbOf('notification'), dbOf('feed'), dbOf('chat')], {
    timeoutMs: 30_000,
  });
  async function notifications(as: TestAccount, variables: Vars = {}) {
    return (await run<{ notifications: Page }>(NOTIFICATIONS, { first: 50, ...variables }, as)).notifications;
  }

  return {
    supergraph,
    db,
    member,
    async members<N extends number>(count: N) {
      const accounts: TestAccount[] = [];
      while (accounts.length < count) {
        const batch = Math.min(6, count - accounts.length);
        accounts.push(...(await Promise.all(Array.from({ length: batch }, () => member()))));
      }
      return accounts as Tuple<N, TestAccount>;
    },
    run,
    failure,
    notifications,
    async waitForNotifications(as, condition, variables = {}) {
      const page = await eventually(
        () => notifications(as, variables),
        (current) => condition(current.edges.map((edge) => edge.node)),
      );
      return page.edges.map((edge) => edge.node);
    },
    async unreadCount(as) {
      return (await run<{ unreadNotificationCount: number }>(UNREAD_COUNT, {}, as)).unreadNotificationCount;
    },
    ...social,
    async post(author, input) {
      const data = await run<{ createPost: { id: string } }>(
        'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }',
        { input },
        author,
      );
      return data.createPost.id;
    },
    async react(as, entityId, entityType = 'POST', reaction = 'LIKE') {
      await run(
        `mutation ($input: ReactInput!) { react(input: $input) { id } }`,
        { input: { entityId, entityType, reaction } },
        as,
      );
    },
    async comment(as, postId, content, parentCommentId) {
      const data = await run<{ addComment: { id: string } }>(
        'mutation ($input: AddCommentInput!) { addComment(input: $input) { id } }',
        { input: { postId, content, ...(parentCommentId ? { parentCommentId } : {}) } },
        as,
      );
      return data.addComment.id;
    },
    async settings(as, input) {
      await run(SETTINGS, { input }, as);
      const expected = Object.entries(input);
      await eventually(
        () => db.collection('social_users').findOne({ _id: as.id as never }),
        (user) =>
          expected.every(
            ([key, value]) =>
              (user?.notificationSettings as Record<string, unknown> | undefined)?.[key] === value,
          ),
      );
    },
    async mention(by, to, text) {
      await supergraph.stack.resources.events.publish('feed', 'UserMentioned', {
        postId: new ObjectId().toHexString(),
        postAuthorId: by.id,
        postVisibility: 'PUBLIC',
        audienceUserIds: [],
        postPreview: text,
        actorId: by.id,
        mentionedUserIds: [to.id],
        source: 'POST',
        commentId: null,
        preview: text,
        mentionedAt: new Date().toISOString(),
      });
    },
    async subscribe<T>(query: string, as: TestAccount, channel: string) {
      const pubsub = supergraph.stack.resources.pubsub;
      const before = pubsub.listenerCount(channel);
      const handle = supergraph.subscribe<T>(query, {}, { token: as.token, target: SUBSCRIPTION_TARGET });
      await handle.connected;
      await waitUntil(
        async () => pubsub.listenerCount(channel),
        (n) => n > before,
        { what: `a subscription on ${channel}`, timeoutMs: 30_000 },
      );
      return handle;
    },
    async listening(channel, count = 1, pubsub = supergraph.stack.resources.pubsub) {
      await waitUntil(
        async () => pubsub.listenerCount(channel),
        (n) => n >= count,
        { what: `${count} listener(s) on ${channel}`, timeoutMs: 30_000 },
      );
    },
    async record(stream) {
      const events: EventEnvelope[] = [];
      const subscription = await supergraph.stack.resources.events.subscribe(
        stream,
        `test-${randomUUID().slice(0, 8)}`,
        async (event) => {
          events.push(event);
        },
        { blockMs: 100 },
      );
      return { events, stop: () => subscription.stop() };
    },
    eventually,
    async stop() {
      await client.close();
      await supergraph.stop();
    },
  };
}

/** The machine's Redis, which the multi-instance and cache tests need (DESIGN 3). */
export async function requireRedis(): Promise<string> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await isRedisReachable(url, 1_000))) throw new Error(`These tests need Redis (REDIS_URL or ${url})`);
  return url;
}
