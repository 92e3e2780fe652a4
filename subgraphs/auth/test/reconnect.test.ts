/**
 * Auth rides out dropped database connections (src/data/reconnect.ts): a statement or an
 * interactive transaction whose server connection is terminated, and a database that refuses
 * connections for a moment, succeed on a new connection instead of failing the request. The
 * load-and-fault version is test/reliability/faults-postgres.test.ts.
 */
import { jest } from '@jest/globals';
import { dropDatabase, ensureDatabase } from '@social/stack';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createPrismaClient, type PrismaClient } from '../src/data/prisma.js';
import { isConnectionLost, retryOnConnectionLoss } from '../src/data/reconnect.js';

const server = process.env.TEST_PG_SERVER_URL!;
const databaseName = `reconnect_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let prisma: PrismaClient;
const retries: unknown[] = [];

beforeAll(async () => {
  const url = await ensureDatabase(server, databaseName);
  prisma = createPrismaClient(url, { onRetry: (error) => retries.push(error) });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await dropDatabase(server, databaseName);
});
beforeEach(() => {
  retries.length = 0;
});

/** On the server's maintenance database: never this suite's own connections. */
async function onServer<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const url = new URL(server);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Terminates this suite's database connections; resolves with how many there were. */
const terminate = async () =>
  (
    await onServer<{ pid: number }>(
      'SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseName],
    )
  ).length;

const allowConnections = (allowed: boolean) =>
  onServer(`ALTER DATABASE "${databaseName}" ALLOW_CONNECTIONS ${allowed}`);

test('an interactive transaction whose connection is terminated mid-way runs again and succeeds', async () => {
  let attempts = 0;
  const result = await prisma.$transaction(async (tx) => {
    attempts += 1;
    await tx.$queryRaw`SELECT 1`;
    // The first attempt's connection is killed while the transaction is open.
    if (attempts === 1) expect(await terminate()).toBeGreaterThan(0);
    const [row] = await tx.$queryRaw<{ n: number }[]>`SELECT 2::int AS n`;
    return row!.n;
  });
  expect(result).toBe(2);
  expect(attempts).toBe(2);
  expect(retries.length).toBeGreaterThan(0);
});

test('a statement running when its connection is terminated is retried on a new one', async () => {
  await prisma.$queryRaw`SELECT 1`;
  // Prisma's promises are lazy: `then` sends the statement.
  const running = prisma.$queryRaw<{ n: number }[]>`SELECT 3::int AS n FROM pg_sleep(1)`.then((rows) => rows);
  await eventuallyBusy();
  expect(await terminate()).toBeGreaterThan(0);
  expect(await running).toEqual([{ n: 3 }]);
  expect(retries.length).toBeGreaterThan(0);
});

test('while the database refuses connections, operations wait for it instead of failing', async () => {
  await allowConnections(false);
  await terminate();
  const pending = prisma.$transaction((tx) => tx.$queryRaw<{ n: number }[]>`SELECT 4::int AS n`);
  try {
    // The operation is retrying, not failed.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await allowConnections(true);
  }
  expect(await pending).toEqual([{ n: 4 }]);
  expect(retries.some((error) => /not currently accepting connections/.test(String(error)))).toBe(true);
});

test('other errors are not retried', async () => {
  await expect(prisma.$queryRaw`SELECT * FROM no_such_table`).rejects.toThrow(/no_such_table/);
  expect(retries).toEqual([]);
  expect(isConnectionLost(new Error('duplicate key value violates unique constraint'))).toBe(false);
  expect(isConnectionLost({ meta: { driverAdapterError: { cause: { originalCode: '57P01' } } } })).toBe(true);
});

test('a lasting outage still fails once the budget is spent, after backing off', async () => {
  // Fake timers (and clock): the attempts depend on the policy alone, not on how busy the
  // machine is when the pauses end.
  jest.useFakeTimers();
  try {
    const attemptsAt: number[] = [];
    const lost = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    const started = Date.now();
    const outcome = retryOnConnectionLoss(
      async () => {
        attemptsAt.push(Date.now() - started);
        throw lost;
      },
      { budgetMs: 100, initialDelayMs: 10, maxDelayMs: 20 },
    ).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(await outcome).toBe(lost);
    // Pauses of 10 ms, then doubling to at most 20 ms; no pause that would end past 100 ms.
    expect(attemptsAt).toEqual([0, 10, 30, 50, 70, 90]);
  } finally {
    jest.useRealTimers();
  }
});

/** Waits until this suite's database has a statement running. */
async function eventuallyBusy(): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const rows = await onServer(
      "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%pg_sleep%'",
      [databaseName],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the statement never started');
}
