import type { GraphQLResolverMap } from '@social/kit';
import type { AuthContext } from '../subgraph.js';
import { AccountStatus, LoginStatus, SessionDeviceType, UserRole } from './enums.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { LoginAttempt, Session, User } from './User.js';

/** Resolvers by type, one file per GraphQL type (the small entity-adjacent types live with User). */
export const resolvers = {
  Query,
  Mutation,
  User,
  LoginAttempt,
  Session,
  UserRole,
  AccountStatus,
  LoginStatus,
  SessionDeviceType,
} as unknown as GraphQLResolverMap<AuthContext>;
