import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryEventBus, RedisEventBus, type EventBus, type EventEnvelope } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import { isRedisReachable } from '../src/redis.js';

/**
 * The EventBus contract, run against the in-process implementation and real Redis Streams. Without
 * a reachable Redis the Redis half is skipped with a warning, except in CI where it must run.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await isRedisReachable(REDIS_URL, 1_000);
if (!redisAvailable && process.env.CI === 'true') {
  throw new Error(`Redis is required in CI but is not reachable at ${REDIS_URL}`);
}
if (!redisAvailable)
  console.warn(`events.test: Redis not reachable at ${REDIS_URL}; skipping the Redis contract`);

/** Small timings so retries and takeovers happen within a test's budget. */
const FAST = { retryIdleMs: 100, blockMs: 200 } as const;

interface Harness {
  readonly name: 'memory' | 'redis';
  readonly skipReason?: string;
  /** A bus as one service instance has it; for Redis every call is a separate instance (own connections). */
  create(prefix: string): EventBus;
  /** Entries delivered to `group` but not acknowledged (XPENDING); undefined where there is no server to ask. */
  pendingCount(prefix: string, producer: string, group: string): Promise<number | undefined>;
}

let admin: Redis | undefined;
function adminClient(): Redis {
  admin ??= new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  return admin;
}

const harnesses: Harness[] = [
  {
    name: 'memory',
    create: () => new MemoryEventBus({ logger: silentLogger() }),
    pendingCount: async () => undefined,
  },
  {
    name: 'redis',
    ...(redisAvailable ? {} : { skipReason: `Redis not reachable at ${REDIS_URL}` }),
    create: (prefix) => new RedisEventBus({ redis: REDIS_URL, logger: silentLogger(), prefix }),
    pendingCount: async (prefix, producer, group) => {
      const summary = (await adminClient().xpending(`${prefix}events:${producer}`, group)) as [number];
      return Number(summary[0]);
    },
  },
];

afterAll(async () => {
  await admin?.quit();
});

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise to be settled from outside: a handler that is "still running" until the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A handler that records what it was given. */
function recorder(): { events: EventEnvelope[]; handler: (event: EventEnvelope) => Promise<void> } {
  const events: EventEnvelope[] = [];
  return { events, handler: async (event) => void events.push(event) };
}

const idsOf = (events: EventEnvelope[]): string[] => events.map((e) => e.id);

