import type { Logger } from '@social/kit';
import type { PrismaClient } from './prisma.js';

/** Any constant shared by every auth instance: only one of them runs a cleanup at a time. */
const CLEANUP_LOCK = 41_720_001;
const FIRST_RUN_DELAY_MS = 60_000;

export interface CleanupJob {
  /** Runs cleanup_old_data() now; resolves with the rows deleted (null if another instance ran it). */
  runOnce(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * The seed's scheduled job: cleanup_old_data() (expired sessions, codes and tokens, login history
 * older than 90 days, accounts past their 30-day deletion grace) every `intervalMs`.
 */
export function startCleanupJob(options: {
  prisma: PrismaClient;
  logger: Logger;
  intervalMs: number;
}): CleanupJob {
  const logger = options.logger.child({ component: 'cleanup' });
  let running: Promise<number | null> | undefined;

  async function run(): Promise<number | null> {
    return options.prisma.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<
        { locked: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${CLEANUP_LOCK}) AS locked`;
      if (!lock?.locked) return null;
      const [result] = await tx.$queryRaw<{ deleted: number }[]>`SELECT cleanup_old_data() AS deleted`;
      const deleted = Number(result?.deleted ?? 0);
      logger.info({ deleted }, 'old auth data cleaned up');
      return deleted;
    });
  }

  const runOnce = () => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const tick = () => {
    runOnce().catch((error: unknown) => logger.error({ err: error }, 'cleanup failed'));
  };
  // A first run soon after start, so instances restarted more often than the interval still clean up.
  const first = setTimeout(tick, Math.min(options.intervalMs, FIRST_RUN_DELAY_MS));
  const timer = setInterval(tick, options.intervalMs);
  first.unref();
  timer.unref();

  return {
    runOnce,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
