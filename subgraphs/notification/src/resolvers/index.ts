import type { GraphQLResolverMap } from '@social/kit';
import type { NotificationContext } from '../subgraph.js';

/** Resolvers by type, one file per GraphQL type; the Notification subgraph issue fills them in. */
export const resolvers: GraphQLResolverMap<NotificationContext> = {};
