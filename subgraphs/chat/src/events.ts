/**
 * Events of the chat subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id). Every event is written to the `event_outbox`
 * collection in the transaction of the change it describes (the message's own transaction for
 * MessageSent) and relayed from there (kit `createMongoOutbox`), so none is lost.
 *
 * Publishes to stream `chat` (below). Consumes (consumers.ts): auth (UserRegistered, UserUpdated,
 * UserDeleted, UserStatusChanged), profile (the social replica's types plus PresenceChanged) and
 * media (MediaUploaded, MediaProcessed, MediaUpdated, MediaDeleted).
 *
 * Dates are ISO-8601 strings; enum values are the GraphQL names (ONE_ON_ONE, TEXT, ADMIN...).
 */
export const PRODUCER = 'chat';
/** This service's consumer group on other services' streams. */
export const CONSUMER_GROUP = 'chat';

export type ConversationTypeName = 'ONE_ON_ONE' | 'GROUP';
export type MessageTypeName = 'TEXT' | 'MEDIA' | 'FILE' | 'VOICE' | 'LOCATION' | 'CONTACT' | 'SYSTEM';
export type ParticipantRoleName = 'ADMIN' | 'MEMBER';
export type ParticipantChangeName = 'ADDED' | 'REMOVED' | 'LEFT' | 'ROLE_CHANGED';

/** One recipient of a message, with what the notification service needs to decide. */
export interface MessageRecipient {
  readonly userId: string;
  /** The recipient muted the conversation: no Message notification. */
  readonly muted: boolean;
  /**
   * The recipient held a conversationEvents subscription to this conversation when the message
   * was sent (they are looking at it): no notification needed.
   */
  readonly viewing: boolean;
  /** The recipient is @mentioned in the message. */
  readonly mentioned: boolean;
}

export interface ChatEventMap {
  /**
   * A message was stored (SYSTEM messages included, generated for group changes). `recipients`
   * are the other active participants at that moment; the sender is never one.
   */
  MessageSent: {
    readonly messageId: string;
    readonly conversationId: string;
    readonly conversationType: ConversationTypeName;
    /** The group's name; null for direct conversations. */
    readonly conversationName: string | null;
    readonly sequence: number;
    readonly senderId: string;
    readonly senderUsername: string;
    readonly senderDisplayName: string;
    readonly messageType: MessageTypeName;
    /** The start of the text (at most 200 characters); null when the message has none. */
    readonly preview: string | null;
    /** Ids of the mentioned participants. */
    readonly mentions: readonly string[];
    readonly recipients: readonly MessageRecipient[];
    readonly sentAt: string;
  };
  /** A direct conversation was started or a group created. */
  ConversationCreated: {
    readonly conversationId: string;
    readonly conversationType: ConversationTypeName;
    readonly name: string | null;
    readonly createdBy: string;
    readonly participantIds: readonly string[];
    readonly createdAt: string;
  };
  /** Users joined, left, were removed from a group or changed role. */
  ParticipantsChanged: {
    readonly conversationId: string;
    readonly conversationName: string | null;
    readonly change: ParticipantChangeName;
    readonly userIds: readonly string[];
    /** The role after the change; null for LEFT and REMOVED. */
    readonly role: ParticipantRoleName | null;
    /** Who made the change (the user themselves for LEFT). */
    readonly actorId: string;
    readonly occurredAt: string;
  };
}

export type ChatEventType = keyof ChatEventMap;
