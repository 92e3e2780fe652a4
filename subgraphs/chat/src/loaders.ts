import { createBatchLoader, createOrderedLoader, type DataLoader, type Viewer } from '@social/kit';
import type { ConversationDocument, MessageDocument } from './data/collections.js';
import { activeParticipants, parseObjectId } from './data/conversations.js';
import { latestVisible } from './data/messages.js';
import type { ChatDeps } from './deps.js';

/**
 * Per-request DataLoaders of the chat subgraph (DESIGN 10): built in the context factory for
 * every request and every subscription event, so an event never sees a value cached before it
 * happened. A page of N conversations or messages costs one `$in` query per kind of lookup.
 * The loaders return stored documents; access rules are applied by access.ts.
 */
export interface Loaders {
  /** Conversations by id (hex). */
  readonly conversation: DataLoader<string, ConversationDocument | null>;
  /** Messages by id (hex). */
  readonly message: DataLoader<string, MessageDocument | null>;
  /** The newest message of a conversation the viewer has not deleted for themselves. */
  readonly lastMessage: DataLoader<string, MessageDocument | null>;
  /** Ids of the other participants typing in a conversation now. */
  readonly typingUsers: DataLoader<string, string[]>;
}

export function createLoaders(deps: ChatDeps, viewer: Viewer | null): Loaders {
  const { store } = deps;
  const conversation = createBatchLoader<string, ConversationDocument>(
    (ids) =>
      store.conversations.find({ _id: { $in: ids.flatMap((id) => parseObjectId(id) ?? []) } }).toArray(),
    (doc) => doc._id.toHexString(),
  );
  const message = createBatchLoader<string, MessageDocument>(
    (ids) => store.messages.find({ _id: { $in: ids.flatMap((id) => parseObjectId(id) ?? []) } }).toArray(),
    (doc) => doc._id.toHexString(),
  );
  // The denormalized lastMessage names the newest message: one `$in` for a page of conversations.
  // Only when the viewer deleted that one for themselves is the conversation searched further.
  const lastMessage = createOrderedLoader<string, MessageDocument | null>(async (ids) => {
    const conversations = await conversation.loadMany([...ids]);
    const newest = await message.loadMany(
      conversations.map((doc) => (doc instanceof Error ? null : doc?.lastMessage?.messageId) ?? ''),
    );
    return Promise.all(
      ids.map(async (id, index) => {
        const doc = conversations[index];
        if (!viewer || !doc || doc instanceof Error || !doc.lastMessage) return null;
        const candidate = newest[index];
        if (candidate && !(candidate instanceof Error) && !candidate.deletedFor.includes(viewer.id)) {
          return candidate;
        }
        return latestVisible(store, id, viewer.id);
      }),
    );
  });
  const typingUsers = createOrderedLoader<string, string[]>(async (ids) => {
    const conversations = await conversation.loadMany([...ids]);
    // One Redis round trip for the whole page of conversations.
    return deps.typing.typingUsers(
      ids.map((id, index) => {
        const doc = conversations[index];
        const userIds =
          !doc || doc instanceof Error
            ? []
            : activeParticipants(doc)
                .map((participant) => participant.userId)
                .filter((userId) => userId !== viewer?.id);
        return { conversationId: id, userIds };
      }),
    );
  });
  return { conversation, message, lastMessage, typingUsers };
}
