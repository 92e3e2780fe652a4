import { requireViewer } from '@social/kit';
import { conversationIdArg } from '../access.js';
import { setTyping, setViewerFlag, startDirectConversation } from '../services/conversations.js';
import {
  addParticipants,
  createGroup,
  leaveConversation,
  removeParticipant,
  setParticipantRole,
  updateGroup,
} from '../services/groups.js';
import { deleteMessage, editMessage, react, unreact } from '../services/message-actions.js';
import { markDelivered, markRead } from '../services/receipts.js';
import { sendMessage } from '../services/send.js';
import type { ChatContext } from '../subgraph.js';

/** Writes; each validates its input first and runs in services/ (one transaction per change). */

type Args = Record<string, unknown>;

/** The signed-in viewer, the service and the request's loaders: what every mutation starts from. */
function start(context: ChatContext) {
  return [context.chat, context.loaders, requireViewer(context)] as const;
}

function conversationId(args: Args): string {
  const id = String(args.conversationId);
  conversationIdArg(id);
  return id;
}

export const Mutation = {
  startDirectConversation: (_root: unknown, args: Args, context: ChatContext) =>
    startDirectConversation(...start(context), args.userId),
  createGroup: (_root: unknown, args: Args, context: ChatContext) =>
    createGroup(...start(context), args.input),
  updateGroup: (_root: unknown, args: { input: Args }, context: ChatContext) =>
    updateGroup(...start(context), args.input),
  addParticipants: (_root: unknown, args: Args, context: ChatContext) =>
    addParticipants(...start(context), String(args.conversationId), args.userIds),
  removeParticipant: (_root: unknown, args: Args, context: ChatContext) =>
    removeParticipant(...start(context), String(args.conversationId), args.userId),
  leaveConversation: (_root: unknown, args: Args, context: ChatContext) =>
    leaveConversation(...start(context), String(args.conversationId)),
  setParticipantRole: (_root: unknown, args: Args, context: ChatContext) =>
    setParticipantRole(...start(context), args.input),
  muteConversation: (_root: unknown, args: Args, context: ChatContext) =>
    setViewerFlag(...start(context), conversationId(args), 'isMuted', args.muted !== false),
  archiveConversation: (_root: unknown, args: Args, context: ChatContext) =>
    setViewerFlag(...start(context), conversationId(args), 'isArchived', args.archived !== false),
  sendMessage: (_root: unknown, args: Args, context: ChatContext) =>
    sendMessage(...start(context), args.input),
  editMessage: (_root: unknown, args: Args, context: ChatContext) =>
    editMessage(...start(context), String(args.messageId), args.content),
  deleteMessage: (_root: unknown, args: Args, context: ChatContext) =>
    deleteMessage(...start(context), String(args.messageId), args.forEveryone === true),
  reactToMessage: (_root: unknown, args: Args, context: ChatContext) =>
    react(...start(context), String(args.messageId), args.emoji),
  unreactToMessage: (_root: unknown, args: Args, context: ChatContext) =>
    unreact(...start(context), String(args.messageId)),
  markRead: (_root: unknown, args: Args, context: ChatContext) =>
    markRead(...start(context), conversationId(args), args.upToMessageId as string | null | undefined),
  markDelivered: (_root: unknown, args: Args, context: ChatContext) =>
    markDelivered(...start(context), conversationId(args), String(args.upToMessageId)),
  setTyping: (_root: unknown, args: Args, context: ChatContext) =>
    setTyping(...start(context), conversationId(args), args.isTyping === true),
};
