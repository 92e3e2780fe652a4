import type { Db, User } from './prisma.js';

/**
 * The account (not soft-deleted) with this email address, compared case-insensitively through the
 * indexed `email_normalized` column the validate_email_format trigger maintains.
 */
export function findLiveUserByEmail(db: Db, email: string): Promise<User | null> {
  return db.user.findFirst({ where: { emailNormalized: email.toLowerCase(), isDeleted: false } });
}
