import { defineSubgraph, loadSdl, withNotImplemented, type BaseContext } from '@social/kit';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';

/** The profile subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface ProfileContext extends BaseContext {
  readonly loaders: Loaders;
}

/** Builds the profile service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<ProfileContext>({
  name: 'profile',
  typeDefs,
  // NOT_IMPLEMENTED answers for every root field and entity reference until the Profile subgraph issue lands.
  resolvers: withNotImplemented(typeDefs, resolvers),
  context: (base) => ({ ...base, loaders: createLoaders() }),
});
