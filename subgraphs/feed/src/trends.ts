import { startRelayLoop } from '@social/kit';
import { recalculateTrends } from './data/hashtags.js';
import type { FeedDeps } from './deps.js';

/**
 * The scheduled job of seed 002's hashtag trend scores: recalculated at start and then every
 * FEED_TRENDING_INTERVAL_MS (an hour by default; tests set a short interval, or call `run`).
 * Every instance runs it; the result does not depend on which one did.
 */
export interface TrendJob {
  /** Recalculates now (coalesced with the run in flight, if any). */
  run(): Promise<number>;
  stop(): Promise<void>;
}

export function startTrendJob(deps: FeedDeps): TrendJob {
  const logger = deps.logger.child({ component: 'trends' });
  const loop = startRelayLoop({
    pass: async () => {
      const trending = await recalculateTrends(deps.store);
      logger.debug({ trending }, 'hashtag trend scores recalculated');
      // Nothing to repeat: the next run comes with the timer.
      return 0;
    },
    pollMs: deps.config.FEED_TRENDING_INTERVAL_MS,
    logger,
  });
  return { run: loop.drain, stop: loop.stop };
}
