import { createMailer, defineSubgraph, loadConfig, loadSdl, type BaseContext } from '@social/kit';
import { notificationConfigSchema } from './config.js';
import { startConsumers } from './consumers.js';
import { unreadSummary } from './data/inbox.js';
import { openNotificationStore } from './data/store.js';
import type { NotificationDeps } from './deps.js';
import { createLoaders, type Loaders } from './loaders.js';
import { Notifier } from './realtime/channels.js';
import { createUnreadCounter } from './realtime/unread.js';
import { resolvers } from './resolvers/index.js';
import { createDelivery, createLoggingPushTransport, type PushTransport } from './services/delivery.js';

/** The notification subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface NotificationContext extends BaseContext {
  readonly notification: NotificationDeps;
  readonly loaders: Loaders;
}

export type { NotificationDeps } from './deps.js';
export type { PushMessage, PushTransport } from './services/delivery.js';

/**
 * Builds the notification service from process-wide resources; starts nothing (see index.ts).
 * `push` replaces the logging push transport (a provider's SDK in production, a fake in tests).
 */
export function notificationService(options: { push?: PushTransport } = {}) {
  return defineSubgraph<NotificationContext, NotificationDeps>({
    name: 'notification',
    typeDefs,
    resolvers,
    async connect(resources) {
      const config = loadConfig('notification', notificationConfigSchema, resources.env);
      const logger = resources.logger.child({ subgraph: 'notification' });
      const store = await openNotificationStore({
        config,
        env: resources.env,
        events: resources.events,
        logger,
      });
      const delivery = createDelivery({
        store,
        mailer: createMailer({
          smtpUrl: config.SMTP_URL,
          outboxPath: config.MAIL_OUTBOX,
          from: config.MAIL_FROM,
          logger,
        }),
        push: options.push ?? createLoggingPushTransport(logger),
        logger,
        concurrency: config.NOTIFICATION_DELIVERY_CONCURRENCY,
      });
      const deps: NotificationDeps = {
        config,
        store,
        logger,
        pubsub: resources.pubsub,
        notifier: new Notifier(resources.pubsub, logger),
        unread: createUnreadCounter({
          redis: resources.redis,
          keyPrefix: resources.redisKeyPrefix,
          ttlSeconds: config.NOTIFICATION_UNREAD_CACHE_TTL_SECONDS,
          count: (userId) => unreadSummary(store, userId),
        }),
        delivery,
      };
      let consumers: Awaited<ReturnType<typeof startConsumers>>;
      try {
        consumers = await startConsumers(deps, resources.events);
      } catch (error) {
        await store.close();
        throw error;
      }
      return {
        deps,
        readiness: { mongo: () => store.mongo.ping() },
        async close() {
          await consumers.stop();
          await delivery.drain();
          await store.close();
        },
      };
    },
    context: (base, deps) => ({ ...base, notification: deps, loaders: createLoaders(deps) }),
  });
}

export const createService = notificationService();
