import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from './logger.js';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** What the message is for (e.g. `email-verification`), so tests and logs can tell them apart. */
  readonly kind: string;
  /** Machine-readable payload of the message (codes, tokens) for the dev/test outbox only. */
  readonly data?: Readonly<Record<string, string>>;
}

/** Sends mail (DESIGN 3). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  readonly transport: 'outbox' | 'smtp';
}

export interface MailerOptions {
  /** SMTP URL (`smtp://user:pass@host:587`): production transport. */
  readonly smtpUrl?: string;
  /** JSON-lines file every message is appended to when there is no SMTP URL (dev and tests). */
  readonly outboxPath: string;
  readonly from: string;
  readonly logger: Logger;
}

/**
 * SMTP when configured, else the development outbox: one JSON line per message in a file a
 * developer (or a test) reads to get codes and links.
 */
export function createMailer(options: MailerOptions): Mailer {
  const logger = options.logger.child({ component: 'mailer' });
  if (options.smtpUrl) {
    const transporter = nodemailer.createTransport(options.smtpUrl);
    return {
      transport: 'smtp',
      async send(message) {
        await transporter.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
        });
        logger.info({ kind: message.kind }, 'mail sent');
      },
    };
  }
  let ready: Promise<unknown> | undefined;
  return {
    transport: 'outbox',
    async send(message) {
      ready ??= mkdir(dirname(options.outboxPath), { recursive: true });
      await ready;
      const line = JSON.stringify({ ...message, from: options.from, sentAt: new Date().toISOString() });
      // One appendFile per message, ending in a newline: writers never interleave, and a reader
      // that meets a line without its newline knows it is still being written.
      await appendFile(options.outboxPath, `${line}\n`, 'utf8');
      logger.debug({ kind: message.kind, outbox: options.outboxPath }, 'mail written to outbox');
    },
  };
}
