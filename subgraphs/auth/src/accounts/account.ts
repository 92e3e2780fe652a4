import {
  UUID_PATTERN,
  badUserInput,
  conflict,
  type Connection,
  connectionFromRows,
  decodeDateCursor,
  forbidden,
  notFound,
  pageSize,
  type Viewer,
} from '@social/kit';
import { enqueueEvent } from '../data/outbox.js';
import { isUniqueViolation, type Db, type User } from '../data/prisma.js';
import type { Prisma } from '../generated/prisma/client.js';
import { revokeEverywhere, type AuthDeps } from './deps.js';
import { sendAfterCommit, sendVerificationCode } from './mail.js';
import { ACCOUNT_STATUS_VALUES, roleName, statusName } from './mappers.js';
import { assertPassword } from './passwords.js';
import { assertAvailable, replaceVerificationCode } from './registration.js';
import { revokeSessions } from './sessions.js';
import { changeEmailInput, parseInput, updateAccountInput } from './validation.js';

/** Days a soft-deleted account is kept before cleanup_old_data() removes it (the seed's grace). */
const DELETION_GRACE_DAYS = 30;

function snapshot(user: User) {
  return {
    userId: user.id,
    username: user.username,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    phoneNumber: user.phoneNumber,
    role: roleName(user.role),
  };
}

async function liveUser(db: Db, id: string): Promise<User> {
  const user = UUID_PATTERN.test(id) ? await db.user.findFirst({ where: { id, isDeleted: false } }) : null;
  if (!user) throw notFound('User', id);
  return user;
}

/** The seed's update_user_profile plus a username change; emits UserUpdated with what changed. */
export async function updateAccount(deps: AuthDeps, viewer: Viewer, rawInput: unknown): Promise<User> {
  const input = parseInput(updateAccountInput, rawInput, 'input');
  const current = await liveUser(deps.prisma, viewer.id);
  const data: Prisma.UserUpdateInput = {};
  const changed: string[] = [];
  if (input.username != null && input.username !== current.username) {
    if (input.username.toLowerCase() !== current.username.toLowerCase()) {
      await assertAvailable(deps.prisma, { username: input.username });
    }
    data.username = input.username;
    changed.push('username');
  }
  if (input.firstName != null && input.firstName !== current.firstName) {
    data.firstName = input.firstName;
    changed.push('firstName');
  }
  if (input.lastName != null && input.lastName !== current.lastName) {
    data.lastName = input.lastName;
    changed.push('lastName');
  }
  if (input.phoneNumber != null && (input.phoneNumber || null) !== current.phoneNumber) {
    data.phoneNumber = input.phoneNumber || null;
    changed.push('phoneNumber');
  }
  if (changed.length === 0) return current;
  try {
    const user = await deps.prisma.$transaction(async (tx) => {
      const updated = await tx.user.update({ where: { id: current.id }, data });
      await enqueueEvent(tx, 'UserUpdated', { ...snapshot(updated), changed });
      return updated;
    });
    deps.relay.kick();
    return user;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('That username is already taken');
    throw error;
  }
}

