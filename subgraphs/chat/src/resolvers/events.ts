import { visibleConversation, visibleEventMessage } from '../access.js';
import type {
  ConversationEventPayload,
  ListUpdatePayload,
  PresencePayload,
  TypingPayload,
} from '../realtime/channels.js';
import { totalUnreadCount } from '../services/conversations.js';
import type { ChatContext } from '../subgraph.js';
import { userRef } from './Conversation.js';
import { participantOf } from '../data/conversations.js';

/**
 * The realtime payload types. Each event carries ids; the conversation is read through the
 * event's own loaders (a fresh context per event), as the viewer may see it at that moment. A
 * message event's message comes from its snapshot, as committed (snapshot.ts), with the same
 * access rules; the events that follow (edits, deletions, reactions) bring later states.
 */

type Payload<K extends ConversationEventPayload['kind']> = Extract<ConversationEventPayload, { kind: K }>;

const TYPE_OF_KIND: Record<ConversationEventPayload['kind'], string> = {
  MessageAdded: 'MessageAddedEvent',
  MessageEdited: 'MessageEditedEvent',
  MessageDeleted: 'MessageDeletedEvent',
  ReactionChanged: 'MessageReactionChangedEvent',
  ReadReceipt: 'ReadReceiptEvent',
  ParticipantChanged: 'ParticipantChangedEvent',
  ConversationUpdated: 'ConversationUpdatedEvent',
};

type MessageEvent = Payload<'MessageAdded' | 'MessageEdited' | 'ReactionChanged'>;

const message = (event: MessageEvent, _args: unknown, context: ChatContext) =>
  visibleEventMessage(context.loaders, context.viewer?.id, event);

export const eventResolvers = {
  ConversationEvent: {
    __resolveType: (event: ConversationEventPayload) => TYPE_OF_KIND[event.kind],
  },
  MessageAddedEvent: { message },
  MessageEditedEvent: { message },
  MessageReactionChangedEvent: {
    message,
    user: (event: Payload<'ReactionChanged'>) => userRef(event.userId),
  },
  ReadReceiptEvent: {
    user: (event: Payload<'ReadReceipt'>) => userRef(event.userId),
  },
  ParticipantChangedEvent: {
    user: (event: Payload<'ParticipantChanged'>) => userRef(event.userId),
    actor: (event: Payload<'ParticipantChanged'>) => userRef(event.actorId),
  },
  ConversationUpdatedEvent: {
    conversation: (event: Payload<'ConversationUpdated'>, _args: unknown, context: ChatContext) =>
      visibleConversation(context.loaders, context.viewer?.id, event.conversationId),
    actor: (event: Payload<'ConversationUpdated'>) => userRef(event.actorId),
  },
  ConversationListUpdate: {
    conversation: (event: ListUpdatePayload, _args: unknown, context: ChatContext) =>
      event.reason === 'REMOVED'
        ? null
        : visibleConversation(context.loaders, context.viewer?.id, event.conversationId),
    unreadCount: async (event: ListUpdatePayload, _args: unknown, context: ChatContext) => {
      if (event.reason === 'REMOVED' || !context.viewer) return 0;
      const conversation = await visibleConversation(
        context.loaders,
        context.viewer.id,
        event.conversationId,
      );
      return conversation ? (participantOf(conversation, context.viewer.id)?.unreadCount ?? 0) : 0;
    },
    totalUnreadCount: (_event: ListUpdatePayload, _args: unknown, context: ChatContext) =>
      context.viewer ? totalUnreadCount(context.chat, context.viewer.id) : 0,
  },
  TypingIndicator: {
    user: (indicator: TypingPayload) => userRef(indicator.userId),
  },
  ChatPresenceUpdate: {
    user: (update: PresencePayload) => userRef(update.userId),
  },
};
