import {
  eventually as waitUntil,
  gatewayOperations,
  startSupergraph,
  type AccountOptions,
  type HarnessOptions,
  type Supergraph,
  type TestAccount,
} from '@social/testing';
import type { PubSub } from '@social/kit';
import { createClient } from 'graphql-ws';
import { MongoClient, type Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/**
 * Shared set-up of the chat tests: a supergraph with cheap password hashing and real accounts,
 * direct access to the chat database (for waiting on event-driven work and for simulating time
 * passing, not for assertions a user sees), and a graphql-ws client that also reports when the
 * server ends a subscription.
 */

export interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
}

export interface ChatSubscription<T> {
  /** The next event; rejects after `timeoutMs` without one, or when the stream failed. */
  next(timeoutMs?: number): Promise<{ data?: T | null; errors?: readonly GraphQLErrorShape[] }>;
  /** Resolves when the server completes the subscription. */
  readonly completed: Promise<void>;
  close(): Promise<void>;
}

export interface ChatTestbed {
  readonly supergraph: Supergraph;
  /** The chat service's database. */
  readonly db: Db;
  /** A real account that chat's copy of the social graph knows (its ProfileCreated applied). */
  member(options?: AccountOptions): Promise<TestAccount>;
  /** Runs an operation through the gateway and returns its data; errors fail the test. */
  run<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    as?: TestAccount,
  ): Promise<T>;
  /** Runs an operation that must fail and returns its first error. */
  failure(query: string, variables?: Record<string, unknown>, as?: TestAccount): Promise<GraphQLErrorShape>;
  /** A subscription on the chat subgraph's graphql-ws endpoint (the gateway does not federate them yet). */
  subscribe<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    as?: TestAccount,
    url?: string,
  ): Promise<ChatSubscription<T>>;
  /** Resolves once `count` subscriptions of the testbed's chat service listen on `channel`. */
  listening(channel: string, count?: number, pubsub?: PubSub): Promise<void>;
  eventually<T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Resolves once chat's replica knows `userId` with its profile's settings (ProfileCreated handled). */
export function replicaKnows(db: Db, userId: string, timeoutMs = 10_000) {
  return waitUntil(
    () => db.collection('social_users').findOne({ _id: userId as never }),
    (user) => user !== null && user.privacy !== undefined,
    { timeoutMs, what: `chat replica of ${userId}` },
  );
}

/** A graphql-ws subscription that buffers events and reports when the server completes it. */
export async function subscribeWs<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<ChatSubscription<T>> {
  type Event = { data?: T | null; errors?: readonly GraphQLErrorShape[] };
  const queue: Event[] = [];
  const waiters: Array<{ resolve(e: Event): void; reject(e: unknown): void }> = [];
  let failure: unknown;
  let resolveCompleted!: () => void;
  const completed = new Promise<void>((resolve) => (resolveCompleted = resolve));
  const fail = (error: unknown) => {
    failure = error;
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: (error) => {
      fail(error);
      resolveCompleted();
    },
  });
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        const event = value as Event;
        const waiter = waiters.shift();
        if (waiter) waiter.resolve(event);
        else queue.push(event);
      },
      error: (error) => {
        fail(error);
        resolveCompleted();
      },
      complete: () => resolveCompleted(),
    },
  );
  const handle: ChatSubscription<T> = {
    completed,
    next(timeoutMs = 10_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      if (failure !== undefined) return Promise.reject(failure as Error);
      return new Promise<Event>((resolve, reject) => {
        const waiter = {
          resolve: (event: Event) => {
            clearTimeout(timer);
            resolve(event);
          },
          reject: (error: unknown) => {
            clearTimeout(timer);
            reject(error as Error);
          },
        };
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`no subscription event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async close() {
      dispose();
      await client.dispose();
    },
  };
  return handle;
}

export async function startChatTestbed(options: HarnessOptions = {}): Promise<ChatTestbed> {
  const supergraph = await startSupergraph({
    ...options,
    env: { BCRYPT_COST: '4', ...options.env },
  });
  const client = await MongoClient.connect(supergraph.mongoUrl);
  const db = client.db(`${supergraph.mongoDbPrefix}social_chat`);
  const eventually = <T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number) =>
    waitUntil(probe, condition, timeoutMs === undefined ? {} : { timeoutMs });

  const { run, firstError: failure } = gatewayOperations(supergraph);

  return {
    supergraph,
    db,
    eventually,
    async member(accountOptions) {
      const account = await supergraph.user({ username: `u${randomUUID().slice(0, 8)}`, ...accountOptions });
      await replicaKnows(db, account.id);
      return account;
    },
    run,
    failure,
    async listening(channel, count = 1, pubsub = supergraph.stack.resources.pubsub) {
      await waitUntil(
        async () => pubsub.listenerCount(channel),
        (n) => n >= count,
        { what: `${count} listener(s) on ${channel}` },
      );
    },
    subscribe: (query, variables, as, url) =>
      subscribeWs(url ?? supergraph.subgraphUrls.chat, query, variables, as?.token),
    async stop() {
      await client.close();
      await supergraph.stop();
    },
  };
}