/** A new, unverified address with a fresh code; login needs it verified again. */
export async function changeEmail(deps: AuthDeps, viewer: Viewer, rawInput: unknown): Promise<User> {
  const input = parseInput(changeEmailInput, rawInput, 'input');
  const current = await liveUser(deps.prisma, viewer.id);
  await assertPassword(deps, current.id, input.currentPassword, 'input.currentPassword');
  if (input.newEmail.toLowerCase() === current.emailNormalized) {
    throw badUserInput('input.newEmail is already your email address', 'input.newEmail');
  }
  await assertAvailable(deps.prisma, { email: input.newEmail });
  let result: { user: User; code: string };
  try {
    result = await deps.prisma.$transaction(async (tx) => {
      const user = await tx.user.update({
        where: { id: current.id },
        data: { email: input.newEmail, isEmailVerified: false, emailVerifiedAt: null },
      });
      const { code } = await replaceVerificationCode(deps, tx, user.id);
      await enqueueEvent(tx, 'UserUpdated', { ...snapshot(user), changed: ['email'] });
      return { user, code };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('That email address is already registered');
    throw error;
  }
  deps.relay.kick();
  await sendAfterCommit(deps.logger, () =>
    sendVerificationCode(
      deps.mailer,
      result.user.email,
      result.code,
      Math.round(deps.config.VERIFICATION_CODE_TTL_SECONDS / 60),
    ),
  );
  return result.user;
}

/** Soft delete (soft_delete_user): hidden at once, sessions revoked, purged after 30 days. */
export async function deleteAccount(deps: AuthDeps, viewer: Viewer, rawPassword: unknown): Promise<boolean> {
  const current = await liveUser(deps.prisma, viewer.id);
  await assertPassword(deps, current.id, rawPassword, 'password');
  const sessionIds = await deps.prisma.$transaction(async (tx) => {
    const active = await tx.userSession.findMany({
      where: { userId: current.id, isActive: true },
      select: { id: true },
    });
    const [result] = await tx.$queryRaw<{ p_success: boolean | null; p_error: string | null }[]>`
      CALL soft_delete_user(${current.id}::uuid, NULL, NULL)`;
    if (!result?.p_success) throw notFound('User', current.id);
    const deletedAt = new Date();
    await enqueueEvent(tx, 'UserDeleted', {
      userId: current.id,
      deletedAt: deletedAt.toISOString(),
      purgeAfter: new Date(deletedAt.getTime() + DELETION_GRACE_DAYS * 86_400_000).toISOString(),
    });
    return active.map((session) => session.id);
  });
  deps.relay.kick();
  await revokeEverywhere(deps, [...new Set([...sessionIds, viewer.sessionId])]);
  return true;
}

/**
 * Admin/moderator: ACTIVE, INACTIVE or SUSPENDED. Anything but ACTIVE revokes every session, so
 * the account's tokens stop working at once. Moderators cannot act on admins.
 */
export async function setAccountStatus(
  deps: AuthDeps,
  viewer: Viewer,
  userId: string,
  status: string,
): Promise<User> {
  if (status === ACCOUNT_STATUS_VALUES.DELETED) {
    throw badUserInput('status DELETED is set only by the owner through deleteAccount', 'status');
  }
  if (userId === viewer.id) throw badUserInput('You cannot change the status of your own account', 'userId');
  const target = await liveUser(deps.prisma, userId);
  if (viewer.role !== 'ADMIN' && target.role === 'Admin')
    throw forbidden('Moderators cannot change an admin account');
  if (target.accountStatus === status) return target;
  const user = await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id: target.id }, data: { accountStatus: status } });
    await enqueueEvent(tx, 'UserStatusChanged', {
      userId: target.id,
      status: statusName(status),
      previousStatus: statusName(target.accountStatus),
      changedBy: viewer.id,
    });
    return updated;
  });
  deps.relay.kick();
  if (status !== ACCOUNT_STATUS_VALUES.ACTIVE) {
    await revokeEverywhere(deps, await revokeSessions(deps, target.id, { all: true }));
  }
  return user;
}

/** Admin only: the new role reaches the account's tokens at their next refresh. */
export async function setUserRole(
  deps: AuthDeps,
  viewer: Viewer,
  userId: string,
  role: string,
): Promise<User> {
  if (userId === viewer.id) throw badUserInput('You cannot change your own role', 'userId');
  const target = await liveUser(deps.prisma, userId);
  if (target.role === role) return target;
  const user = await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id: target.id }, data: { role } });
    await enqueueEvent(tx, 'UserUpdated', { ...snapshot(updated), changed: ['role'] });
    return updated;
  });
  deps.relay.kick();
  return user;
}

export interface UserFilter {
  readonly search?: string | null;
  readonly accountStatus?: string | null;
  readonly role?: string | null;
  readonly emailVerified?: boolean | null;
}

/** Admin listing, newest first, keyset-paginated on (created_at, id). */
export async function listUsers(
  deps: AuthDeps,
  filter: UserFilter | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Connection<User>> {
  const size = pageSize(first);
  const search = filter?.search?.trim();
  if (search !== undefined && search.length > 255)
    throw badUserInput('filter.search must be at most 255 characters', 'filter.search');
  // PostgreSQL text cannot hold NUL: no account's name or email contains one.
  if (search?.includes('\u0000'))
    throw badUserInput('filter.search must not contain NUL characters', 'filter.search');
  const where: Prisma.UserWhereInput = {
    ...(filter?.accountStatus ? { accountStatus: filter.accountStatus } : {}),
    ...(filter?.role ? { role: filter.role } : {}),
    ...(filter?.emailVerified != null ? { isEmailVerified: filter.emailVerified } : {}),
    ...(search
      ? {
          OR: [
            { username: { startsWith: search, mode: 'insensitive' } },
            { emailNormalized: { startsWith: search.toLowerCase() } },
          ],
        }
      : {}),
  };
  const cursorWhere: Prisma.UserWhereInput[] = [];
  if (after) {
    const { date: at, id } = decodeDateCursor(after);
    if (!UUID_PATTERN.test(id)) throw badUserInput('after is not a valid cursor', 'after');
    cursorWhere.push({ OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] });
  }
  const rows = await deps.prisma.user.findMany({
    where: { AND: [where, ...cursorWhere] },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: size + 1,
  });
  return connectionFromRows(rows, size, (row) => [row.createdAt.toISOString(), row.id], {
    hasPreviousPage: Boolean(after),
  });
}
