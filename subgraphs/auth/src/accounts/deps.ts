import type { Logger, Mailer, RateLimiter, SessionRevocations } from '@social/kit';
import type { AuthConfig } from '../config.js';
import type { CleanupJob } from '../data/cleanup.js';
import type { OutboxRelay } from '../data/outbox.js';
import type { PrismaClient } from '../data/prisma.js';
import type { PasswordHasher, SecretHasher } from './crypto.js';
import { revocationWindowSeconds, type RevocationKeeper } from './revocation-keeper.js';
import type { AccessTokens } from './tokens.js';

/** What the auth service opens once per process and its operations work with. */
export interface AuthDeps {
  readonly config: AuthConfig;
  readonly prisma: PrismaClient;
  readonly logger: Logger;
  readonly secrets: SecretHasher;
  readonly passwords: PasswordHasher;
  readonly tokens: AccessTokens;
  readonly mailer: Mailer;
  readonly relay: OutboxRelay;
  readonly cleanup: CleanupJob;
  readonly revocations: SessionRevocations;
  /** Restores `revocations` from PostgreSQL when the store lost them (revocation-keeper.ts). */
  readonly revocationKeeper: RevocationKeeper;
  readonly limits: AuthRateLimits;
}

export interface AuthRateLimits {
  readonly loginPerIp: RateLimiter;
  readonly loginPerIdentifier: RateLimiter;
  readonly registerPerIp: RateLimiter;
  readonly passwordResetPerIp: RateLimiter;
  readonly verificationPerIp: RateLimiter;
  readonly verificationPerEmail: RateLimiter;
}

/** The caller of an operation as far as auditing goes. */
export interface RequestClient {
  readonly ip: string;
  readonly userAgent: string | null;
}

/**
 * Revokes sessions everywhere at once after the database said so: the shared revocation list makes
 * every subgraph refuse their access tokens (for as long as such a token could still be valid).
 * PostgreSQL already holds the revocation, so a store that cannot be written (Redis down) does not
 * fail the operation: the keeper restores the store from PostgreSQL as soon as it answers, and
 * until then verifiers cannot check revocations and refuse every token anyway.
 */
export async function revokeEverywhere(deps: AuthDeps, sessionIds: readonly string[]): Promise<void> {
  try {
    await deps.revocations.revoke(sessionIds, revocationWindowSeconds(deps.config.ACCESS_TOKEN_TTL_SECONDS));
  } catch (error) {
    deps.logger.warn(
      { err: error, sessions: sessionIds.length },
      'revocation not cached yet; restoring later',
    );
    deps.revocationKeeper.markDirty();
  }
}
