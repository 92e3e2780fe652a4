import { textSearchPage } from '@social/kit';
import type { ClientSession, Filter, ObjectId } from 'mongodb';
import type { MessageDocument } from './collections.js';
import type { ChatStore } from './store.js';

/** Reads of `messages`: pages by sequence, unread counts, search. */

/** Messages of a conversation the viewer sees: everything but what they deleted for themselves. */
function visibleTo(conversationId: string, viewerId: string): Filter<MessageDocument> {
  return { conversationId, deletedFor: { $ne: viewerId } };
}

/**
 * A page of messages by sequence (index `conversation_sequence_unique`): forward after a
 * sequence, or backward before one (newest first, the caller reverses). `limit` includes the
 * extra row that tells whether more exist.
 */
export function pageMessages(
  store: ChatStore,
  options: {
    conversationId: string;
    viewerId: string;
    direction: 'forward' | 'backward';
    /** Exclusive bound: after it (forward) or before it (backward). */
    bound: number | null;
    limit: number;
  },
): Promise<MessageDocument[]> {
  const filter = visibleTo(options.conversationId, options.viewerId);
  const forward = options.direction === 'forward';
  if (options.bound !== null) filter.sequence = forward ? { $gt: options.bound } : { $lt: options.bound };
  return store.messages
    .find(filter)
    .sort({ sequence: forward ? 1 : -1 })
    .limit(options.limit)
    .toArray();
}

/** The newest message the viewer has not deleted for themselves. */
export function latestVisible(
  store: ChatStore,
  conversationId: string,
  viewerId: string,
): Promise<MessageDocument | null> {
  return store.messages.findOne(visibleTo(conversationId, viewerId), { sort: { sequence: -1 } });
}

/** The messages with sequences in [from, to) (a subscriber's gap). */
export function messagesInRange(
  store: ChatStore,
  conversationId: string,
  from: number,
  to: number,
): Promise<MessageDocument[]> {
  return store.messages
    .find(
      { conversationId, sequence: { $gte: from, $lt: to } },
      { projection: { sequence: 1, createdAt: 1 } },
    )
    .sort({ sequence: 1 })
    .toArray();
}

/**
 * What unreadCount counts, from the messages themselves: after `afterSequence`, from others, not
 * deleted for everyone nor for the user. The stored counters always equal it.
 */
export function countUnread(
  store: ChatStore,
  session: ClientSession | undefined,
  conversationId: string,
  userId: string,
  afterSequence: number,
): Promise<number> {
  return store.messages.countDocuments(
    {
      conversationId,
      sequence: { $gt: afterSequence },
      senderId: { $ne: userId },
      isDeleted: false,
      deletedFor: { $ne: userId },
    },
    session ? { session } : {},
  );
}

export function findClientMessage(
  store: ChatStore,
  conversationId: string,
  senderId: string,
  clientMessageId: string,
): Promise<MessageDocument | null> {
  return store.messages.findOne({ conversationId, senderId, clientMessageId });
}

export type ScoredMessage = MessageDocument & { readonly searchScore: number };

/** Position after which a search page starts: the last result's score and id. */
export interface SearchPosition {
  readonly score: number;
  readonly id: ObjectId;
}

/**
 * Full-text search over content (text index `content_text`) in the given conversations, best
 * match first, then by id, leaving out messages deleted for everyone or for the viewer.
 */
export function searchMessages(
  store: ChatStore,
  options: {
    text: string;
    viewerId: string;
    conversationIds: readonly string[];
    after: SearchPosition | null;
    limit: number;
  },
): Promise<ScoredMessage[]> {
  const match: Filter<MessageDocument> = {
    $text: { $search: options.text },
    conversationId: { $in: [...options.conversationIds] },
    isDeleted: false,
    deletedFor: { $ne: options.viewerId },
  };
  return store.messages
    .aggregate<ScoredMessage>(textSearchPage(match, options.after ?? null, options.limit, 1))
    .toArray();
}
