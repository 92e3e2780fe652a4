/**
 * The outbox relay holds no transaction (and no row lock) while it publishes to the bus: a bus
 * that hangs (Redis down longer than Prisma's 5 s interactive-transaction timeout) used to fail the
 * whole pass with "Invalid `tx.eventOutbox.update()`" and republish its events. Several relays
 * (auth instances) still publish each event once, in commit order.
 */
import { MemoryEventBus, silentLogger, type EventBus, type EventEnvelope } from '@social/kit';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { enqueueEvent, startOutboxRelay } from '../src/data/outbox.js';
import { createPrismaClient, type PrismaClient } from '../src/data/prisma.js';
import { advisoryRelayLock } from '../src/data/relay-lock.js';
import { createTestDatabase, type TestDatabase } from './database/support.js';

let db: TestDatabase;
let prisma: PrismaClient;
let observer: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  prisma = createPrismaClient(db.url);
  observer = new pg.Client({ connectionString: db.url });
  await observer.connect();
}, 60_000);
afterAll(async () => {
  await observer?.end();
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(async () => {
  await prisma.eventOutbox.updateMany({ where: { publishedAt: null }, data: { publishedAt: new Date() } });
});

const snapshot = (userId: string) => ({
  userId,
  username: 'relay_test',
  email: 'relay@example.com',
  firstName: 'R',
  lastName: 'T',
  phoneNumber: null,
  role: 'USER' as const,
  createdAt: new Date().toISOString(),
});

async function enqueue(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    await prisma.$transaction((tx) => enqueueEvent(tx, 'UserRegistered', snapshot(randomUUID())));
    const [row] = await prisma.$queryRaw<{ id: string }[]>`
      SELECT id FROM event_outbox ORDER BY occurred_at DESC, id DESC LIMIT 1`;
    ids.push(row!.id);
  }
  return ids;
}

/** A bus whose publish first runs `during` (what the database looks like while publishing). */
function busWith(during: (id: string) => Promise<void>): { bus: EventBus; inner: MemoryEventBus } {
  const inner = new MemoryEventBus({ logger: silentLogger() });
  const bus = Object.assign(Object.create(inner) as EventBus, {
    publish: async (...args: Parameters<EventBus['publish']>) => {
      await during(args[3]?.id ?? '');
      return inner.publish(...args);
    },
  });
  return { bus, inner };
}

test('no transaction or row lock is held while an event is being published', async () => {
  const [id] = await enqueue(1);
  const seen: { rowLocked: boolean; openTransactions: number }[] = [];
  const { bus, inner } = busWith(async (eventId) => {
    let rowLocked = false;
    await observer.query('BEGIN');
    try {
      await observer.query('SELECT id FROM event_outbox WHERE id = $1 FOR UPDATE NOWAIT', [eventId]);
    } catch {
      rowLocked = true;
    } finally {
      await observer.query('ROLLBACK');
    }
    const { rows } = await observer.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`,
    );
    seen.push({ rowLocked, openTransactions: rows[0]!.n });
  });
  const relay = startOutboxRelay({ prisma, events: bus, logger: silentLogger(), pollMs: 60_000 });
  try {
    await relay.drain();
    expect(seen).toEqual([{ rowLocked: false, openTransactions: 0 }]);
    const row = await prisma.eventOutbox.findUniqueOrThrow({ where: { id: id! } });
    expect(row.publishedAt).not.toBeNull();
    expect(row.attempts).toBe(1);
  } finally {
    await relay.stop();
    await inner.close();
  }
});

test('a failed publish is recorded on its row and stops the pass; the next pass publishes it', async () => {
  const ids = await enqueue(2);
  let failing = true;
  const { bus, inner } = busWith(async () => {
    if (failing) throw new Error('Connection is closed.');
  });
  const published: string[] = [];
  await inner.subscribe('auth', `test-${randomUUID()}`, async (event: EventEnvelope) => {
    published.push(event.id);
  });
  const relay = startOutboxRelay({ prisma, events: bus, logger: silentLogger(), pollMs: 60_000 });
  try {
    await expect(relay.drain()).resolves.toBe(0);
    const first = await prisma.eventOutbox.findUniqueOrThrow({ where: { id: ids[0]! } });
    // (The relay's first pass at start and the drain's may both have tried it.)
    expect(first.publishedAt).toBeNull();
    expect(first.attempts).toBeGreaterThanOrEqual(1);
    expect(first.lastError).toBe('Connection is closed.');
    // The later event was not tried ahead of the earlier one.
    const second = await prisma.eventOutbox.findUniqueOrThrow({ where: { id: ids[1]! } });
    expect(second.attempts).toBe(0);
    failing = false;
    await expect(relay.drain()).resolves.toBe(2);
    const until = Date.now() + 5_000;
    while (published.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(published).toEqual(ids);
  } finally {
    await relay.stop();
    await inner.close();
  }
});

test('two relays (two auth instances) publish each event exactly once, in commit order', async () => {
  const ids = await enqueue(30);
  const { bus, inner } = busWith(() => new Promise((resolve) => setTimeout(resolve, 5)));
  const published: string[] = [];
  await inner.subscribe('auth', `test-${randomUUID()}`, async (event: EventEnvelope) => {
    published.push(event.id);
  });
  const relays = [1, 2].map(() =>
    startOutboxRelay({
      prisma,
      events: bus,
      logger: silentLogger(),
      pollMs: 20,
      lock: advisoryRelayLock(db.url),
    }),
  );
  try {
    const until = Date.now() + 20_000;
    while (published.length < ids.length && Date.now() < until) {
      relays.forEach((relay) => relay.kick());
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(relays.map((relay) => relay.drain()));
    expect(published).toEqual(ids);
    expect(await prisma.eventOutbox.count({ where: { id: { in: ids }, attempts: { not: 1 } } })).toBe(0);
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    await inner.close();
  }
});
