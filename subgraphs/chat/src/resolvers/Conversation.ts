import { requireViewer } from '@social/kit';
import { visibleConversation } from '../access.js';
import type { ConversationDocument, ParticipantDocument } from '../data/collections.js';
import { listedParticipants, participantOf } from '../data/conversations.js';
import type { ChatContext } from '../subgraph.js';
import { messagesConnection, type MessagePageArgs } from './paging.js';

/** A conversation as the viewer sees it: their own participation decides the per-viewer fields. */

export const userRef = (id: string) => ({ __typename: 'User' as const, id });

/** The viewer's entry (resolvers only get conversations the viewer takes part in). */
function viewerEntry(conversation: ConversationDocument, context: ChatContext): ParticipantDocument {
  const viewer = requireViewer(context);
  const entry = participantOf(conversation, viewer.id);
  if (!entry) throw new Error('Conversation resolved for a viewer who is not a participant');
  return entry;
}

export const Conversation = {
  __resolveReference: (reference: { id: string }, context: ChatContext) =>
    visibleConversation(context.loaders, context.viewer?.id, reference.id),
  id: (conversation: ConversationDocument) => conversation._id.toHexString(),
  avatar: (conversation: ConversationDocument) =>
    conversation.avatarMediaId ? { __typename: 'MediaFile', id: conversation.avatarMediaId } : null,
  createdBy: (conversation: ConversationDocument) => userRef(conversation.createdBy.userId),
  participants: (conversation: ConversationDocument) => listedParticipants(conversation),
  participantsCount: (conversation: ConversationDocument) => listedParticipants(conversation).length,
  otherParticipant: (conversation: ConversationDocument, _args: unknown, context: ChatContext) => {
    if (conversation.type !== 'OneOnOne') return null;
    const viewer = requireViewer(context);
    const other = conversation.participants.find((participant) => participant.userId !== viewer.id);
    return other ? userRef(other.userId) : null;
  },
  viewerParticipant: (conversation: ConversationDocument, _args: unknown, context: ChatContext) =>
    viewerEntry(conversation, context),
  lastMessage: (conversation: ConversationDocument, _args: unknown, context: ChatContext) =>
    context.loaders.lastMessage.load(conversation._id.toHexString()),
  unreadCount: (conversation: ConversationDocument, _args: unknown, context: ChatContext) =>
    viewerEntry(conversation, context).unreadCount,
  isMuted: (conversation: ConversationDocument, _args: unknown, context: ChatContext) =>
    viewerEntry(conversation, context).isMuted,
  isArchived: (conversation: ConversationDocument, _args: unknown, context: ChatContext) =>
    viewerEntry(conversation, context).isArchived,
  messages: (conversation: ConversationDocument, args: MessagePageArgs, context: ChatContext) =>
    messagesConnection(context, conversation._id.toHexString(), args),
  typingUsers: async (conversation: ConversationDocument, _args: unknown, context: ChatContext) =>
    (await context.loaders.typingUsers.load(conversation._id.toHexString())).map(userRef),
};

export const ConversationParticipant = {
  user: (participant: ParticipantDocument) => userRef(participant.userId),
};
