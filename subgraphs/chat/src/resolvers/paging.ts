import {
  badUserInput,
  connectionFromRows,
  decodeListCursor,
  encodeCursor,
  pageSize,
  parseInput,
  requireViewer,
  type Connection,
} from '@social/kit';
import { conversationIdArg, requireParticipation } from '../access.js';
import type { ConversationDocument, MessageDocument } from '../data/collections.js';
import { activeConversationIds, listConversations, parseObjectId } from '../data/conversations.js';
import { pageMessages, searchMessages } from '../data/messages.js';
import type { ChatContext } from '../subgraph.js';
import { searchQuery } from '../validation.js';

/** The connections of the chat subgraph: conversations, messages by sequence, search results. */

export interface MessagePageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

const given = (value: unknown) => value !== null && value !== undefined;

/**
 * Cursors name the list they come from (and, for messages, the conversation), so a cursor given to
 * another list or conversation is BAD_USER_INPUT rather than a silently wrong page.
 */
const CURSOR_KIND = { message: 'msg', conversation: 'conv', search: 'search' } as const;

function cursorParts(cursor: string, kind: string, argName: string): [unknown, unknown] {
  const [first, second] = decodeListCursor(kind, cursor, 2, argName);
  return [first, second];
}

/** A message cursor's sequence: BAD_USER_INPUT unless it is one of this conversation's. */
function sequenceOf(cursor: string, argName: string, conversationId: string): number {
  const [owner, value] = cursorParts(cursor, CURSOR_KIND.message, argName);
  if (owner !== conversationId) {
    throw badUserInput(`${argName} is a cursor of another conversation`, argName);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw badUserInput(`${argName} is not a valid cursor`, argName);
  }
  return value;
}

const messageCursor = (message: MessageDocument) => [
  CURSOR_KIND.message,
  message.conversationId,
  message.sequence,
];

/**
 * Messages of a conversation by sequence, edges always ascending: first/after pages forward,
 * last/before backward from the newest (the default: the newest 20). FORBIDDEN for anyone but an
 * active participant; messages the viewer deleted for themselves are left out.
 */
export async function messagesConnection(
  context: ChatContext,
  conversationId: string,
  args: MessagePageArgs,
): Promise<Connection<MessageDocument>> {
  const viewer = requireViewer(context);
  const forward = given(args.first) || given(args.after);
  const backward = given(args.last) || given(args.before);
  if (forward && backward) {
    throw badUserInput('Page forward (first/after) or backward (last/before), not both', 'first');
  }
  conversationIdArg(conversationId);
  await requireParticipation(context.loaders, viewer.id, conversationId);
  const store = context.chat.store;
  if (forward) {
    const size = pageSize(args.first);
    const after = args.after ? sequenceOf(args.after, 'after', conversationId) : null;
    const rows = await pageMessages(store, {
      conversationId,
      viewerId: viewer.id,
      direction: 'forward',
      bound: after,
      limit: size + 1,
    });
    return connectionFromRows(rows, size, messageCursor, { hasPreviousPage: after !== null && after > 0 });
  }
  const size = pageSize(args.last, 'last');
  const before = args.before ? sequenceOf(args.before, 'before', conversationId) : null;
  const rows = await pageMessages(store, {
    conversationId,
    viewerId: viewer.id,
    direction: 'backward',
    bound: before,
    limit: size + 1,
  });
  const page = rows.slice(0, size).reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(messageCursor(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: before !== null,
      hasPreviousPage: rows.length > size,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export async function conversationsConnection(
  context: ChatContext,
  args: {
    archived?: boolean | null;
    type?: ConversationDocument['type'] | null;
    first?: number | null;
    after?: string | null;
  },
): Promise<Connection<ConversationDocument>> {
  const viewer = requireViewer(context);
  const size = pageSize(args.first);
  let after = null;
  if (args.after) {
    const [time, id] = cursorParts(args.after, CURSOR_KIND.conversation, 'after');
    const objectId = typeof id === 'string' ? parseObjectId(id) : null;
    const date = typeof time === 'number' && Number.isInteger(time) ? new Date(time) : null;
    if (!objectId || !date || Number.isNaN(date.getTime())) {
      throw badUserInput('after is not a valid cursor', 'after');
    }
    after = { updatedAt: date, id: objectId };
  }
  const rows = await listConversations(context.chat.store, {
    userId: viewer.id,
    archived: args.archived ?? false,
    type: args.type ?? null,
    after,
    limit: size + 1,
  });
  for (const row of rows) context.loaders.conversation.prime(row._id.toHexString(), row);
  return connectionFromRows(
    rows,
    size,
    (row) => [CURSOR_KIND.conversation, row.updatedAt.getTime(), row._id.toHexString()],
    {
      hasPreviousPage: after !== null,
    },
  );
}

export async function searchConnection(
  context: ChatContext,
  args: { query: string; conversationId?: string | null; first?: number | null; after?: string | null },
): Promise<Connection<MessageDocument>> {
  const viewer = requireViewer(context);
  const text = parseInput(searchQuery, args.query, 'query');
  const size = pageSize(args.first);
  let after = null;
  if (args.after) {
    const [value, id] = cursorParts(args.after, CURSOR_KIND.search, 'after');
    const objectId = typeof id === 'string' ? parseObjectId(id) : null;
    if (!objectId || typeof value !== 'number' || !Number.isFinite(value)) {
      throw badUserInput('after is not a valid cursor', 'after');
    }
    after = { score: value, id: objectId };
  }
  let conversationIds: string[];
  if (args.conversationId) {
    conversationIdArg(args.conversationId);
    await requireParticipation(context.loaders, viewer.id, args.conversationId);
    conversationIds = [args.conversationId];
  } else {
    conversationIds = await activeConversationIds(context.chat.store, viewer.id);
  }
  if (conversationIds.length === 0) return connectionFromRows([], size, () => []);
  const rows = await searchMessages(context.chat.store, {
    text,
    viewerId: viewer.id,
    conversationIds,
    after,
    limit: size + 1,
  });
  return connectionFromRows(
    rows,
    size,
    (row) => [CURSOR_KIND.search, row.searchScore, row._id.toHexString()],
    {
      hasPreviousPage: after !== null,
    },
  );
}
