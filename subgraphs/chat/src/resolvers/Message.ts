import { visibleConversation, visibleMessage } from '../access.js';
import type { ConversationDocument, MessageDocument, ReceiptDocument } from '../data/collections.js';
import { activeParticipants } from '../data/conversations.js';
import type { ChatContext } from '../subgraph.js';
import { userRef } from './Conversation.js';

/**
 * A message as the viewer sees it. Users (sender, mentions, reactions, receipts) are entity
 * references resolved by auth and profile in one batched fetch per page; what chat looks up
 * (conversation, reply) goes through the request's loaders.
 */

interface ReactionGroup {
  emoji: string;
  count: number;
  users: Array<{ __typename: 'User'; id: string }>;
  viewerReacted: boolean;
  firstAt: number;
}

function receipts(list: readonly ReceiptDocument[], senderId: string) {
  return [...list]
    .filter((receipt) => receipt.userId !== senderId)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((receipt) => ({ user: userRef(receipt.userId), at: receipt.at }));
}

/** SENT / DELIVERED / READ from the other active participants' positions. */
function statusOf(message: MessageDocument, conversation: ConversationDocument | null): string {
  const others = conversation
    ? activeParticipants(conversation).filter((participant) => participant.userId !== message.senderId)
    : [];
  if (others.every((participant) => participant.lastReadSequence >= message.sequence)) return 'READ';
  if (others.every((participant) => participant.lastDeliveredSequence >= message.sequence))
    return 'DELIVERED';
  return 'SENT';
}

export const Message = {
  __resolveReference: (reference: { id: string }, context: ChatContext) =>
    visibleMessage(context.loaders, context.viewer?.id, reference.id),
  id: (message: MessageDocument) => message._id.toHexString(),
  conversation: (message: MessageDocument, _args: unknown, context: ChatContext) =>
    visibleConversation(context.loaders, context.viewer?.id, message.conversationId),
  clientMessageId: (message: MessageDocument, _args: unknown, context: ChatContext) =>
    context.viewer?.id === message.senderId ? message.clientMessageId : null,
  sender: (message: MessageDocument) => userRef(message.senderId),
  content: (message: MessageDocument) => (message.isDeleted ? null : message.content),
  media: (message: MessageDocument) =>
    message.isDeleted
      ? []
      : message.mediaUrls.map((media) => ({ __typename: 'MediaFile', id: media.mediaId })),
  replyTo: (message: MessageDocument, _args: unknown, context: ChatContext) =>
    message.replyTo ? visibleMessage(context.loaders, context.viewer?.id, message.replyTo.messageId) : null,
  mentions: (message: MessageDocument) =>
    message.isDeleted ? [] : message.mentions.map((mention) => userRef(mention.userId)),
  location: (message: MessageDocument) =>
    message.location && !message.isDeleted
      ? {
          coordinates: { latitude: message.location.latitude, longitude: message.location.longitude },
          name: message.location.name,
          address: message.location.address,
        }
      : null,
  sharedContact: (message: MessageDocument) =>
    message.contactUserId && !message.isDeleted ? userRef(message.contactUserId) : null,
  reactions: (message: MessageDocument, _args: unknown, context: ChatContext) => {
    const groups = new Map<string, ReactionGroup>();
    const sorted = [...message.reactions].sort((a, b) => a.addedAt.getTime() - b.addedAt.getTime());
    for (const reaction of sorted) {
      let group = groups.get(reaction.emoji);
      if (!group) {
        group = {
          emoji: reaction.emoji,
          count: 0,
          users: [],
          viewerReacted: false,
          firstAt: reaction.addedAt.getTime(),
        };
        groups.set(reaction.emoji, group);
      }
      group.count += 1;
      group.users.push(userRef(reaction.userId));
      if (reaction.userId === context.viewer?.id) group.viewerReacted = true;
    }
    return [...groups.values()].sort((a, b) => b.count - a.count || a.firstAt - b.firstAt);
  },
  viewerReaction: (message: MessageDocument, _args: unknown, context: ChatContext) =>
    message.reactions.find((reaction) => reaction.userId === context.viewer?.id)?.emoji ?? null,
  readBy: (message: MessageDocument) => receipts(message.readBy, message.senderId),
  deliveredTo: (message: MessageDocument) => receipts(message.deliveredTo, message.senderId),
  status: async (message: MessageDocument, _args: unknown, context: ChatContext) =>
    statusOf(message, await context.loaders.conversation.load(message.conversationId)),
};
