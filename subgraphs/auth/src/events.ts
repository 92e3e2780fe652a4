/**
 * Events of the auth subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id). They are written to the `event_outbox` table in the
 * transaction of the change and relayed from there (data/outbox.ts), so none is lost.
 *
 * Publishes to stream `auth`; consumes nothing. Dates are ISO-8601 strings; enum values are the
 * GraphQL names (ACTIVE, ADMIN...).
 */
export const PRODUCER = 'auth';

export type AccountStatusName = 'ACTIVE' | 'INACTIVE' | 'SUSPENDED' | 'DELETED';
export type RoleName = 'USER' | 'ADMIN' | 'MODERATOR';

/** The account fields other services keep copies of (profile: username, names, email). */
export interface AccountSnapshot {
  readonly userId: string;
  readonly username: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  /** Null when the user gave none; profile shows it per its showPhoneNumber setting. */
  readonly phoneNumber: string | null;
  readonly role: RoleName;
}

export interface AuthEventMap {
  /** A new account (unverified): profile creates its profile. */
  UserRegistered: AccountSnapshot & { readonly createdAt: string };
  /** The account's email address was verified with its code. */
  UserEmailVerified: { readonly userId: string; readonly email: string; readonly verifiedAt: string };
  /** Username, names, email, phone or role changed; `changed` lists which (GraphQL field names). */
  UserUpdated: AccountSnapshot & { readonly changed: readonly string[] };
  /** Soft-deleted by its owner: every service hides the user's data. Purged after `purgeAfter`. */
  UserDeleted: { readonly userId: string; readonly deletedAt: string; readonly purgeAfter: string };
  /** An admin or moderator changed the account's status (suspended users are hidden). */
  UserStatusChanged: {
    readonly userId: string;
    readonly status: AccountStatusName;
    readonly previousStatus: AccountStatusName;
    readonly changedBy: string;
  };
}

export type AuthEventType = keyof AuthEventMap;
