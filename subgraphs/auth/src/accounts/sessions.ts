import { UUID_PATTERN, forbidden, notFound, unauthenticated, type Viewer } from '@social/kit';
import type { User, UserSession } from '../data/prisma.js';
import { randomToken } from './crypto.js';
import { revokeEverywhere, type AuthDeps, type RequestClient } from './deps.js';
import { AUTHENTICATED_AS, roleName } from './mappers.js';
import { loginInput, parseInput } from './validation.js';

export interface AuthResult {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: Date;
  readonly refreshTokenExpiresAt: Date;
  readonly tokenType: 'Bearer';
  readonly session: UserSession;
  readonly user: User;
}

type LoginStatus = 'Success' | 'Failed' | 'Locked' | 'Unverified';

/**
 * Email or username + password → a new session. Every attempt lands in the login history; five
 * failures in a row lock the account for LOGIN_LOCK_SECONDS; the password is not even checked
 * while locked, so a lock cannot be used to keep guessing.
 */
export async function login(deps: AuthDeps, rawInput: unknown, client: RequestClient): Promise<AuthResult> {
  const input = parseInput(loginInput, rawInput, 'input');
  await deps.limits.loginPerIp.consume(client.ip);
  await deps.limits.loginPerIdentifier.consume(input.identifier.toLowerCase());
  const attempt = {
    identifier: input.identifier,
    deviceType: input.deviceType ?? null,
    deviceInfo: input.deviceInfo ?? null,
  };
  const record = (status: LoginStatus, userId: string | null, reason: string | null) =>
    deps.prisma.userLoginHistory.create({
      data: {
        userId,
        loginIdentifier: attempt.identifier,
        loginStatus: status,
        failureReason: reason,
        deviceType: attempt.deviceType,
        deviceInfo: attempt.deviceInfo,
        ipAddress: client.ip,
        userAgent: client.userAgent,
      },
    });
  const invalidCredentials = () => unauthenticated('Invalid username/email or password');

  // The seed's get_user_by_login: case-insensitive on email and username, served by their indexes.
  const [found] = await deps.prisma.$queryRaw<{ user_id: string }[]>`
    SELECT user_id FROM get_user_by_login(${input.identifier}) LIMIT 1`;
  const user = found ? await deps.prisma.user.findUnique({ where: { id: found.user_id } }) : null;
  if (!user) {
    await deps.passwords.verifyDummy(input.password);
    await record('Failed', null, 'Unknown account');
    throw invalidCredentials();
  }
  if (user.accountLockedUntil && user.accountLockedUntil.getTime() > Date.now()) {
    await record('Locked', user.id, 'Account locked after repeated failures');
    throw forbidden(
      `Too many failed attempts: this account is locked until ${user.accountLockedUntil.toISOString()}`,
      'ACCOUNT_LOCKED',
    );
  }
  if (!(await deps.passwords.verify(input.password, user.passwordHash))) {
    await registerFailure(deps, user);
    await record('Failed', user.id, 'Invalid password');
    throw invalidCredentials();
  }
  if (user.isDeleted || user.accountStatus !== 'Active') {
    const reason = user.isDeleted ? 'Account deleted' : `Account ${user.accountStatus.toLowerCase()}`;
    await record('Failed', user.id, reason);
    throw user.isDeleted
      ? invalidCredentials()
      : unauthenticated(`This account is ${user.accountStatus.toLowerCase()}`);
  }
  if (!user.isEmailVerified) {
    await record('Unverified', user.id, 'Email not verified');
    throw forbidden('Verify your email address before logging in', 'EMAIL_NOT_VERIFIED');
  }

  const refreshToken = randomToken();
  const refreshTokenExpiresAt = new Date(Date.now() + deps.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
  // create_user_session: the session, the reset failure counter and the Success history row.
  const [created] = await deps.prisma.$queryRaw<{ p_session_id: string }[]>`
    CALL create_user_session(${user.id}::uuid, ${deps.secrets.hash(refreshToken)}, ${attempt.deviceType},
      ${attempt.deviceInfo}, ${client.ip}, ${null}, ${client.userAgent}, ${refreshTokenExpiresAt}::timestamptz,
      ${input.identifier}, NULL)`;
  if (!created) throw new Error('create_user_session returned no session');
  await deps.limits.loginPerIdentifier.reset(input.identifier.toLowerCase());
  // One read of the new session with the account as create_user_session left it (last login).
  const { user: fresh, ...session } = await deps.prisma.userSession.findUniqueOrThrow({
    where: { id: created.p_session_id },
    include: { user: true },
  });
  return issue(deps, fresh, session, refreshToken);
}

/** One more failure; the LOGIN_MAX_FAILURES-th locks the account and starts a fresh count. */
async function registerFailure(deps: AuthDeps, user: User): Promise<void> {
  const { LOGIN_MAX_FAILURES, LOGIN_LOCK_SECONDS } = deps.config;
  await deps.prisma.$executeRaw`
    UPDATE users SET
      account_locked_until = CASE WHEN failed_login_attempts + 1 >= ${LOGIN_MAX_FAILURES}
        THEN now() + make_interval(secs => ${LOGIN_LOCK_SECONDS}) ELSE account_locked_until END,
      failed_login_attempts = CASE WHEN failed_login_attempts + 1 >= ${LOGIN_MAX_FAILURES}
        THEN 0 ELSE failed_login_attempts + 1 END
    WHERE user_id = ${user.id}::uuid`;
}

async function issue(
  deps: AuthDeps,
  user: User,
  session: UserSession,
  refreshToken: string,
): Promise<AuthResult> {
  const access = await deps.tokens.issue({
    userId: user.id,
    sessionId: session.id,
    role: roleName(user.role),
    username: user.username,
  });
  return {
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: session.expiresAt,
    tokenType: 'Bearer',
    session,
    user: Object.assign(user, { [AUTHENTICATED_AS]: true as const }),
  };
}

/**
 * Refresh token rotation: the presented token is exchanged for a new one exactly once. Presenting
 * an already-rotated token means two parties hold the session (a stolen token), so the session is
 * revoked for both.
 */
export async function refresh(deps: AuthDeps, rawToken: unknown): Promise<AuthResult> {
  const denied = () => unauthenticated('Invalid or expired refresh token');
  if (typeof rawToken !== 'string' || rawToken.length === 0 || rawToken.length > 200) throw denied();
  const tokenHash = deps.secrets.hash(rawToken);
  const next = randomToken();
  const expiresAt = new Date(Date.now() + deps.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
  const outcome = await deps.prisma.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<{ session_id: string }[]>`
      SELECT session_id FROM user_sessions WHERE refresh_token_hash = ${tokenHash} FOR UPDATE`;
    if (!current) {
      const reused = await tx.rotatedRefreshToken.findUnique({ where: { tokenHash } });
      if (!reused) return { kind: 'unknown' as const };
      const revoked = await tx.userSession.updateMany({
        where: { id: reused.sessionId, isActive: true },
        data: { isActive: false },
      });
      return { kind: 'reused' as const, sessionId: reused.sessionId, revoked: revoked.count };
    }
    const session = await tx.userSession.findUniqueOrThrow({
      where: { id: current.session_id },
      include: { user: true },
    });
    if (!session.isActive || session.expiresAt.getTime() <= Date.now()) return { kind: 'unknown' as const };
    if (session.user.isDeleted || session.user.accountStatus !== 'Active')
      return { kind: 'unknown' as const };
    // store_refresh_token keeps the old hash in rotated_refresh_tokens for reuse detection.
    await tx.$executeRaw`CALL store_refresh_token(${session.id}::uuid, ${deps.secrets.hash(next)}, ${expiresAt}::timestamptz)`;
    const rotated = await tx.userSession.findUniqueOrThrow({ where: { id: session.id } });
    return { kind: 'rotated' as const, session: rotated, user: session.user };
  });
  if (outcome.kind === 'reused') {
    deps.logger.warn({ sessionId: outcome.sessionId }, 'rotated refresh token reused: session revoked');
    await revokeEverywhere(deps, [outcome.sessionId]);
    throw unauthenticated('Refresh token was already used: the session has been revoked');
  }
  if (outcome.kind === 'unknown') throw denied();
  return issue(deps, outcome.user, outcome.session, next);
}

