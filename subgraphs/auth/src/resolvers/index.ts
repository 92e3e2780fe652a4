import type { GraphQLResolverMap } from '@social/kit';
import type { AuthContext } from '../subgraph.js';
import { Query } from './Query.js';

/** Resolvers by type, one file per GraphQL type. */
export const resolvers: GraphQLResolverMap<AuthContext> = { Query };
