import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createEnvelope, encodeEnvelope } from '../src/event-bus.js';
import { RedisEventBus, type EventEnvelope } from '../src/events.js';
import { silentLogger } from '../src/logger.js';
import { isRedisReachable } from '../src/redis.js';

/**
 * A Redis consumer after its connection dropped (a Redis restart): entries the server delivered
 * to it whose reply was lost with the connection are pending for its consumer name. They are
 * handled as soon as the connection is back, not only after `retryIdleMs` (the claim sweep).
 * And a consumer whose Redis is gone still stops at once (shutdown never waits for Redis).
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await isRedisReachable(REDIS_URL, 1_000);
if (!redisAvailable && process.env.CI === 'true') throw new Error(`Redis is required in CI (${REDIS_URL})`);
const maybe = redisAvailable ? test : test.skip;

let admin: Redis;
let bus: RedisEventBus | undefined;
const prefix = `events-recovery-${randomUUID().slice(0, 8)}:`;
beforeAll(() => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await bus?.close();
  if (redisAvailable) {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  admin.disconnect();
});

async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

maybe(
  'entries delivered to a consumer whose reply was lost are handled once its connection is back',
  async () => {
    const name = `recovery-${randomUUID().slice(0, 8)}`;
    bus = new RedisEventBus({ redis: REDIS_URL, logger: silentLogger(), prefix, name });
    const handled: EventEnvelope[] = [];
    // The claim sweep would only retry it after 10 minutes: far beyond this test's wait.
    await bus.subscribe('feed', 'notification', async (event) => void handled.push(event), {
      consumer: 'worker-1',
      retryIdleMs: 600_000,
      blockMs: 200,
    });
    const first = await bus.publish('feed', 'PostCreated', { n: 1 });
    await waitFor('the first event', () => handled.length === 1);

    // An entry added and delivered to worker-1 in one transaction, its reply never reaching the
    // subscription: as when Redis went away between delivering and answering.
    const lost = createEnvelope('feed', 'PostCreated', { n: 2 }, undefined);
    const key = bus.streamKey('feed');
    await admin
      .multi()
      .xadd(key, '*', ...Object.entries(encodeEnvelope(lost)).flat())
      .xreadgroup('GROUP', 'notification', 'worker-1', 'COUNT', 10, 'STREAMS', key, '>')
      .exec();
    const pending = (await admin.xpending(key, 'notification')) as [number, ...unknown[]];
    expect(pending[0]).toBe(1);

    // The bus's connections drop (Redis restarted), and come back.
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name}`))
      .map((line) => line.match(/^id=(\d+)/)?.[1] ?? '');
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) await admin.client('KILL', 'ID', id);

    await waitFor('the entry whose delivery was lost', () => handled.some((e) => e.id === lost.id));
    const later = await bus.publish('feed', 'PostCreated', { n: 3 });
    await waitFor('the next event', () => handled.some((e) => e.id === later.id));
    expect(handled.map((e) => e.id)).toEqual([first.id, lost.id, later.id]);
    expect(((await admin.xpending(key, 'notification')) as [number])[0]).toBe(0);
  },
);

/** A TCP relay to Redis that the test can cut: its connections reset, new ones refused. */
async function startRelay(target: URL): Promise<{ url: string; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

maybe(
  'a consumer whose Redis went away stops at once, its blocking read abandoned',
  async () => {
    const relay = await startRelay(new URL(REDIS_URL));
    const gone = new RedisEventBus({
      redis: relay.url,
      logger: silentLogger(),
      prefix,
      name: `gone-${randomUUID().slice(0, 8)}`,
    });
    await gone.subscribe('feed', 'notification', async () => undefined, {
      consumer: 'worker-2',
      blockMs: 10_000,
    });
    // Its XREADGROUP ... BLOCK is in flight when Redis goes away; reconnect attempts are refused
    // and the pauses between them grow, so the connection is waiting to reconnect when it stops.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await relay.cut();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const stopping = Date.now();
    await gone.close();
    // ioredis never settles that read once disconnected while reconnecting: before the consumer
    // raced it with stop(), close() waited forever here.
    expect(Date.now() - stopping).toBeLessThan(3_000);
  },
  15_000,
);
