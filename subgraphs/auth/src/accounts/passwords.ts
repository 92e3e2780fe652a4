import { badUserInput, unauthenticated, type Viewer } from '@social/kit';
import type { User } from '../data/prisma.js';
import { findLiveUserByEmail } from '../data/users.js';
import { randomToken } from './crypto.js';
import { revokeEverywhere, type AuthDeps, type RequestClient } from './deps.js';
import { sendPasswordReset } from './mail.js';
import { revokeSessions } from './sessions.js';
import {
  assertStrongPassword,
  email as emailSchema,
  parseInput,
  password,
  resetToken,
} from './validation.js';

/**
 * Mails a single-use reset token to an existing account. Answers true either way, so it reveals
 * nothing about which addresses have accounts.
 */
export async function requestPasswordReset(
  deps: AuthDeps,
  rawEmail: unknown,
  client: RequestClient,
): Promise<boolean> {
  await deps.limits.passwordResetPerIp.consume(client.ip);
  const email = parseInput(emailSchema, rawEmail, 'email');
  const user = await findLiveUserByEmail(deps.prisma, email);
  if (!user || user.accountStatus !== 'Active') return true;
  const token = randomToken();
  const ttl = deps.config.PASSWORD_RESET_TTL_SECONDS;
  await deps.prisma.passwordResetToken.create({
    data: {
      userId: user.id,
      tokenHash: deps.secrets.hash(token),
      expiresAt: new Date(Date.now() + ttl * 1000),
      ipAddress: client.ip,
    },
  });
  await sendPasswordReset(deps.mailer, user.email, token, Math.round(ttl / 60));
  return true;
}

/**
 * Sets a new password with a reset token: the token is used up, every other token of the account
 * stops working, and every session is revoked (whoever had the old password is logged out).
 */
export async function resetPassword(
  deps: AuthDeps,
  rawInput: unknown,
  client: RequestClient,
): Promise<boolean> {
  await deps.limits.passwordResetPerIp.consume(client.ip);
  const input = rawInput as { token?: unknown; newPassword?: unknown };
  const token = parseInput(resetToken, input.token, 'input.token');
  const newPassword = parseInput(password, input.newPassword, 'input.newPassword');
  const invalid = () => badUserInput('Invalid or expired reset token', 'input.token');
  const tokenHash = deps.secrets.hash(token);
  const pending = await deps.prisma.passwordResetToken.findUnique({
    where: { tokenHash },
    include: { user: true },
  });
  if (!pending || pending.isUsed || pending.expiresAt.getTime() <= Date.now() || pending.user.isDeleted)
    throw invalid();
  const { user } = pending;
  assertStrongPassword(newPassword, 'input.newPassword', personalWords(user));
  const passwordHash = await deps.passwords.hash(newPassword);

  const consumed = await deps.prisma.$transaction(async (tx) => {
    // Claiming the token and checking it is still unused is one statement: two concurrent resets
    // with the same token cannot both succeed.
    const claimed = await tx.passwordResetToken.updateMany({
      where: { id: pending.id, isUsed: false, expiresAt: { gt: new Date() } },
      data: { isUsed: true, usedAt: new Date() },
    });
    if (claimed.count === 0) return false;
    await tx.passwordResetToken.updateMany({
      where: { userId: user.id, isUsed: false },
      data: { isUsed: true, usedAt: new Date() },
    });
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash, passwordChangedAt: new Date(), failedLoginAttempts: 0, accountLockedUntil: null },
    });
    return true;
  });
  if (!consumed) throw invalid();
  const revoked = await revokeSessions(deps, user.id, { all: true });
  await revokeEverywhere(deps, revoked);
  return true;
}

/** Changes the viewer's password; every other session is logged out, the current one stays. */
export async function changePassword(deps: AuthDeps, viewer: Viewer, rawInput: unknown): Promise<boolean> {
  const input = rawInput as { currentPassword?: unknown; newPassword?: unknown };
  const newPassword = parseInput(password, input.newPassword, 'input.newPassword');
  const user = await assertPassword(deps, viewer.id, input.currentPassword, 'input.currentPassword');
  if (newPassword === input.currentPassword) {
    throw badUserInput('input.newPassword must differ from the current password', 'input.newPassword');
  }
  assertStrongPassword(newPassword, 'input.newPassword', personalWords(user));
  const passwordHash = await deps.passwords.hash(newPassword);
  await deps.prisma.user.update({
    where: { id: user.id },
    data: { passwordHash, passwordChangedAt: new Date() },
  });
  const revoked = await revokeSessions(deps, user.id, { all: true, except: viewer.sessionId });
  await revokeEverywhere(deps, revoked);
  return true;
}

/** What a password must not contain: the account's own names and address. */
function personalWords(user: User): string[] {
  return [user.username, user.email, user.firstName, user.lastName];
}

/**
 * Checks the viewer's password (operations that re-confirm it: change password or email, delete
 * account) and returns the account; BAD_USER_INPUT on `field` when it is wrong.
 */
export async function assertPassword(
  deps: AuthDeps,
  userId: string,
  candidate: unknown,
  field: string,
): Promise<User> {
  const value = parseInput(password, candidate, field);
  const user = await deps.prisma.user.findFirst({ where: { id: userId, isDeleted: false } });
  if (!user) throw unauthenticated();
  if (!(await deps.passwords.verify(value, user.passwordHash)))
    throw badUserInput('Password is incorrect', field);
  return user;
}
