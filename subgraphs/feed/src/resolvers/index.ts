import type { GraphQLResolverMap } from '@social/kit';
import type { FeedContext } from '../subgraph.js';
import { Comment } from './Comment.js';
import { enumResolvers } from './enums.js';
import { FeedReactable } from './FeedReactable.js';
import { Hashtag } from './Hashtag.js';
import { CommentMutation } from './MutationComments.js';
import { EngagementMutation } from './MutationEngagement.js';
import { PostMutation } from './MutationPosts.js';
import { Post } from './Post.js';
import { Query } from './Query.js';
import { User } from './User.js';

/**
 * Resolvers by type, one file per GraphQL type; Mutation is split in three: the author's posts
 * (MutationPosts.ts), comments (MutationComments.ts) and reactions, shares and votes
 * (MutationEngagement.ts).
 */
export const resolvers: GraphQLResolverMap<FeedContext> = {
  ...enumResolvers,
  Query,
  Mutation: { ...PostMutation, ...CommentMutation, ...EngagementMutation },
  Post,
  Comment,
  FeedReactable,
  Hashtag,
  User,
} as GraphQLResolverMap<FeedContext>;
