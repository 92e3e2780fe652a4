/**
 * The transactional outbox: events committed with their change reach the bus even when the
 * process died between commit and publish, and a publish that was not recorded is repeated with
 * the same event id (consumers deduplicate on it).
 */
import { MemoryEventBus, silentLogger, type EventBus, type EventEnvelope } from '@social/kit';
import { dropDatabase, ensureDatabase, migrate } from '@social/stack';
import { randomUUID } from 'node:crypto';
import { enqueueEvent, startOutboxRelay } from '../src/data/outbox.js';
import { createPrismaClient, type PrismaClient } from '../src/data/prisma.js';

const server = process.env.TEST_PG_SERVER_URL!;
const databaseName = `outbox_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let prisma: PrismaClient;
let bus: MemoryEventBus;

beforeAll(async () => {
  const url = await ensureDatabase(server, databaseName);
  await migrate({ databaseUrl: url, logger: silentLogger() });
  prisma = createPrismaClient(url);
});
beforeEach(() => {
  bus = new MemoryEventBus({ logger: silentLogger() });
});
afterEach(async () => {
  await bus.close();
});
afterAll(async () => {
  await prisma?.$disconnect();
  await dropDatabase(server, databaseName);
});

async function received(events: EventBus, count: number): Promise<EventEnvelope[]> {
  const seen: EventEnvelope[] = [];
  await events.subscribe('auth', `test-${randomUUID()}`, async (event) => {
    seen.push(event);
  });
  const until = Date.now() + 5_000;
  while (seen.length < count && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  return seen;
}

const snapshot = (userId: string) => ({
  userId,
  username: 'crash_test',
  email: 'crash@example.com',
  firstName: 'C',
  lastName: 'T',
  phoneNumber: null,
  role: 'USER' as const,
  createdAt: new Date().toISOString(),
});

test('events committed while no relay ran (a crash after commit) are published when one starts', async () => {
  const userId = randomUUID();
  await prisma.$transaction((tx) => enqueueEvent(tx, 'UserRegistered', snapshot(userId)));
  const [pending] = await prisma.eventOutbox.findMany({ where: { publishedAt: null } });
  expect(pending?.type).toBe('UserRegistered');

  const relay = startOutboxRelay({ prisma, events: bus, logger: silentLogger(), pollMs: 50 });
  try {
    const events = await received(bus, 1);
    expect(
      events.map((e) => ({ id: e.id, type: e.type, userId: (e.data as { userId: string }).userId })),
    ).toEqual([{ id: pending!.id, type: 'UserRegistered', userId }]);
    // The row is marked in the relay's transaction, which commits after the bus delivered.
    await relay.drain();
    const row = await prisma.eventOutbox.findUniqueOrThrow({ where: { id: pending!.id } });
    expect(row.publishedAt).not.toBeNull();
  } finally {
    await relay.stop();
  }
});

test('a rolled-back change leaves no event behind', async () => {
  const userId = randomUUID();
  await expect(
    prisma.$transaction(async (tx) => {
      await enqueueEvent(tx, 'UserRegistered', snapshot(userId));
      throw new Error('the change failed');
    }),
  ).rejects.toThrow('the change failed');
  const rows = await prisma.eventOutbox.findMany({
    where: { payload: { path: ['userId'], equals: userId } },
  });
  expect(rows).toEqual([]);
});

test('a publish whose success was not recorded is repeated with the same event id', async () => {
  await prisma.eventOutbox.updateMany({ where: { publishedAt: null }, data: { publishedAt: new Date() } });
  const userId = randomUUID();
  await prisma.$transaction((tx) => enqueueEvent(tx, 'UserRegistered', snapshot(userId)));
  let calls = 0;
  // The first publish reaches the bus but the relay "dies" before marking the row.
  const flaky: EventBus = Object.assign(Object.create(bus) as EventBus, {
    publish: async (...args: Parameters<EventBus['publish']>) => {
      const envelope = await bus.publish(...args);
      calls += 1;
      if (calls === 1) throw new Error('crashed after publishing');
      return envelope;
    },
  });
  const relay = startOutboxRelay({ prisma, events: flaky, logger: silentLogger(), pollMs: 50 });
  try {
    const events = await received(bus, 2);
    expect(events).toHaveLength(2);
    expect(events[0]?.id).toBe(events[1]?.id);
    // The bus may deliver the second publish before the relay has recorded it: let the pass end.
    await relay.drain();
    const row = await prisma.eventOutbox.findFirstOrThrow({
      where: { payload: { path: ['userId'], equals: userId } },
    });
    expect(row.publishedAt).not.toBeNull();
    expect(row.attempts).toBe(2);
    expect(row.lastError).toBe('crashed after publishing');
  } finally {
    await relay.stop();
  }
});
