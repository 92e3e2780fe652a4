import { defineSubgraph, loadSdl, withNotImplemented, type BaseContext } from '@social/kit';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';

/** The notification subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface NotificationContext extends BaseContext {
  readonly loaders: Loaders;
}

/** Builds the notification service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<NotificationContext>({
  name: 'notification',
  typeDefs,
  // NOT_IMPLEMENTED answers for every root field and entity reference until the Notification subgraph issue lands.
  resolvers: withNotImplemented(typeDefs, resolvers),
  context: (base) => ({ ...base, loaders: createLoaders() }),
});
