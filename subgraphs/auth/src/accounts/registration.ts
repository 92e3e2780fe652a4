import { badUserInput, conflict } from '@social/kit';
import { enqueueEvent } from '../data/outbox.js';
import { findLiveUserByEmail } from '../data/users.js';
import { isUniqueViolation, type Db } from '../data/prisma.js';
import type { User } from '../data/prisma.js';
import { randomCode } from './crypto.js';
import type { AuthDeps, RequestClient } from './deps.js';
import { sendAfterCommit, sendVerificationCode } from './mail.js';
import { roleName } from './mappers.js';
import { assertStrongPassword, parseInput, registerInput, verifyEmailInput } from './validation.js';

const MAX_CODE_ATTEMPTS = 5;

export async function register(
  deps: AuthDeps,
  rawInput: unknown,
  client: RequestClient,
): Promise<{ user: User; verificationCodeExpiresAt: Date }> {
  await deps.limits.registerPerIp.consume(client.ip);
  const input = parseInput(registerInput, rawInput, 'input');
  assertStrongPassword(input.password, 'input.password', [
    input.username,
    input.email,
    input.firstName,
    input.lastName,
  ]);
  await assertAvailable(deps.prisma, { email: input.email, username: input.username });

  const passwordHash = await deps.passwords.hash(input.password);
  const code = randomCode();
  const ttlSeconds = deps.config.VERIFICATION_CODE_TTL_SECONDS;
  let user: User;
  try {
    user = await deps.prisma.$transaction(async (tx) => {
      // The seed's create_user procedure validates, inserts the account and its Email code.
      const [result] = await tx.$queryRaw<{ p_user_id: string | null; p_error: string | null }[]>`
        CALL create_user(${input.username}, ${input.email}, ${passwordHash}, ${input.firstName}, ${input.lastName},
          ${input.phoneNumber ?? null}, ${deps.secrets.hash(code)}, make_interval(secs => ${ttlSeconds}), NULL, NULL)`;
      if (!result?.p_user_id) throw procedureError(result?.p_error);
      const created = await tx.user.findUniqueOrThrow({ where: { id: result.p_user_id } });
      await enqueueEvent(tx, 'UserRegistered', {
        userId: created.id,
        username: created.username,
        email: created.email,
        firstName: created.firstName,
        lastName: created.lastName,
        phoneNumber: created.phoneNumber,
        role: roleName(created.role),
        createdAt: created.createdAt.toISOString(),
      });
      return created;
    });
  } catch (error) {
    // Two registrations racing for one name: the unique index decides, the loser gets CONFLICT.
    if (isUniqueViolation(error)) throw conflict('That email address or username is already taken');
    throw error;
  }
  deps.relay.kick();
  await sendAfterCommit(deps.logger, () =>
    sendVerificationCode(deps.mailer, user.email, code, Math.round(ttlSeconds / 60)),
  );
  const verificationCodeExpiresAt = new Date(Date.now() + ttlSeconds * 1000);
  return { user, verificationCodeExpiresAt };
}

function procedureError(message: string | null | undefined): Error {
  if (message === 'Email already exists') return conflict('That email address is already registered');
  if (message === 'Username already taken') return conflict('That username is already taken');
  return badUserInput(message ?? 'The account could not be created');
}

/** CONFLICT when another account has this email or username, compared case-insensitively. */
export async function assertAvailable(db: Db, names: { email?: string; username?: string }): Promise<void> {
  if (names.email !== undefined) {
    const [row] = await db.$queryRaw<{ taken: boolean }[]>`SELECT email_exists(${names.email}) AS taken`;
    if (row?.taken) throw conflict('That email address is already registered');
  }
  if (names.username !== undefined) {
    const [row] = await db.$queryRaw<
      { taken: boolean }[]
    >`SELECT username_exists(${names.username}) AS taken`;
    if (row?.taken) throw conflict('That username is already taken');
  }
}

