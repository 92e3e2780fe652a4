import { defineSubgraph, loadSdl, withNotImplemented, type BaseContext } from '@social/kit';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';

/** The auth subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface AuthContext extends BaseContext {
  readonly loaders: Loaders;
}

/** Builds the auth service from process-wide resources; starts nothing (see index.ts). */
export const createService = defineSubgraph<AuthContext>({
  name: 'auth',
  typeDefs,
  // NOT_IMPLEMENTED answers for every root field and entity reference until the Auth subgraph issue lands.
  resolvers: withNotImplemented(
    typeDefs,
    resolvers,
    // Until accounts are stored, `me` serves what the verified token says; every other User field
    // fails loudly rather than answering null.
    { partialTypes: { User: ['id', 'username', 'role'] } },
  ),
  context: (base) => ({ ...base, loaders: createLoaders() }),
});
