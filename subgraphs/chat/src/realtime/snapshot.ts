import { BSON } from 'mongodb';
import type { ConversationDocument, MessageDocument } from '../data/collections.js';
import { activeParticipants } from '../data/conversations.js';

/**
 * What a message event carries so that each subscriber resolves it without reading MongoDB: the
 * message document as the mutation committed it and, for a new message, who the conversation's
 * active participants were in that commit. Pub/sub payloads are JSON (kit pubsub.ts), so the
 * document travels as relaxed Extended JSON and is decoded once per event and process: every
 * subscriber of the instance gets the same parsed payload object, and the decoded document is
 * shared read-only by their per-event contexts (loaders are primed with it, never kept longer).
 */
export interface MessageSnapshot {
  /** The stored message document, relaxed Extended JSON. */
  readonly message: Record<string, unknown>;
  /** Ids of the active participants when the message was committed (new messages only). */
  readonly participants?: readonly string[];
}

export interface DecodedSnapshot {
  readonly message: MessageDocument;
  /** Null when the snapshot does not say (the conversation is then read as usual). */
  readonly participants: ReadonlySet<string> | null;
}

/** The snapshot of `message`; with `conversation` (its state in the same commit) its participants too. */
export function messageSnapshot(
  message: MessageDocument,
  conversation?: ConversationDocument,
): MessageSnapshot {
  const encoded = BSON.EJSON.serialize(message, { relaxed: true }) as Record<string, unknown>;
  return conversation
    ? { message: encoded, participants: activeParticipants(conversation).map((p) => p.userId) }
    : { message: encoded };
}

const decoded = new WeakMap<MessageSnapshot, DecodedSnapshot>();

/** The snapshot's document and participants, decoded on first use for all of its subscribers. */
export function decodeSnapshot(snapshot: MessageSnapshot): DecodedSnapshot {
  let result = decoded.get(snapshot);
  if (!result) {
    result = {
      message: BSON.EJSON.deserialize(snapshot.message, { relaxed: true }) as MessageDocument,
      participants: snapshot.participants ? new Set(snapshot.participants) : null,
    };
    decoded.set(snapshot, result);
  }
  return result;
}
