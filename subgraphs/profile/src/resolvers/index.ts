import type { GraphQLResolverMap } from '@social/kit';
import type { ProfileContext } from '../subgraph.js';

/** Resolvers by type, one file per GraphQL type; the Profile subgraph issue fills them in. */
export const resolvers: GraphQLResolverMap<ProfileContext> = {};
