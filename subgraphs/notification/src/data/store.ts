import {
  SocialReplica,
  openMongoServiceStore,
  type EventBus,
  type Logger,
  type MongoServiceStore,
} from '@social/kit';
import type { Collection } from 'mongodb';
import type { NotificationConfig } from '../config.js';
import { PRODUCER } from '../events.js';
import {
  COLLECTIONS,
  notificationCollections,
  type EmailAddressDocument,
  type NotificationDocument,
} from './collections.js';

/** The notification database: typed collections, the social replica and transactions. */
export interface NotificationStore extends MongoServiceStore<Record<string, never>> {
  readonly notifications: Collection<NotificationDocument>;
  readonly emailAddresses: Collection<EmailAddressDocument>;
  /** Users, privacy and notification settings, friendships and blocks, from auth's and profile's events. */
  readonly replica: SocialReplica;
  readonly config: NotificationConfig;
}

export async function openNotificationStore(options: {
  config: NotificationConfig;
  env: Readonly<Record<string, string | undefined>>;
  events: EventBus;
  logger: Logger;
}): Promise<NotificationStore> {
  const { config } = options;
  const base = await openMongoServiceStore<Record<string, never>>({
    service: PRODUCER,
    url: config.MONGO_URL,
    env: options.env,
    events: options.events,
    logger: options.logger,
    collections: notificationCollections(),
    outboxPollMs: config.OUTBOX_POLL_MS,
  });
  const { db } = base.mongo;
  return {
    ...base,
    notifications: db.collection<NotificationDocument>(COLLECTIONS.notifications),
    emailAddresses: db.collection<EmailAddressDocument>(COLLECTIONS.emailAddresses),
    replica: new SocialReplica(db),
    config,
  };
}
