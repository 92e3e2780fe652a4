/**
 * The presence store's contract (heartbeat, offline, areOnline, takeExpired), run against Redis
 * and against the in-process store the service uses without Redis: both must behave the same.
 */
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createPresenceStore } from '../src/presence-store.js';
import type { PresenceStore } from '../src/presence.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let redis: Redis;
const prefix = `test-presence-${randomUUID()}:`;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const stores: Array<[string, (ttlSeconds: number) => PresenceStore]> = [
  [
    'redis',
    (ttlSeconds) => createPresenceStore({ redis, ttlSeconds, keyPrefix: `${prefix}${randomUUID()}:` }),
  ],
  ['in-process', (ttlSeconds) => createPresenceStore({ redis: undefined, ttlSeconds })],
];

async function eventually<T>(probe: () => Promise<T>, condition: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (condition(value)) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(stores)('%s presence store', (_name, create) => {
  test('a heartbeat makes a user online; only the first one is a transition', async () => {
    const presence = create(300);
    const [alice, bob] = [randomUUID(), randomUUID()];
    expect(await presence.areOnline([alice, bob])).toEqual([false, false]);
    expect(await presence.heartbeat(alice)).toBe(true);
    expect(await presence.heartbeat(alice)).toBe(false);
    expect(await presence.areOnline([alice, bob])).toEqual([true, false]);
    expect(await presence.areOnline([])).toEqual([]);
  });

  test('going offline is a transition only for an online user', async () => {
    const presence = create(300);
    const alice = randomUUID();
    expect(await presence.offline(alice)).toBe(false);
    await presence.heartbeat(alice);
    expect(await presence.offline(alice)).toBe(true);
    expect(await presence.areOnline([alice])).toEqual([false]);
    expect(await presence.offline(alice)).toBe(false);
    // Coming back after signing off is a transition again.
    expect(await presence.heartbeat(alice)).toBe(true);
  });

  test('a lapsed heartbeat is handed to the sweep exactly once', async () => {
    const presence = create(1);
    const [lapsing, staying] = [randomUUID(), randomUUID()];
    await presence.heartbeat(lapsing);
    expect(await presence.takeExpired()).not.toContain(lapsing);
    const taken = await eventually(
      async () => {
        await presence.heartbeat(staying);
        return presence.takeExpired();
      },
      (ids) => ids.includes(lapsing),
    );
    expect(taken).not.toContain(staying);
    expect(await presence.areOnline([lapsing, staying])).toEqual([false, true]);
    expect(await presence.takeExpired()).not.toContain(lapsing);
    // Once taken, the next heartbeat is a transition to online again.
    expect(await presence.heartbeat(lapsing)).toBe(true);
  });

  test('a user who signed off is not handed to the sweep', async () => {
    const presence = create(1);
    const alice = randomUUID();
    await presence.heartbeat(alice);
    await presence.offline(alice);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await presence.takeExpired()).not.toContain(alice);
  });
});

test('Redis instances sharing a store see one presence and split the sweep', async () => {
  const keyPrefix = `${prefix}${randomUUID()}:`;
  const other = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await other.connect();
  try {
    const a = createPresenceStore({ redis, ttlSeconds: 1, keyPrefix });
    const b = createPresenceStore({ redis: other, ttlSeconds: 1, keyPrefix });
    const users = Array.from({ length: 20 }, () => randomUUID());
    for (const user of users) await a.heartbeat(user);
    expect(await b.areOnline(users)).toEqual(users.map(() => true));
    expect(await b.heartbeat(users[0]!)).toBe(false);
    const taken: string[] = [];
    await eventually(
      async () => {
        const [fromA, fromB] = await Promise.all([a.takeExpired(), b.takeExpired()]);
        taken.push(...fromA, ...fromB);
        return taken;
      },
      (ids) => ids.length >= users.length,
    );
    expect([...taken].sort()).toEqual([...users].sort());
  } finally {
    await other.quit();
  }
});
