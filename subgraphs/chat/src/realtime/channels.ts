import type { Logger, PubSub } from '@social/kit';
import type { StoredRole } from '../data/collections.js';
import type { ParticipantChangeName } from '../events.js';
import type { MessageSnapshot } from './snapshot.js';

/**
 * The pub/sub channels of the chat subgraph (DESIGN 8) and what travels on them. Payloads are
 * small facts (ids, sequences); subscribers resolve the current state through their per-event
 * DataLoaders, so what they see is what a query would show them at that moment. Message events
 * also carry the message as committed (snapshot.ts): with 1,000 subscribers, each re-reading it
 * would cost 1,000 reads of the same document per event.
 */
export const channels = {
  /** Everything that happens in one conversation (Subscription.conversationEvents). */
  conversation: (conversationId: string) => `chat:conversation:${conversationId}`,
  /** Changes to one user's conversation list (Subscription.myConversationsUpdated). */
  user: (userId: string) => `chat:user:${userId}`,
  /** Typing indicators of one conversation (Subscription.typing). */
  typing: (conversationId: string) => `chat:typing:${conversationId}`,
  /** Presence changes relayed from profile's PresenceChanged (Subscription.presenceChanged). */
  presence: 'chat:presence',
} as const;

export type ConversationUpdateReason =
  'NEW_MESSAGE' | 'MESSAGE_CHANGED' | 'READ' | 'JOINED' | 'REMOVED' | 'DETAILS_CHANGED' | 'SETTINGS_CHANGED';

interface Base {
  readonly conversationId: string;
  readonly occurredAt: string;
}

export type ConversationEventPayload =
  | (Base & {
      readonly kind: 'MessageAdded';
      readonly messageId: string;
      readonly sequence: number;
      /** Absent when read back from the database by a subscriber filling a gap. */
      readonly snapshot?: MessageSnapshot;
    })
  | (Base & {
      readonly kind: 'MessageEdited';
      readonly messageId: string;
      readonly sequence: number;
      readonly snapshot?: MessageSnapshot;
    })
  | (Base & {
      readonly kind: 'MessageDeleted';
      readonly messageId: string;
      readonly sequence: number;
      readonly forEveryone: boolean;
      /** Deleted for one viewer only: the event goes to that viewer's subscriptions alone. */
      readonly onlyUserId: string | null;
    })
  | (Base & {
      readonly kind: 'ReactionChanged';
      readonly messageId: string;
      readonly userId: string;
      readonly emoji: string | null;
      readonly snapshot?: MessageSnapshot;
    })
  | (Base & {
      readonly kind: 'ReadReceipt';
      readonly userId: string;
      readonly receiptType: 'DELIVERED' | 'READ';
      readonly upToMessageId: string;
      readonly upToSequence: number;
    })
  | (Base & {
      readonly kind: 'ParticipantChanged';
      readonly userId: string;
      readonly change: ParticipantChangeName;
      readonly role: StoredRole | null;
      readonly actorId: string;
    })
  | (Base & { readonly kind: 'ConversationUpdated'; readonly actorId: string });

export interface ListUpdatePayload extends Base {
  readonly reason: ConversationUpdateReason;
}

export interface TypingPayload {
  readonly conversationId: string;
  readonly userId: string;
  readonly isTyping: boolean;
  /** ISO time the indicator lapses unless renewed; null when it stopped. */
  readonly expiresAt: string | null;
  /**
   * Set when `userId` left or was removed: their indicator stops, and their own typing streams of
   * the conversation end (they may no longer see who types).
   */
  readonly departed?: true;
}

export interface PresencePayload {
  readonly userId: string;
  readonly isOnline: boolean;
  readonly lastSeenAt: string | null;
  readonly showOnlineStatus: boolean;
  readonly showLastSeen: boolean;
}

/**
 * Publishes after a commit. Pub/sub is best effort (kit pubsub.ts): a failed publish is logged,
 * never turned into a failed mutation whose change already committed; subscribers recover
 * missing messages by sequence (streams.ts) and clients resync on reconnect.
 */
export class Notifier {
  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  conversation(payload: ConversationEventPayload): Promise<void> {
    return this.send(channels.conversation(payload.conversationId), payload);
  }

  async users(userIds: Iterable<string>, payload: ListUpdatePayload): Promise<void> {
    await Promise.all([...new Set(userIds)].map((userId) => this.send(channels.user(userId), payload)));
  }

  typing(payload: TypingPayload): Promise<void> {
    return this.send(channels.typing(payload.conversationId), payload);
  }

  /** `userId` is no longer a participant: their indicator stops and their typing streams end. */
  departed(conversationId: string, userId: string): Promise<void> {
    return this.typing({ conversationId, userId, isTyping: false, expiresAt: null, departed: true });
  }

  presence(payload: PresencePayload): Promise<void> {
    return this.send(channels.presence, payload);
  }

  private async send(channel: string, payload: unknown): Promise<void> {
    try {
      await this.pubsub.publish(channel, payload);
    } catch (err) {
      this.logger.warn({ err, channel }, 'realtime publish failed; subscribers resync');
    }
  }
}
