import type { Logger, PubSub } from '@social/kit';

/**
 * The pub/sub channels of the notification subgraph (DESIGN 8), one pair per user, fanned out
 * between instances through Redis. Payloads are small facts; subscribers read the current state
 * (the notification, the exact count) when one arrives, so what they see is what a query would
 * show them at that moment.
 */
export const channels = {
  /** A notification of the user was created or absorbed an event (Subscription.notificationAdded). */
  added: (userId: string) => `notification:added:${userId}`,
  /** The user's unread count may have changed (Subscription.unreadNotificationCountChanged). */
  unread: (userId: string) => `notification:unread:${userId}`,
} as const;

export interface AddedPayload {
  readonly notificationId: string;
}

export interface UnreadChangedPayload {
  readonly occurredAt: string;
}

/**
 * Publishes after commits. Pub/sub is best effort (kit pubsub.ts): a failed publish is logged,
 * never turned into a failure of a change that already committed; clients re-query on reconnect.
 */
export class Notifier {
  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  async added(userId: string, notificationId: string): Promise<void> {
    await this.send(channels.added(userId), { notificationId } satisfies AddedPayload);
  }

  async unreadChanged(userIds: Iterable<string>): Promise<void> {
    const payload: UnreadChangedPayload = { occurredAt: new Date().toISOString() };
    await Promise.all([...new Set(userIds)].map((userId) => this.send(channels.unread(userId), payload)));
  }

  private async send(channel: string, payload: unknown): Promise<void> {
    try {
      await this.pubsub.publish(channel, payload);
    } catch (err) {
      this.logger.warn({ err, channel }, 'realtime publish failed; subscribers resync');
    }
  }
}
