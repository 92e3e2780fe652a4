import type { GraphQLResolverMap } from '@social/kit';
import { enumResolvers } from '../enums.js';
import type { ChatContext } from '../subgraph.js';
import { Conversation, ConversationParticipant } from './Conversation.js';
import { eventResolvers } from './events.js';
import { Message } from './Message.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';

/** Resolvers by type, one file per GraphQL type (the realtime payload types together in events.ts). */
export const resolvers: GraphQLResolverMap<ChatContext> = {
  ...enumResolvers,
  Query,
  Mutation,
  Subscription,
  Conversation,
  ConversationParticipant,
  Message,
  ...eventResolvers,
} as GraphQLResolverMap<ChatContext>;
