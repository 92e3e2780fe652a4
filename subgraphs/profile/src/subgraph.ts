import { defineSubgraph, loadConfig, loadSdl, type BaseContext } from '@social/kit';
import { profileConfigSchema } from './config.js';
import { startConsumers } from './consumers.js';
import { openProfileStore } from './data/store.js';
import type { ProfileDeps } from './deps.js';
import { startGraphCleanup } from './graph-cleanup.js';
import { createLoaders, type Loaders } from './loaders.js';
import { createPresenceStore, startPresenceSweep } from './presence-store.js';
import { resolvers } from './resolvers/index.js';

/** The profile subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface ProfileContext extends BaseContext {
  readonly loaders: Loaders;
  readonly profile: ProfileDeps;
}

/** Builds the profile service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<ProfileContext, ProfileDeps>({
  name: 'profile',
  typeDefs,
  resolvers,
  async connect(resources) {
    const config = loadConfig('profile', profileConfigSchema, resources.env);
    const logger = resources.logger.child({ subgraph: 'profile' });
    const store = await openProfileStore({ config, env: resources.env, events: resources.events, logger });
    const presence = createPresenceStore({ redis: resources.redis, ttlSeconds: config.PRESENCE_TTL_SECONDS });
    const deps: ProfileDeps = { config, store, presence, logger };
    const graphCleanup = startGraphCleanup(deps);
    let consumers: Awaited<ReturnType<typeof startConsumers>> | undefined;
    try {
      consumers = await startConsumers(deps, resources.events, graphCleanup);
    } catch (error) {
      await graphCleanup.stop();
      await store.close();
      throw error;
    }
    const sweep = startPresenceSweep(deps);
    return {
      deps,
      readiness: { mongo: () => store.mongo.ping() },
      async close() {
        await sweep.stop();
        await consumers?.stop();
        await graphCleanup.stop();
        await store.close();
      },
    };
  },
  context: (base, deps) => ({
    ...base,
    profile: deps,
    loaders: createLoaders(deps.store, deps.presence, base.viewer),
  }),
});
