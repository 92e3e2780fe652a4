import type { Logger, Mailer } from '@social/kit';

/** The mails auth sends; `data` carries the secret for the dev/test outbox (DESIGN 3). */
export async function sendVerificationCode(
  mailer: Mailer,
  to: string,
  code: string,
  ttlMinutes: number,
): Promise<void> {
  await mailer.send({
    to,
    kind: 'email-verification',
    subject: 'Your verification code',
    text: `Your verification code is ${code}. It expires in ${ttlMinutes} minutes.`,
    data: { code },
  });
}

export async function sendPasswordReset(
  mailer: Mailer,
  to: string,
  token: string,
  ttlMinutes: number,
): Promise<void> {
  await mailer.send({
    to,
    kind: 'password-reset',
    subject: 'Reset your password',
    text:
      `Someone (hopefully you) asked to reset your password. Use this token within ${ttlMinutes} minutes:\n\n` +
      `${token}\n\nIf you did not ask for this, ignore this message; your password stays unchanged.`,
    data: { token },
  });
}

/**
 * Mail that follows a committed change (registration, email change): the change stands even if
 * the mail cannot go out now, so a failure is logged and the user asks for a new code instead of
 * retrying the change (which would fail as a duplicate).
 */
export async function sendAfterCommit(logger: Logger, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    logger.error({ err: error }, 'mail after a committed change failed; the user can request a new code');
  }
}
