import { UUID_PATTERN, badUserInput, requireRole, requireViewer } from '@social/kit';
import { listUsers, type UserFilter } from '../accounts/account.js';
import { activeSessions } from '../accounts/sessions.js';
import { username as usernameSchema } from '../accounts/validation.js';
import type { AuthContext } from '../subgraph.js';

export const Query = {
  me: (_root: unknown, _args: unknown, context: AuthContext) =>
    context.viewer ? context.loaders.userById.load(context.viewer.id) : null,

  user: (_root: unknown, args: { id: string }, context: AuthContext) => {
    if (!UUID_PATTERN.test(args.id)) throw badUserInput('id must be a UUID', 'id');
    return context.loaders.userById.load(args.id);
  },

  userByUsername: async (_root: unknown, args: { username: string }, context: AuthContext) => {
    if (!usernameSchema.safeParse(args.username).success) return null;
    const [row] = await context.auth.prisma.$queryRaw<{ user_id: string }[]>`
      SELECT user_id FROM users WHERE lower(username) = lower(${args.username}) AND is_deleted = FALSE`;
    return row ? context.loaders.userById.load(row.user_id) : null;
  },

  sessions: (_root: unknown, _args: unknown, context: AuthContext) =>
    activeSessions(context.auth, requireViewer(context).id),

  users: (
    _root: unknown,
    args: { filter?: UserFilter | null; first?: number | null; after?: string | null },
    context: AuthContext,
  ) => {
    requireRole(context, 'ADMIN', 'MODERATOR');
    return listUsers(context.auth, args.filter, args.first, args.after);
  },

  jwks: (_root: unknown, _args: unknown, context: AuthContext) => context.auth.tokens.jwks,
};
