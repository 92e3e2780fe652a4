import { startRelayLoop, type EventBus, type Logger, type RelayLoop } from '@social/kit';
import { randomUUID } from 'node:crypto';
import { PRODUCER, type AuthEventMap } from '../events.js';
import type { Db, PrismaClient } from './prisma.js';
import { localRelayLock, type RelayLock } from './relay-lock.js';

/**
 * Transactional outbox (DESIGN 9). An event is inserted in the same transaction as the change it
 * describes, so it exists exactly when the change does; the relay publishes it afterwards and
 * marks it published. A crash between commit and publish leaves the row pending and the next
 * relay pass (on any instance) publishes it. Delivery is at least once: a crash after publishing
 * but before marking republishes with the same event id, which consumers deduplicate on.
 */
export async function enqueueEvent<K extends keyof AuthEventMap>(
  db: Db,
  type: K,
  data: AuthEventMap[K],
): Promise<void> {
  await db.eventOutbox.create({ data: { id: randomUUID(), type, payload: data as object } });
}

/** Publishes pending events: kick() after a commit that enqueued some, drain() to wait for them. */
export type OutboxRelay = RelayLoop;

const BATCH = 100;
/** When another instance holds the relay lock: look again this soon (its pass may miss our rows). */
const CONTENDED_RETRY_MS = 200;

/**
 * The relay. No transaction is open while publishing: a pass takes the relay lock (one relaying
 * instance at a time, data/relay-lock.ts), reads a batch of pending rows in commit order with a
 * plain SELECT, publishes them one by one and marks each published with its own short UPDATE (or
 * records the failure and stops, so a later event never overtakes an earlier one). A Redis outage
 * therefore costs one failed publish per pass, recorded on the row, and no PostgreSQL transaction
 * times out. At least once: a crash between publish and mark republishes with the same event id.
 */
export function startOutboxRelay(options: {
  prisma: PrismaClient;
  events: EventBus;
  logger: Logger;
  pollMs: number;
  /** Default: exclusive within this process only; auth passes the PostgreSQL advisory lock. */
  lock?: RelayLock;
}): OutboxRelay {
  const { prisma, events } = options;
  const lock = options.lock ?? localRelayLock();
  const logger = options.logger.child({ component: 'outbox-relay' });
  let retry: NodeJS.Timeout | undefined;
  let stopping = false;

  async function publishPending(): Promise<number> {
    let published = 0;
    while (!stopping) {
      const rows = await prisma.$queryRaw<{ id: string; type: string; payload: unknown }[]>`
        SELECT id, type, payload FROM event_outbox
        WHERE published_at IS NULL
        ORDER BY occurred_at, id
        LIMIT ${BATCH}`;
      for (const row of rows) {
        try {
          await events.publish(PRODUCER, row.type, row.payload, { id: row.id });
        } catch (error) {
          await prisma.eventOutbox.updateMany({
            where: { id: row.id, publishedAt: null },
            data: { attempts: { increment: 1 }, lastError: (error as Error).message },
          });
          logger.warn({ err: error, eventId: row.id }, 'event publish failed; will retry');
          return published;
        }
        await prisma.eventOutbox.updateMany({
          where: { id: row.id, publishedAt: null },
          data: { publishedAt: new Date(), attempts: { increment: 1 } },
        });
        published += 1;
      }
      if (rows.length < BATCH) break;
    }
    return published;
  }

  async function pass(): Promise<number> {
    if (!(await lock.tryAcquire())) {
      // Another instance is relaying; it may have read its batch before our commit.
      retry ??= setTimeout(() => {
        retry = undefined;
        loop.kick();
      }, CONTENDED_RETRY_MS);
      retry.unref();
      return 0;
    }
    try {
      return await publishPending();
    } finally {
      await lock.release();
    }
  }

  const loop = startRelayLoop({ pass, pollMs: options.pollMs, logger });
  return {
    kick: () => loop.kick(),
    drain: () => loop.drain(),
    async stop() {
      stopping = true;
      if (retry) clearTimeout(retry);
      await loop.stop();
      await lock.close();
    },
    get stopped() {
      return loop.stopped;
    },
  };
}
