import { defineSubgraph, loadSdl, withNotImplemented, type BaseContext } from '@social/kit';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';

/** The media subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface MediaContext extends BaseContext {
  readonly loaders: Loaders;
}

/** Builds the media service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<MediaContext>({
  name: 'media',
  typeDefs,
  // NOT_IMPLEMENTED answers for every root field and entity reference until the Media subgraph issue lands.
  resolvers: withNotImplemented(typeDefs, resolvers),
  context: (base) => ({ ...base, loaders: createLoaders() }),
});