/** Ends the viewer's session (or all of them); their access tokens stop working everywhere. */
export async function logout(deps: AuthDeps, viewer: Viewer, allDevices: boolean): Promise<number> {
  const ids = await revokeSessions(
    deps,
    viewer.id,
    allDevices ? { all: true } : { sessionId: viewer.sessionId },
  );
  // The current token is refused from now on even if its session row was already inactive.
  await revokeEverywhere(deps, [...new Set([...ids, viewer.sessionId])]);
  return ids.length;
}

export async function revokeSession(deps: AuthDeps, viewer: Viewer, sessionId: string): Promise<boolean> {
  // A malformed id names no session (the column is a uuid: PostgreSQL would refuse the query).
  const session = UUID_PATTERN.test(sessionId)
    ? await deps.prisma.userSession.findFirst({ where: { id: sessionId, userId: viewer.id } })
    : null;
  if (!session) throw notFound('Session', sessionId);
  const ids = await revokeSessions(deps, viewer.id, { sessionId });
  await revokeEverywhere(deps, [sessionId]);
  return ids.length > 0;
}

/**
 * revoke_user_sessions, returning the ids it deactivated (so the revocation list gets exactly
 * those); `except` keeps one session alive (the current one after a password change).
 */
export async function revokeSessions(
  deps: AuthDeps,
  userId: string,
  which: { all: true; except?: string } | { sessionId: string },
): Promise<string[]> {
  return deps.prisma.$transaction(async (tx) => {
    const where =
      'all' in which
        ? { userId, isActive: true, ...(which.except ? { id: { not: which.except } } : {}) }
        : { userId, isActive: true, id: which.sessionId };
    const active = await tx.userSession.findMany({ where, select: { id: true } });
    if (active.length === 0) return [];
    if ('all' in which && !which.except) {
      await tx.$executeRaw`CALL revoke_user_sessions(${userId}::uuid, NULL, TRUE, NULL)`;
    } else if ('sessionId' in which) {
      await tx.$executeRaw`CALL revoke_user_sessions(${userId}::uuid, ${which.sessionId}::uuid, FALSE, NULL)`;
    } else {
      await tx.userSession.updateMany({
        where: { id: { in: active.map((s) => s.id) } },
        data: { isActive: false },
      });
    }
    return active.map((s) => s.id);
  });
}

/** The viewer's live sessions, most recently used first. */
export function activeSessions(deps: AuthDeps, userId: string): Promise<UserSession[]> {
  return deps.prisma.userSession.findMany({
    where: { userId, isActive: true, expiresAt: { gt: new Date() } },
    orderBy: [{ lastActivityAt: 'desc' }, { id: 'asc' }],
  });
}
