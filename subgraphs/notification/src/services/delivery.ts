import type { Logger, Mailer } from '@social/kit';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { NotificationDocument, StoredChannel } from '../data/collections.js';
import type { NotificationStore } from '../data/store.js';

/**
 * Delivery over the external channels (seed: channels, sentVia, deliveryStatus). In the app a
 * notification is delivered by being stored; email and push are sent after the commit, off the
 * event's path: a slow or failing channel never delays or loses the in-app notification, it only
 * leaves the notification FAILED (sentVia then says which channels did work). Only new
 * notifications are sent out; an event absorbed into a group updates it in the app alone.
 */

export interface PushMessage {
  readonly userId: string;
  readonly notificationId: string;
  readonly title: string;
  readonly body: string;
  readonly actionUrl: string | null;
  readonly priority: NotificationDocument['priority'];
}

/** Sends push notifications to a user's devices (a provider's SDK in production). */
export interface PushTransport {
  readonly name: string;
  send(message: PushMessage): Promise<void>;
}

/** The development transport: each push is a structured log line. */
export function createLoggingPushTransport(logger: Logger): PushTransport {
  const log = logger.child({ component: 'push' });
  return {
    name: 'log',
    async send(message) {
      log.info(
        { userId: message.userId, notificationId: message.notificationId, title: message.title },
        'push notification',
      );
    },
  };
}

export interface Delivery {
  /** Sends these new notifications through their external channels, in the background. */
  enqueue(docs: readonly NotificationDocument[]): void;
  /** Resolves when every delivery started so far has been recorded (shutdown, tests). */
  drain(): Promise<void>;
}

/** Notifications recorded per write; a post's many recipients are sent in batches of this size. */
const BATCH_MAX = 50;

const external = (doc: NotificationDocument) => doc.channels.filter((channel) => channel !== 'InApp');

export function createDelivery(options: {
  store: NotificationStore;
  mailer: Mailer;
  push: PushTransport;
  logger: Logger;
  /** Sends in flight at once. */
  concurrency: number;
}): Delivery {
  const { store, mailer, push } = options;
  const logger = options.logger.child({ component: 'delivery' });
  const queue: NotificationDocument[] = [];
  const inFlight = new Set<Promise<void>>();
  let running = 0;

  async function send(doc: NotificationDocument, channel: StoredChannel, email: string | undefined) {
    if (channel === 'Push') {
      await push.send({
        userId: doc.userId,
        notificationId: doc._id.toHexString(),
        title: doc.title,
        body: doc.message,
        actionUrl: doc.actionUrl,
        priority: doc.priority,
      });
      return;
    }
    if (!email) throw new Error('the recipient has no verified email address');
    await mailer.send({
      to: email,
      subject: doc.title,
      text: doc.actionUrl ? `${doc.message}\n\nOpen: ${doc.actionUrl}` : doc.message,
      kind: 'notification',
      data: { notificationId: doc._id.toHexString(), type: doc.type },
    });
  }

  /** Sends a batch one by one (one address lookup) and records every outcome in one write. */
  async function deliver(batch: readonly NotificationDocument[]): Promise<void> {
    const wantEmail = batch.filter((doc) => doc.channels.includes('Email')).map((doc) => doc.userId);
    const addresses =
      wantEmail.length === 0
        ? []
        : await store.emailAddresses
            .find({ _id: { $in: [...new Set(wantEmail)] }, verified: true })
            .toArray();
    const emailOf = new Map(addresses.map((address) => [address._id, address.email]));
    const outcomes: Array<{ doc: NotificationDocument; sent: StoredChannel[]; failed: boolean }> = [];
    for (const doc of batch) {
      const sent: StoredChannel[] = [];
      let failed = false;
      for (const channel of external(doc)) {
        try {
          await send(doc, channel, emailOf.get(doc.userId));
          sent.push(channel);
        } catch (err) {
          failed = true;
          logger.warn(
            { err, notificationId: doc._id.toHexString(), channel },
            'notification delivery failed',
          );
        }
      }
      outcomes.push({ doc, sent, failed });
    }
    const operations: AnyBulkWriteOperation<NotificationDocument>[] = outcomes.map(
      ({ doc, sent, failed }) => ({
        updateOne: {
          filter: { _id: doc._id },
          update: {
            $set: { deliveryStatus: failed ? 'Failed' : 'Sent' },
            $addToSet: { sentVia: { $each: sent } },
          },
        },
      }),
    );
    await store.notifications.bulkWrite(operations, { ordered: false });
  }

  /** Runs up to `concurrency` batches at once, each sending one notification at a time. */
  function pump(): void {
    while (running < options.concurrency && queue.length > 0) {
      const batch = queue.splice(0, BATCH_MAX);
      running += 1;
      const task = deliver(batch)
        .catch((err: unknown) => logger.error({ err, count: batch.length }, 'recording deliveries failed'))
        .finally(() => {
          running -= 1;
          inFlight.delete(task);
          pump();
        });
      inFlight.add(task);
    }
  }

  return {
    enqueue(docs) {
      const outgoing = docs.filter((doc) => external(doc).length > 0);
      if (outgoing.length === 0) return;
      queue.push(...outgoing);
      pump();
    },
    async drain() {
      while (inFlight.size > 0 || queue.length > 0) {
        await Promise.all([...inFlight]);
        if (inFlight.size === 0 && queue.length > 0) pump();
      }
    },
  };
}
