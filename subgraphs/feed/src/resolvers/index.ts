import type { GraphQLResolverMap } from '@social/kit';
import type { FeedContext } from '../subgraph.js';

/** Resolvers by type, one file per GraphQL type; the Feed subgraph issue fills them in. */
export const resolvers: GraphQLResolverMap<FeedContext> = {};
