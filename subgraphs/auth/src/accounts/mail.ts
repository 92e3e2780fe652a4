import type { Mailer } from '@social/kit';

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
