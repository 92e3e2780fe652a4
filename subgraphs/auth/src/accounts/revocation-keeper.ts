import type { Logger, SessionRevocations } from '@social/kit';
import type { PrismaClient } from '../data/prisma.js';

/** How often each auth instance checks that the revocation store still has its completeness marker. */
export const REVOCATION_CHECK_MS = 5_000;
/** How long shutdown waits for a restore in flight. */
const STOP_WAIT_MS = 5_000;

/**
 * How long a revocation must be kept, in seconds: an access token issued for the session can be
 * valid that long (its lifetime, plus the verifiers' clock tolerance and the skew between auth's
 * and PostgreSQL's clocks, with a margin). revokeEverywhere and the restore both use it.
 */
export function revocationWindowSeconds(accessTokenTtlSeconds: number): number {
  return accessTokenTtlSeconds + 60;
}

/**
 * Every session whose access tokens must be refused and may still be unexpired, from PostgreSQL
 * (the source of truth): revoked (`is_active` false: logout, revoke, password change, refresh
 * token reuse) or belonging to a suspended or deleted account, and issued a token within the
 * window. Tokens are issued at login (`created_at`) and at each refresh (`last_activity_at`, set
 * by store_refresh_token), so older sessions have no live token left. The cleanup job only deletes
 * sessions whose refresh expiry passed, long after their last access token.
 */
export async function sessionsToRefuse(prisma: PrismaClient, windowSeconds: number): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ session_id: string }[]>`
    SELECT s.session_id::text AS session_id
    FROM user_sessions s JOIN users u ON u.user_id = s.user_id
    WHERE GREATEST(s.created_at, s.last_activity_at) > now() - make_interval(secs => ${windowSeconds})
      AND (NOT s.is_active OR u.is_deleted OR u.account_status IN ('Suspended', 'Deleted'))`;
  return rows.map((row) => row.session_id);
}

/** The part of an ioredis client the keeper listens to: `ready` after every (re)connect. */
export interface ConnectionEvents {
  on(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

export interface RevocationKeeper {
  /** Restores the store from PostgreSQL now (coalesced with a restore in flight). */
  restore(): Promise<number>;
  /** A revocation could not be written to the store: restore it as soon as the store is back. */
  markDirty(): void;
  stop(): Promise<void>;
}

/**
 * Keeps the shared revocation store (Redis) complete: see packages/kit/src/revocations.ts. Every
 * auth instance runs one; restores are idempotent (the same keys, the same TTLs), so instances
 * restoring at once, or an auth restarting, only repeat work. A restore runs:
 * - at start (a Redis that lost its data while no auth ran, and the in-memory store of a
 *   restarted single-process stack);
 * - after every reconnect to Redis (a restart or failover may have lost writes without losing the
 *   marker, e.g. a replica promoted before it had them);
 * - after a revocation failed to reach the store (PostgreSQL has it; the store must too);
 * - whenever the periodic check finds the marker gone (FLUSHALL, eviction, a reconnect missed).
 * Until a restore completes, verifiers find no marker and refuse every token (fail closed).
 * The caller runs the first restore itself (`restore()` at start, awaited).
 */
export function startRevocationKeeper(options: {
  prisma: PrismaClient;
  revocations: SessionRevocations;
  logger: Logger;
  accessTokenTtlSeconds: number;
  connection?: ConnectionEvents | undefined;
  checkMs?: number;
}): RevocationKeeper {
  const { prisma, revocations } = options;
  const logger = options.logger.child({ component: 'revocation-keeper' });
  const window = revocationWindowSeconds(options.accessTokenTtlSeconds);
  let dirty = true;
  let failing = false;
  let stopped = false;
  let running: Promise<number> | undefined;
  let again = false;

  async function restoreOnce(): Promise<number> {
    dirty = false;
    try {
      const ids = await sessionsToRefuse(prisma, window);
      await revocations.restore(ids, window);
      if (failing) logger.info({ sessions: ids.length }, 'session revocations restored');
      else logger.debug({ sessions: ids.length }, 'session revocations restored');
      failing = false;
      return ids.length;
    } catch (error) {
      dirty = true;
      if (!failing) logger.warn({ err: error }, 'session revocations could not be restored; retrying');
      failing = true;
      throw error;
    }
  }

  function restore(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let count: number;
      do {
        again = false;
        count = await restoreOnce();
      } while (again && !stopped);
      return count;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const kick = () => {
    if (!stopped) restore().catch(() => undefined);
  };
  const check = async () => {
    if (stopped) return;
    try {
      if (dirty || (await revocations.needsRestore())) kick();
    } catch {
      dirty = true; // the store is unreachable: restore once it answers again
    }
  };
  const timer = setInterval(() => void check(), options.checkMs ?? REVOCATION_CHECK_MS);
  timer.unref();
  const onReady = () => {
    dirty = true;
    kick();
  };
  options.connection?.on('ready', onReady);

  return {
    restore,
    markDirty() {
      dirty = true;
      kick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      options.connection?.off('ready', onReady);
      // A restore in flight may wait on a store that is still reconnecting: shutdown waits a
      // little for it (another instance, or this one restarted, restores again), never forever.
      if (running) {
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([
          running.catch(() => undefined),
          new Promise<void>((resolve) => (timeout = setTimeout(resolve, STOP_WAIT_MS))),
        ]);
        clearTimeout(timeout);
      }
    },
  };
}
