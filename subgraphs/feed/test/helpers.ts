import type { EventEnvelope } from '@social/kit';
import {
  eventually as waitUntil,
  gatewayOperations,
  socialActions,
  startSupergraph,
  type AccountOptions,
  type SocialActions,
  type Supergraph,
  type TestAccount,
} from '@social/testing';
import { MongoClient, type Db } from 'mongodb';

/**
 * Shared set-up of the feed tests: a supergraph with cheap password hashing (accounts are real:
 * registered, verified and logged in through auth), the social graph changed through profile's
 * API as a person does it, and direct access to the feed database only to wait for event-driven
 * work (the replica) and to simulate time passing.
 */
export interface FeedTestbed extends SocialActions {
  readonly supergraph: Supergraph;
  /** The feed service's database (for waits and time travel, not for assertions a user sees). */
  readonly db: Db;
  /** A real account the feed knows (its UserRegistered and ProfileCreated were handled). */
  member(options?: AccountOptions): Promise<TestAccount>;
  /** `count` members, created a few at a time. */
  members<N extends number>(count: N): Promise<Tuple<N, TestAccount>>;
  /** Runs an operation through the gateway as `as` (anonymous when undefined); errors fail. */
  run<T = Record<string, unknown>>(query: string, variables?: Vars, as?: TestAccount): Promise<T>;
  /** Runs an operation that must fail and resolves with its first error's code. */
  failure(query: string, variables?: Vars, as?: TestAccount): Promise<string | undefined>;
  /** Creates a post as `author` and resolves with its id. */
  post(author: TestAccount, input: Vars): Promise<string>;
  /** Resolves once `condition` holds, polling; fails after `timeoutMs`. */
  eventually<T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  /**
   * Resolves once feed consumed the media events of these files (published by a test), so a post
   * attaching them does not depend on how long EVENT_WAIT_MS lets a mutation wait.
   */
  mediaKnown(mediaIds: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export type Vars = Record<string, unknown>;
/** `[T, T, ...]` of length N (for destructuring a known number of accounts). */
export type Tuple<N extends number, T, R extends T[] = []> = number extends N
  ? T[]
  : R['length'] extends N
    ? R
    : Tuple<N, T, [T, ...R]>;

export const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }`;

export async function startFeedTestbed(env: Record<string, string> = {}): Promise<FeedTestbed> {
  const supergraph = await startSupergraph({ env: { BCRYPT_COST: '4', ...env } });
  const client = await MongoClient.connect(supergraph.mongoUrl);
  const db = client.db(`${supergraph.mongoDbPrefix}social_feed`);

  const eventually = <T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number) =>
    waitUntil(probe, condition, timeoutMs === undefined ? {} : { timeoutMs });

  const { run, failureCode: failure } = gatewayOperations(supergraph);
  // Graph changes resolve once feed's replica holds them.
  const social = socialActions(supergraph, [db]);
  async function member(options?: AccountOptions) {
    const account = await supergraph.user(options);
    // ProfileCreated carries the privacy settings; UserRegistered the username.
    await eventually(
      () => db.collection('social_users').findOne({ _id: account.id as never }),
      (user) => Boolean(user?.privacy && user.username),
    );
    return account;
  }

  return {
    supergraph,
    db,
    async mediaKnown(mediaIds) {
      await eventually(
        () => db.collection('media_refs').countDocuments({ _id: { $in: mediaIds as never[] } }),
        (known) => known === mediaIds.length,
      );
    },
    eventually,
    run,
    failure,
    member,
    async members<N extends number>(count: N) {
      const accounts: TestAccount[] = [];
      while (accounts.length < count) {
        const batch = Math.min(8, count - accounts.length);
        accounts.push(...(await Promise.all(Array.from({ length: batch }, () => member()))));
      }
      return accounts as Tuple<N, TestAccount>;
    },
    ...social,
    async post(author, input) {
      const data = await run<{ createPost: { id: string } }>(CREATE_POST, { input }, author);
      return data.createPost.id;
    },
    async stop() {
      await client.close();
      await supergraph.stop();
    },
  };
}

/** Collects the feed stream's events from the start of the bus (a consumer group of the test's own). */
export async function recordFeedEvents(bed: FeedTestbed, group: string) {
  const events: EventEnvelope[] = [];
  const subscription = await bed.supergraph.stack.resources.events.subscribe('feed', group, async (event) => {
    events.push(event);
  });
  const matches = (type: string, fields: Vars) => (event: EventEnvelope) =>
    event.type === type &&
    Object.entries(fields).every(([key, value]) => (event.data as Vars)[key] === value);
  return {
    events,
    /** The first event of `type` whose data has these field values, waiting for it. */
    async waitFor(type: string, fields: Vars): Promise<EventEnvelope> {
      const found = await bed.eventually(
        async () => events.find(matches(type, fields)),
        (event) => event !== undefined,
      );
      return found!;
    },
    count: (type: string, fields: Vars) => events.filter(matches(type, fields)).length,
    stop: () => subscription.stop(),
  };
}

/** Ids of a connection's nodes, in order. */
export const idsOf = (connection: { edges: Array<{ node: { id: string } }> }) =>
  connection.edges.map((edge) => edge.node.id);
