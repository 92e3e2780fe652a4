import {
  type Connection,
  connectionFromRows,
  decodeDateCursor,
  decodeNumberCursor,
  pageSize,
  parseInput,
  requireViewer,
  type Viewer,
} from '@social/kit';
import type { ActivityDocument } from '../data/collections.js';
import { checkUserId } from '../data/graph-edges.js';
import { countProfileView, findProfileByUsername } from '../data/profiles.js';
import { searchProfiles, type SearchPosition } from '../data/search.js';
import { activityPage, type ActivityPosition } from '../data/timeline.js';
import { hiddenActivities } from '../privacy.js';
import type { ProfileContext } from '../subgraph.js';
import { searchText, username as usernameSchema } from '../validation.js';
import { accessOf, type UserRef } from './view.js';

interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

const isStaff = (viewer: Viewer | null) => viewer?.role === 'ADMIN' || viewer?.role === 'MODERATOR';

/** The connection of `rows` (fetched with limit size + 1) with each node mapped for GraphQL. */
function connectionOf<T, N>(
  rows: readonly T[],
  size: number,
  cursorOf: (row: T) => (string | number)[],
  nodeOf: (row: T) => N,
  after: string | null | undefined,
): Connection<N> {
  const connection = connectionFromRows(rows, size, cursorOf, { hasPreviousPage: Boolean(after) });
  return {
    ...connection,
    edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: nodeOf(edge.node) })),
  };
}

function activityNode(activity: ActivityDocument) {
  return {
    id: activity._id,
    user: { id: activity.userId },
    activityType: activity.activityType,
    description: activity.description,
    metadata: activity.metadata,
    isPublic: activity.isPublic,
    createdAt: activity.createdAt,
  };
}

export const Query = {
  /**
   * A profile by username, case-insensitively. Deleted and suspended users are not found (staff
   * still find them). A signed-in viewer opening someone else's profile counts a view.
   */
  async profile(
    _root: unknown,
    args: { username: string },
    context: ProfileContext,
  ): Promise<UserRef | null> {
    const username = parseInput(usernameSchema, args.username, 'username');
    const { store } = context.profile;
    const profile = await findProfileByUsername(store, username);
    if (!profile) return null;
    if ((profile.isDeleted || !profile.isActive) && !isStaff(context.viewer)) return null;
    context.loaders.profile.prime(profile._id, profile);
    if (context.viewer && context.viewer.id !== profile._id) await countProfileView(store, profile._id);
    return { id: profile._id };
  },

  async searchUsers(
    _root: unknown,
    args: PageArgs & { query: string },
    context: ProfileContext,
  ): Promise<Connection<UserRef>> {
    const text = parseInput(searchText, args.query, 'query');
    const size = pageSize(args.first);
    let after: SearchPosition | null = null;
    if (args.after) {
      const { value: score, id } = decodeNumberCursor(args.after);
      after = { score, id };
    }
    const rows = await searchProfiles(context.profile.store, {
      text,
      viewerId: context.viewer?.id ?? null,
      after,
      limit: size + 1,
    });
    for (const { searchScore: _score, ...profile } of rows)
      context.loaders.profile.prime(profile._id, profile);
    return connectionOf(
      rows,
      size,
      (row) => [row.searchScore, row._id],
      (row) => ({ id: row._id }),
      args.after,
    );
  },

  /**
   * A timeline: all of it for its owner, the public activities for others who may see the
   * profile (and staff), an empty page for everyone else (the profile's visibility decides, as
   * for its other fields, without saying why).
   */
  async activities(
    _root: unknown,
    args: PageArgs & { userId?: string | null },
    context: ProfileContext,
  ): Promise<Connection<ReturnType<typeof activityNode>>> {
    const userId = args.userId != null ? checkUserId(args.userId) : requireViewer(context).id;
    const size = pageSize(args.first);
    let after: ActivityPosition | null = null;
    if (args.after) {
      const { date: createdAt, id } = decodeDateCursor(args.after);
      after = { createdAt, id };
    }
    let publicOnly = false;
    let hidden: ReturnType<typeof hiddenActivities> | undefined;
    if (context.viewer?.id !== userId) {
      const { profile, level } = await accessOf({ id: userId }, context);
      if (!profile || (level !== 'full' && level !== 'staff')) {
        return connectionOf([], size, () => [], activityNode, args.after);
      }
      publicOnly = true;
      // Entries about what the owner hides now (connections, education...) are hidden with it.
      hidden = hiddenActivities(profile, level);
    }
    const rows = await activityPage(context.profile.store, {
      userId,
      publicOnly,
      hidden,
      after,
      limit: size + 1,
    });
    return connectionOf(
      rows,
      size,
      (row) => [row.createdAt.toISOString(), row._id],
      activityNode,
      args.after,
    );
  },
};
