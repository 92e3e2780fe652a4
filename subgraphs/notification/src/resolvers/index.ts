import type { GraphQLResolverMap } from '@social/kit';
import { enumResolvers } from '../enums.js';
import type { NotificationContext } from '../subgraph.js';
import { Mutation } from './Mutation.js';
import { Notification } from './Notification.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';

/** Resolvers by type, one file per GraphQL type. */
export const resolvers: GraphQLResolverMap<NotificationContext> = {
  ...enumResolvers,
  Query,
  Mutation,
  Subscription,
  Notification,
} as GraphQLResolverMap<NotificationContext>;
