import { defineSubgraph, loadSdl, withNotImplemented, type BaseContext } from '@social/kit';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';

/** The chat subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface ChatContext extends BaseContext {
  readonly loaders: Loaders;
}

/** Builds the chat service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<ChatContext>({
  name: 'chat',
  typeDefs,
  // NOT_IMPLEMENTED answers for every root field and entity reference until the Chat subgraph issue lands.
  resolvers: withNotImplemented(typeDefs, resolvers),
  context: (base) => ({ ...base, loaders: createLoaders() }),
});
