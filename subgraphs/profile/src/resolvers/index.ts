import type { GraphQLResolverMap } from '@social/kit';
import type { ProfileContext } from '../subgraph.js';
import { enumResolvers } from './enums.js';
import { FriendRequest } from './FriendRequest.js';
import { Mutation as ProfileMutation } from './Mutation.js';
import { GraphMutation } from './MutationGraph.js';
import { Query as ProfileQuery } from './Query.js';
import { GraphQuery } from './QueryGraph.js';
import { User as ProfileUser } from './User.js';
import { GraphUser } from './UserGraph.js';

/**
 * Resolvers by type, one file per GraphQL type. User, Query and Mutation are split in two: the
 * profile document's fields (User.ts, Query.ts, Mutation.ts) and the social graph's
 * (UserGraph.ts, QueryGraph.ts, MutationGraph.ts: friends, follows, blocks, presence).
 */
export const resolvers: GraphQLResolverMap<ProfileContext> = {
  ...enumResolvers,
  Query: { ...ProfileQuery, ...GraphQuery },
  Mutation: { ...ProfileMutation, ...GraphMutation },
  User: { ...ProfileUser, ...GraphUser },
  FriendRequest,
} as GraphQLResolverMap<ProfileContext>;
