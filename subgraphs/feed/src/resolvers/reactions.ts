import { connectionFromRows, pageSize } from '@social/kit';
import type { ObjectId } from 'mongodb';
import { REACTIONS, type ReactionCounts, type StoredReaction } from '../data/collections.js';
import { cursorKey, reactionPosition } from '../data/pages.js';
import type { FeedContext } from '../subgraph.js';
import { type PageArgs } from './connections.js';

/** The FeedReactable fields Post and Comment share. */

/** Counts per type above zero, largest first (ties in the enum's order). */
export function reactionsSummary(counts: ReactionCounts): { reaction: StoredReaction; count: number }[] {
  return REACTIONS.map((reaction) => ({ reaction, count: counts[reaction] ?? 0 }))
    .filter((entry) => entry.count > 0)
    .sort((a, b) => b.count - a.count);
}

/** Who reacted to an entity the viewer may see, newest first, optionally of one type. */
export async function reactionsConnection(
  context: FeedContext,
  entity: { _id: ObjectId; likesCount: number; reactionCounts: ReactionCounts },
  entityType: 'Post' | 'Comment',
  args: PageArgs & { reaction?: StoredReaction | null },
) {
  const size = pageSize(args.first);
  const position = reactionPosition(args.after);
  const rows = await context.loaders.reactionPage({
    entityId: entity._id,
    entityType,
    reaction: args.reaction ?? null,
    position,
    limit: size + 1,
  });
  const connection = connectionFromRows(
    rows,
    size,
    (row) => cursorKey('reactions', row.createdAt.getTime(), row._id),
    { hasPreviousPage: Boolean(args.after) },
  );
  return {
    pageInfo: connection.pageInfo,
    totalCount: args.reaction ? (entity.reactionCounts[args.reaction] ?? 0) : entity.likesCount,
    edges: connection.edges.map(({ cursor, node }) => ({
      cursor,
      node: { user: { id: node.userId }, reaction: node.reactionType, createdAt: node.createdAt },
    })),
  };
}