/** Checks the code in constant time; wrong codes count towards the 5 allowed attempts. */
export async function verifyEmail(
  deps: AuthDeps,
  rawInput: unknown,
  client: RequestClient,
): Promise<boolean> {
  await deps.limits.verificationPerIp.consume(client.ip);
  const input = parseInput(verifyEmailInput, rawInput, 'input');
  const invalid = () => badUserInput('Invalid verification code', 'input.code');
  const outcome = await deps.prisma.$transaction(async (tx) => {
    const user = await findLiveUserByEmail(tx, input.email);
    if (!user || user.isEmailVerified) return { error: invalid() };
    const [pending] = await tx.$queryRaw<
      { id: string; code_hash: string; attempts: number; expires_at: Date }[]
    >`SELECT verification_id AS id, code_hash, attempts, expires_at FROM verification_codes
      WHERE user_id = ${user.id}::uuid AND code_type = 'Email' AND is_used = FALSE
      ORDER BY created_at DESC LIMIT 1 FOR UPDATE`;
    if (!pending) return { error: invalid() };
    if (pending.attempts >= MAX_CODE_ATTEMPTS) {
      return { error: badUserInput('Too many attempts: request a new verification code', 'input.code') };
    }
    if (pending.expires_at.getTime() <= Date.now()) {
      return { error: badUserInput('Verification code expired: request a new one', 'input.code') };
    }
    if (!deps.secrets.matches(input.code, pending.code_hash)) {
      // The failed attempt is committed, not rolled back with the error.
      await tx.verificationCode.update({ where: { id: pending.id }, data: { attempts: { increment: 1 } } });
      return { error: invalid() };
    }
    const now = new Date();
    await tx.verificationCode.update({ where: { id: pending.id }, data: { isUsed: true, usedAt: now } });
    await tx.user.update({ where: { id: user.id }, data: { isEmailVerified: true, emailVerifiedAt: now } });
    await enqueueEvent(tx, 'UserEmailVerified', {
      userId: user.id,
      email: user.email,
      verifiedAt: now.toISOString(),
    });
    return { error: null };
  });
  if (outcome.error) throw outcome.error;
  deps.relay.kick();
  return true;
}

/**
 * Issues a fresh code (earlier ones stop working) for an unverified account. Answers the same
 * whether or not the address has an account, so it cannot be used to probe for accounts.
 */
export async function resendVerificationCode(
  deps: AuthDeps,
  rawEmail: unknown,
  client: RequestClient,
): Promise<boolean> {
  await deps.limits.verificationPerIp.consume(client.ip);
  const email = parseInput(verifyEmailInput.shape.email, rawEmail, 'email');
  await deps.limits.verificationPerEmail.consume(email.toLowerCase());
  const user = await findLiveUserByEmail(deps.prisma, email);
  if (!user || user.isEmailVerified) return true;
  const code = await deps.prisma.$transaction((tx) => replaceVerificationCode(deps, tx, user.id));
  await sendVerificationCode(
    deps.mailer,
    user.email,
    code.code,
    Math.round(deps.config.VERIFICATION_CODE_TTL_SECONDS / 60),
  );
  return true;
}

/** Replaces the account's pending Email codes with a new one; the caller mails it after commit. */
export async function replaceVerificationCode(
  deps: AuthDeps,
  db: Db,
  userId: string,
): Promise<{ code: string; expiresAt: Date }> {
  const code = randomCode();
  const expiresAt = new Date(Date.now() + deps.config.VERIFICATION_CODE_TTL_SECONDS * 1000);
  await db.verificationCode.updateMany({
    where: { userId, codeType: 'Email', isUsed: false },
    data: { expiresAt: new Date() },
  });
  await db.verificationCode.create({
    data: { userId, codeType: 'Email', codeHash: deps.secrets.hash(code), expiresAt },
  });
  return { code, expiresAt };
}
