import type { GraphQLResolverMap } from '@social/kit';
import type { ChatContext } from '../subgraph.js';

/** Resolvers by type, one file per GraphQL type; the Chat subgraph issue fills them in. */
export const resolvers: GraphQLResolverMap<ChatContext> = {};
