import type { Logger, PubSub } from '@social/kit';
import type { NotificationConfig } from './config.js';
import type { NotificationStore } from './data/store.js';
import type { Notifier } from './realtime/channels.js';
import type { UnreadCounter } from './realtime/unread.js';
import type { Delivery } from './services/delivery.js';

/** What the notification service opens once per process and every resolver and consumer uses. */
export interface NotificationDeps {
  readonly config: NotificationConfig;
  readonly store: NotificationStore;
  readonly logger: Logger;
  readonly pubsub: PubSub;
  /** Publishes realtime events after commits (best effort). */
  readonly notifier: Notifier;
  /** The exact unread count per user, cached in Redis. */
  readonly unread: UnreadCounter;
  /** Email and push, after commits. */
  readonly delivery: Delivery;
}
