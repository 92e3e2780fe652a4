import type { GraphQLResolverMap } from '@social/kit';
import type { MediaContext } from '../subgraph.js';

/** Resolvers by type, one file per GraphQL type; the Media subgraph issue fills them in. */
export const resolvers: GraphQLResolverMap<MediaContext> = {};
