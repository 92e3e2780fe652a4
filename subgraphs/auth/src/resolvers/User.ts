import { badUserInput, connectionFromRows, decodeCursor, pageSize, type Viewer } from '@social/kit';
import { AUTHENTICATED_AS } from '../accounts/mappers.js';
import type { User as UserRow } from '../data/prisma.js';
import type { AuthContext } from '../subgraph.js';

/** Self, or staff who manage accounts: the only readers of an account's private fields. */
function maySeePrivate(user: UserRow & { [AUTHENTICATED_AS]?: true }, viewer: Viewer | null): boolean {
  if (user[AUTHENTICATED_AS]) return true;
  return viewer !== null && (viewer.id === user.id || viewer.role === 'ADMIN' || viewer.role === 'MODERATOR');
}

const privateField =
  <K extends keyof UserRow>(key: K) =>
  (user: UserRow, _args: unknown, context: AuthContext) =>
    maySeePrivate(user, context.viewer) ? user[key] : null;

interface AccountStats {
  activeSessionsCount: number;
  totalLogins: number;
  failedLogins: number;
  lastLoginAt: string | null;
}

export const User = {
  __resolveReference: (reference: { id: string }, context: AuthContext) =>
    context.loaders.userReference.load(reference.id),
  emailVerified: (user: UserRow) => user.isEmailVerified,
  email: privateField('email'),
  emailVerifiedAt: privateField('emailVerifiedAt'),
  lastLoginAt: privateField('lastLoginAt'),
  passwordChangedAt: privateField('passwordChangedAt'),
  deletedAt: privateField('deletedAt'),
  lockedUntil: (user: UserRow, _args: unknown, context: AuthContext) =>
    maySeePrivate(user, context.viewer) &&
    user.accountLockedUntil &&
    user.accountLockedUntil.getTime() > Date.now()
      ? user.accountLockedUntil
      : null,
  // Internal (@inaccessible): profile reads them through @requires and applies its privacy rules.
  accountFirstName: (user: UserRow) => user.firstName,
  accountLastName: (user: UserRow) => user.lastName,

  loginHistory: async (
    user: UserRow,
    args: { first?: number | null; after?: string | null },
    context: AuthContext,
  ) => {
    if (!maySeePrivate(user, context.viewer)) return null;
    const size = pageSize(args.first);
    let before: bigint | undefined;
    if (args.after) {
      const [id] = decodeCursor(args.after, 1);
      // login_id is a bigint: a larger number is no cursor of ours (PostgreSQL would refuse it).
      if (typeof id !== 'string' || !/^[0-9]{1,19}$/.test(id) || BigInt(id) > 9223372036854775807n)
        throw badUserInput('after is not a valid cursor', 'after');
      before = BigInt(id);
    }
    // login_id is a sequence: newest first is descending id, a stable keyset.
    const rows = await context.auth.prisma.userLoginHistory.findMany({
      where: { userId: user.id, ...(before === undefined ? {} : { id: { lt: before } }) },
      orderBy: { id: 'desc' },
      take: size + 1,
    });
    return connectionFromRows(rows, size, (row) => [row.id.toString()], {
      hasPreviousPage: Boolean(args.after),
    });
  },

  accountStats: async (user: UserRow, _args: unknown, context: AuthContext): Promise<AccountStats | null> => {
    if (!maySeePrivate(user, context.viewer)) return null;
    const [row] = await context.auth.prisma.$queryRaw<{ stats: AccountStats | null }[]>`
      SELECT get_user_stats(${user.id}::uuid) AS stats`;
    return row?.stats ?? null;
  },
};

export const LoginAttempt = {
  id: (row: { id: bigint }) => row.id.toString(),
  identifier: (row: { loginIdentifier: string }) => row.loginIdentifier,
  status: (row: { loginStatus: string }) => row.loginStatus,
};

export const Session = {
  isCurrent: (session: { id: string }, _args: unknown, context: AuthContext) =>
    context.viewer?.sessionId === session.id,
};
