import { badUserInput, requireViewer } from '@social/kit';
import { visibleConversation, visibleMessage } from '../access.js';
import type { ConversationDocument } from '../data/collections.js';
import { parseObjectId } from '../data/conversations.js';
import { totalUnreadCount } from '../services/conversations.js';
import type { ChatContext } from '../subgraph.js';
import {
  conversationsConnection,
  messagesConnection,
  searchConnection,
  type MessagePageArgs,
} from './paging.js';

/** Reads: the viewer's conversations and messages only (DESIGN 11: checked where the data lives). */

function idArg(value: string, field: string): string {
  if (!parseObjectId(value)) throw badUserInput(`${field} is not a valid id`, field);
  return value;
}

export const Query = {
  conversations: (
    _root: unknown,
    args: {
      archived?: boolean | null;
      type?: ConversationDocument['type'] | null;
      first?: number | null;
      after?: string | null;
    },
    context: ChatContext,
  ) => conversationsConnection(context, args),
  conversation: (_root: unknown, args: { id: string }, context: ChatContext) => {
    const viewer = requireViewer(context);
    return visibleConversation(context.loaders, viewer.id, idArg(args.id, 'id'));
  },
  messages: (_root: unknown, args: MessagePageArgs & { conversationId: string }, context: ChatContext) =>
    messagesConnection(context, args.conversationId, args),
  message: (_root: unknown, args: { id: string }, context: ChatContext) => {
    const viewer = requireViewer(context);
    return visibleMessage(context.loaders, viewer.id, idArg(args.id, 'id'));
  },
  searchMessages: (
    _root: unknown,
    args: { query: string; conversationId?: string | null; first?: number | null; after?: string | null },
    context: ChatContext,
  ) => searchConnection(context, args),
  totalUnreadCount: (_root: unknown, _args: unknown, context: ChatContext) =>
    totalUnreadCount(context.chat, requireViewer(context).id),
};
