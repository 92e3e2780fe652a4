import { createRateLimiter, defineSubgraph, loadConfig, loadSdl, type BaseContext } from '@social/kit';
import { chatConfigSchema } from './config.js';
import { startConsumers } from './consumers.js';
import { openChatStore } from './data/store.js';
import type { ChatDeps } from './deps.js';
import { createLoaders, type Loaders } from './loaders.js';
import { Notifier } from './realtime/channels.js';
import { createTypingStore } from './realtime/typing.js';
import { createUnreadCache } from './realtime/unread.js';
import { createViewingRegistry } from './realtime/viewing.js';
import { resolvers } from './resolvers/index.js';

/** The chat subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface ChatContext extends BaseContext {
  readonly chat: ChatDeps;
  readonly loaders: Loaders;
}

export type { ChatDeps } from './deps.js';
export type { ChatEventMap } from './events.js';

/** Builds the chat service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<ChatContext, ChatDeps>({
  name: 'chat',
  typeDefs,
  resolvers,
  async connect(resources) {
    const config = loadConfig('chat', chatConfigSchema, resources.env);
    const logger = resources.logger.child({ subgraph: 'chat' });
    const store = await openChatStore({ config, env: resources.env, events: resources.events, logger });
    const { redis, redisKeyPrefix: keyPrefix } = resources;
    const viewing = createViewingRegistry({
      redis,
      keyPrefix,
      ttlMs: config.CHAT_VIEWING_TTL_MS,
      heartbeatMs: config.CHAT_VIEWING_HEARTBEAT_MS,
      logger,
    });
    const deps: ChatDeps = {
      config,
      store,
      logger,
      pubsub: resources.pubsub,
      notifier: new Notifier(resources.pubsub, logger),
      typing: createTypingStore({ redis, keyPrefix, ttlMs: config.CHAT_TYPING_TTL_MS }),
      viewing,
      unread: createUnreadCache({ redis, keyPrefix, ttlSeconds: config.CHAT_UNREAD_CACHE_TTL_SECONDS }),
      sendLimiter: createRateLimiter(
        {
          name: 'chat-send',
          points: config.CHAT_SEND_RATE_POINTS,
          durationSeconds: config.CHAT_SEND_RATE_WINDOW_SECONDS,
        },
        redis,
        keyPrefix,
      ),
    };
    let consumers: Awaited<ReturnType<typeof startConsumers>>;
    try {
      consumers = await startConsumers(deps, resources.events);
    } catch (error) {
      viewing.stop();
      await store.close();
      throw error;
    }
    return {
      deps,
      readiness: { mongo: () => store.mongo.ping() },
      async close() {
        viewing.stop();
        await consumers.stop();
        await store.close();
      },
    };
  },
  context: (base, deps) => ({ ...base, chat: deps, loaders: createLoaders(deps, base.viewer) }),
});
