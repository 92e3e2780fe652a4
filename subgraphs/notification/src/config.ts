import { optionalString, optionalUrl, repoRoot } from '@social/kit';
import { join } from 'node:path';
import { z } from 'zod';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings of the notification service (parsed once at start; defaults are the seed's). */
export const notificationConfigSchema = z.object({
  MONGO_URL: z.string({ message: 'MONGO_URL must be the MongoDB URL of the notification database' }).min(1),
  /**
   * Notifications are deleted this many days after they were created (seed: 7, by a TTL index on
   * expiresAt). Fractions are allowed (0.5 = 12 hours).
   */
  NOTIFICATION_TTL_DAYS: z.coerce.number().positive().default(7),
  /**
   * Lifetime of a user's cached unread count in Redis. Every change invalidates it at once; the
   * lifetime only bounds how long a count could stay wrong if an instance died between a commit and
   * its invalidation.
   */
  NOTIFICATION_UNREAD_CACHE_TTL_SECONDS: positive(3_600),
  /** External deliveries (email, push) in flight at once; the rest wait their turn. */
  NOTIFICATION_DELIVERY_CONCURRENCY: positive(8),
  /** Without SMTP_URL every notification email is appended to MAIL_OUTBOX as one JSON line. */
  MAIL_OUTBOX: optionalString().transform((value) => value ?? join(repoRoot, '.data', 'mail-outbox.jsonl')),
  SMTP_URL: optionalUrl(),
  MAIL_FROM: optionalString().transform((value) => value ?? 'Social Supergraph <no-reply@social.local>'),
  /** How often the outbox relay looks for events it was not told about (crash recovery). */
  OUTBOX_POLL_MS: positive(1_000),
});

export type NotificationConfig = z.infer<typeof notificationConfigSchema>;

/** Fixed limits of the notification model (seed 002 and the SDL descriptions). */
export const LIMITS = {
  titleMax: 100,
  messageMax: 500,
  /** Distinct recent actors a grouped notification keeps (Notification.actors: at most 10). */
  actorsMax: 10,
  /** Characters of a quoted preview (a comment, a post, a message) in a notification's text. */
  quoteMax: 80,
} as const;