describe.each(harnesses)('EventBus contract: $name', (harness) => {
  if (harness.skipReason) {
    // Only off CI (where an unreachable Redis fails the file above): says in the report why the
    // Redis half did not run instead of passing silently.
    test.skip(`skipped: ${harness.skipReason}`, () => undefined);
    return;
  }

  let prefix: string;
  let buses: EventBus[];
  let holds: ReturnType<typeof deferred>[];
  /** A handler-blocking promise that afterEach releases, so a failed assertion cannot hang stop(). */
  const hold = (): ReturnType<typeof deferred> => {
    const d = deferred();
    holds.push(d);
    return d;
  };
  const open = (): EventBus => {
    const bus = harness.create(prefix);
    buses.push(bus);
    return bus;
  };
  // Behaviour between processes (several instances, killed connections) has no in-process
  // counterpart: these tests exist only in the Redis half rather than showing as skipped.
  const redisOnly: (title: string, fn: () => Promise<void>) => void =
    harness.name === 'redis' ? (title, fn) => test(title, fn) : () => undefined;

  beforeEach(() => {
    prefix = `test:${randomUUID()}:`;
    buses = [];
    holds = [];
  });

  afterEach(async () => {
    for (const d of holds) d.resolve();
    await Promise.all(buses.map((bus) => bus.close()));
    if (harness.name === 'redis') {
      const keys = await adminClient().keys(`${prefix}*`);
      if (keys.length > 0) await adminClient().del(...keys);
    }
  });

  test('publish returns the envelope and subscribers receive it JSON-decoded', async () => {
    const bus = open();
    expect(bus.kind).toBe(harness.name);
    const { events, handler } = recorder();
    await bus.subscribe('auth', 'profile', handler, FAST);

    const published = await bus.publish('auth', 'UserRegistered', { userId: 'u1', at: new Date(0) });
    const custom = await bus.publish('auth', 'UserDeleted', { userId: 'u1' }, { id: 'evt-fixed-id' });

    expect(published).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      type: 'UserRegistered',
      occurredAt: expect.any(String),
      producer: 'auth',
      data: { userId: 'u1', at: new Date(0) },
    });
    expect(new Date(published.occurredAt).toISOString()).toBe(published.occurredAt);
    expect(Math.abs(Date.parse(published.occurredAt) - Date.now())).toBeLessThan(5_000);
    expect(custom.id).toBe('evt-fixed-id');

    await waitFor('both events', () => events.length === 2);
    expect(events[0]).toEqual({ ...published, data: { userId: 'u1', at: '1970-01-01T00:00:00.000Z' } });
    expect(events[1]).toEqual(custom);
  });

  test('every group receives every event exactly once, in order', async () => {
    const bus = open();
    const profile = recorder();
    const feed = recorder();
    await bus.subscribe('auth', 'profile', profile.handler, FAST);
    await bus.subscribe('auth', 'feed', feed.handler, FAST);

    const published: string[] = [];
    for (let i = 0; i < 20; i += 1) published.push((await bus.publish('auth', 'UserRegistered', { i })).id);

    await waitFor(
      'every event in both groups',
      () => profile.events.length >= 20 && feed.events.length >= 20,
    );
    // Past retryIdleMs: an unacknowledged event would have come back by now.
    await sleep(FAST.retryIdleMs * 3);
    expect(idsOf(profile.events)).toEqual(published);
    expect(idsOf(feed.events)).toEqual(published);
    expect(await harness.pendingCount(prefix, 'auth', 'profile')).toBe(
      harness.name === 'redis' ? 0 : undefined,
    );
  });

  test('two consumers in one group split the events without duplicates', async () => {
    const bus = open();
    const seenBy = { a: [] as string[], b: [] as string[] };
    const slowHandler = (into: string[]) => async (event: EventEnvelope) => {
      into.push(event.id);
      await sleep(5);
    };
    const options = { ...FAST, batchSize: 1 };
    await bus.subscribe('feed', 'notification', slowHandler(seenBy.a), { ...options, consumer: 'a' });
    await bus.subscribe('feed', 'notification', slowHandler(seenBy.b), { ...options, consumer: 'b' });

    const published: string[] = [];
    for (let i = 0; i < 30; i += 1) published.push((await bus.publish('feed', 'PostLiked', { i })).id);

    await waitFor('all events handled', () => seenBy.a.length + seenBy.b.length >= 30);
    await sleep(FAST.retryIdleMs * 3);
    const all = [...seenBy.a, ...seenBy.b];
    expect(all).toHaveLength(30);
    expect(new Set(all)).toEqual(new Set(published));
    expect(seenBy.a.length).toBeGreaterThan(0);
    expect(seenBy.b.length).toBeGreaterThan(0);
  });

  test('events published before a group first subscribes are delivered to it', async () => {
    const bus = open();
    const early = [
      await bus.publish('profile', 'FriendshipCreated', { a: 'u1', b: 'u2' }),
      await bus.publish('profile', 'FriendshipCreated', { a: 'u1', b: 'u3' }),
    ];
    const late = recorder();
    await bus.subscribe('profile', 'chat', late.handler, FAST);
    const after = await bus.publish('profile', 'UserBlocked', { a: 'u1', b: 'u4' });

    await waitFor('the early and later events', () => late.events.length === 3);
    expect(idsOf(late.events)).toEqual([...idsOf(early), after.id]);
  });

  test('a failing handler gets the event again after retryIdleMs, and success acknowledges it', async () => {
    const bus = open();
    const attempts: number[] = [];
    const handled: string[] = [];
    await bus.subscribe(
      'chat',
      'notification',
      async (event) => {
        if (event.type === 'MessageSent') {
          attempts.push(Date.now());
          if (attempts.length < 3) throw new Error('database briefly unavailable');
        }
        handled.push(event.type);
      },
      { ...FAST, maxDeliveries: 5 },
    );

    await bus.publish('chat', 'MessageSent', { messageId: 'm1' });
    await waitFor('the third attempt to succeed', () => handled.includes('MessageSent'));
    expect(attempts).toHaveLength(3);
    const [first = 0, second = 0] = attempts;
    expect(second - first).toBeGreaterThanOrEqual(FAST.retryIdleMs - 5);

    // Acknowledged: a later event flows and the retried one never comes back.
    await bus.publish('chat', 'ConversationRead', { conversationId: 'c1' });
    await waitFor('the next event', () => handled.includes('ConversationRead'));
    await sleep(FAST.retryIdleMs * 3);
    expect(attempts).toHaveLength(3);
    expect(await bus.readDeadLetters('chat')).toEqual([]);
    expect(await harness.pendingCount(prefix, 'chat', 'notification')).toBe(
      harness.name === 'redis' ? 0 : undefined,
    );
  });

  test('after maxDeliveries failures the event goes to the dead-letter stream and is not retried', async () => {
    const bus = open();
    let attempts = 0;
    const handled: string[] = [];
    await bus.subscribe(
      'feed',
      'notification',
      async (event) => {
        if (event.type === 'PostCommented') {
          attempts += 1;
          throw new Error(`comment ${String((event.data as { id: string }).id)} references a missing post`);
        }
        handled.push(event.type);
      },
      { ...FAST, maxDeliveries: 3 },
    );

    const poison = await bus.publish('feed', 'PostCommented', { id: 'c9' });
    await waitFor('a dead letter', async () => (await bus.readDeadLetters('feed')).length === 1);
    expect(attempts).toBe(3);
    const [dead] = await bus.readDeadLetters('feed');
    expect(dead).toEqual({
      event: { ...poison },
      group: 'notification',
      consumer: expect.any(String),
      error: 'comment c9 references a missing post',
      deliveries: 3,
      failedAt: expect.any(String),
    });

    // The dead-letter stream is an ordinary stream that an operator's tool can consume.
    const operator = recorder();
    await bus.subscribe('feed:dead', 'ops', operator.handler, FAST);
    await waitFor('the dead letter through subscribe', () => operator.events.length === 1);
    expect(operator.events[0]).toEqual(poison);

    await bus.publish('feed', 'PostShared', { id: 'p1' });
    await waitFor('the next event', () => handled.includes('PostShared'));
    await sleep(FAST.retryIdleMs * 3);
    expect(attempts).toBe(3);
    expect(await bus.readDeadLetters('feed')).toHaveLength(1);
  });

  test('types filter: other types are acknowledged without reaching the handler', async () => {
    const bus = open();
    const filtered = recorder();
    const sub = await bus.subscribe('profile', 'feed', filtered.handler, {
      ...FAST,
      types: ['FollowCreated'],
    });

    await bus.publish('profile', 'ProfileUpdated', { userId: 'u1' });
    const wanted = await bus.publish('profile', 'FollowCreated', { from: 'u1', to: 'u2' });
    await bus.publish('profile', 'ProfileUpdated', { userId: 'u2' });
    const last = await bus.publish('profile', 'FollowCreated', { from: 'u2', to: 'u1' });

    await waitFor('both wanted events', () => filtered.events.length === 2);
    expect(idsOf(filtered.events)).toEqual([wanted.id, last.id]);
    await sub.stop();

    // Had the filtered events been left unacknowledged, this unfiltered consumer would get them again.
    const unfiltered = recorder();
    await bus.subscribe('profile', 'feed', unfiltered.handler, FAST);
    const sentinel = await bus.publish('profile', 'SettingsChanged', { userId: 'u1' });
    await waitFor('the sentinel', () => unfiltered.events.length >= 1);
    await sleep(FAST.retryIdleMs * 2);
    expect(idsOf(unfiltered.events)).toEqual([sentinel.id]);
  });

  test('a restarted consumer resumes the events it held before anything else', async () => {
    const bus = open();
    const options = { blockMs: FAST.blockMs, retryIdleMs: 60_000, consumer: 'profile-0' };
    let failed = 0;
    const first = await bus.subscribe(
      'auth',
      'profile',
      async () => {
        failed += 1;
        throw new Error('crashing on it');
      },
      options,
    );
    const held = await bus.publish('auth', 'UserRegistered', { userId: 'u7' });
    await waitFor('the failed attempt', () => failed === 1);
    await first.stop();

    // retryIdleMs is a minute: only "resume own pending entries on start" can deliver it this fast.
    const restarted = recorder();
    await bus.subscribe('auth', 'profile', restarted.handler, options);
    await waitFor('the held event after restart', () => restarted.events.length === 1, 2_000);
    expect(restarted.events[0]?.id).toBe(held.id);
  });

  test('an event held by a stuck or dead consumer is taken over by another consumer of the group', async () => {
    const instanceA = open();
    const instanceB = harness.name === 'redis' ? open() : instanceA;
    const stuck = hold();
    const gotByA: string[] = [];
    const subA = await instanceA.subscribe(
      'chat',
      'notification',
      async (event) => {
        gotByA.push(event.id);
        await stuck.promise;
      },
      { ...FAST, consumer: 'instance-a' },
    );
    const event = await instanceA.publish('chat', 'MessageSent', { messageId: 'm2' });
    await waitFor('instance A to hold the event', () => gotByA.length === 1);

    const takenOver = recorder();
    await instanceB.subscribe('chat', 'notification', takenOver.handler, { ...FAST, consumer: 'instance-b' });
    await waitFor('instance B to take the event over', () => takenOver.events.length === 1);
    expect(takenOver.events[0]?.id).toBe(event.id);

    stuck.resolve();
    await subA.stop();
  });

  redisOnly(
    'a consumer that crashed mid-event (never acked) loses nothing: a new instance claims it',
    async () => {
      const producerBus = open();
      const event = await producerBus.publish('auth', 'UserDeleted', { userId: 'u3' });
      const key = `${prefix}events:auth`;
      // Exactly the state a process killed inside its handler leaves behind: delivered, never acked.
      await adminClient().xgroup('CREATE', key, 'feed', '0', 'MKSTREAM');
      await adminClient().call(
        'XREADGROUP',
        'GROUP',
        'feed',
        'crashed-pod',
        'COUNT',
        10,
        'STREAMS',
        key,
        '>',
      );
      expect(await harness.pendingCount(prefix, 'auth', 'feed')).toBe(1);

      const survivor = recorder();
      await open().subscribe('auth', 'feed', survivor.handler, { ...FAST, consumer: 'new-pod' });
      await waitFor('the claimed event', () => survivor.events.length === 1);
      expect(survivor.events[0]).toEqual(event);
      await waitFor('the claimed event to be acknowledged', async () => {
        return (await harness.pendingCount(prefix, 'auth', 'feed')) === 0;
      });
    },
  );

  redisOnly('a consumer keeps consuming after its connections are dropped', async () => {
    const name = `events-test-${randomUUID().slice(0, 8)}`;
    const bus = new RedisEventBus({ redis: REDIS_URL, logger: silentLogger(), prefix, name });
    buses.push(bus);
    const { events, handler } = recorder();
    await bus.subscribe('chat', 'notification', handler, FAST);
    const before = await bus.publish('chat', 'MessageSent', { messageId: 'm3' });
    await waitFor('the first event', () => events.length === 1);

    const connectionIds = async (): Promise<string[]> => {
      const list = (await adminClient().client('LIST')) as string;
      return list
        .split('\n')
        .filter((line) => line.includes(` name=${name}`))
        .map((line) => line.match(/^id=(\d+)/)?.[1] ?? '');
    };
    const killed = await connectionIds();
    expect(killed).toHaveLength(2);
    for (const id of killed) await adminClient().client('KILL', 'ID', id);

    const after = await bus.publish('chat', 'MessageSent', { messageId: 'm4' });
    await waitFor('the event published after the drop', () => events.length === 2);
    expect(idsOf(events)).toEqual([before.id, after.id]);
    expect((await connectionIds()).some((id) => killed.includes(id))).toBe(false);
  });

  test('stop() returns promptly when idle and waits for the handler in flight', async () => {
    const bus = open();
    const idle = await bus.subscribe('feed', 'profile', async () => undefined, { blockMs: 10_000 });
    const startedAt = Date.now();
    await idle.stop();
    expect(Date.now() - startedAt).toBeLessThan(1_000);

    const inFlight = hold();
    let started = false;
    let finished = false;
    const busy = await bus.subscribe(
      'feed',
      'chat',
      async () => {
        started = true;
        await inFlight.promise;
        finished = true;
      },
      { ...FAST, blockMs: 10_000 },
    );
    await bus.publish('feed', 'PostCreated', { id: 'p2' });
    await waitFor('the handler to start', () => started);

    let stopped = false;
    const stopping = busy.stop().then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    inFlight.resolve();
    await stopping;
    expect(finished).toBe(true);
  });

  test('close() stops every subscription and refuses further use', async () => {
    const bus = harness.create(prefix);
    await bus.subscribe('auth', 'profile', async () => undefined, { blockMs: 10_000 });
    const startedAt = Date.now();
    await bus.close();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await expect(bus.publish('auth', 'UserRegistered', {})).rejects.toThrow(/closed/);
  });
});
