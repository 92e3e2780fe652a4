import { startRelayLoop, type EventBus, type Logger, type RelayLoop } from '@social/kit';
import { randomUUID } from 'node:crypto';
import { PRODUCER, type AuthEventMap } from '../events.js';
import type { Db, PrismaClient } from './prisma.js';

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

export function startOutboxRelay(options: {
  prisma: PrismaClient;
  events: EventBus;
  logger: Logger;
  pollMs: number;
}): OutboxRelay {
  const { prisma, events } = options;
  const logger = options.logger.child({ component: 'outbox-relay' });

  async function pass(): Promise<number> {
    let published = 0;
    for (;;) {
      const batch = await prisma.$transaction(async (tx) => {
        // SKIP LOCKED: instances relay different rows concurrently instead of waiting on each other.
        const rows = await tx.$queryRaw<{ id: string; type: string; payload: unknown }[]>`
          SELECT id, type, payload FROM event_outbox
          WHERE published_at IS NULL
          ORDER BY occurred_at, id
          LIMIT ${BATCH}
          FOR UPDATE SKIP LOCKED`;
        let done = 0;
        for (const row of rows) {
          try {
            await events.publish(PRODUCER, row.type, row.payload, { id: row.id });
          } catch (error) {
            await tx.eventOutbox.update({
              where: { id: row.id },
              data: { attempts: { increment: 1 }, lastError: (error as Error).message },
            });
            logger.warn({ err: error, eventId: row.id }, 'event publish failed; will retry');
            break;
          }
          await tx.eventOutbox.update({
            where: { id: row.id },
            data: { publishedAt: new Date(), attempts: { increment: 1 } },
          });
          done += 1;
        }
        return { size: rows.length, done };
      });
      published += batch.done;
      if (batch.size < BATCH || batch.done < batch.size) return published;
    }
  }

  return startRelayLoop({ pass, pollMs: options.pollMs, logger });
}
