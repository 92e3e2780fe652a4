import { defineSubgraph, loadConfig, loadSdl, type BaseContext } from '@social/kit';
import { feedConfigSchema } from './config.js';
import { startConsumers } from './consumers.js';
import { openFeedStore } from './data/store.js';
import type { FeedDeps } from './deps.js';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';
import { startTrendJob } from './trends.js';

/** The feed subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface FeedContext extends BaseContext {
  readonly loaders: Loaders;
  readonly feed: FeedDeps;
}

/** Builds the feed service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<FeedContext, FeedDeps>({
  name: 'feed',
  typeDefs,
  resolvers,
  async connect(resources) {
    const config = loadConfig('feed', feedConfigSchema, resources.env);
    const logger = resources.logger.child({ subgraph: 'feed' });
    const store = await openFeedStore({ config, env: resources.env, events: resources.events, logger });
    const deps: FeedDeps = { config, store, logger };
    let consumers: Awaited<ReturnType<typeof startConsumers>>;
    try {
      consumers = await startConsumers(deps, resources.events);
    } catch (error) {
      await store.close();
      throw error;
    }
    const trends = startTrendJob(deps);
    return {
      deps,
      readiness: { mongo: () => store.mongo.ping() },
      async close() {
        await trends.stop();
        await consumers.stop();
        await store.close();
      },
    };
  },
  context: (base, deps) => ({
    ...base,
    feed: deps,
    loaders: createLoaders(deps.store, base.viewer),
  }),
});
