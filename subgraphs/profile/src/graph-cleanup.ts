import { startRelayLoop } from '@social/kit';
import {
  claimGraphCleanup,
  cleanupTargetIsLive,
  dropGraphCleanup,
  GraphCleanupLeaseLost,
  releaseGraphCleanup,
  runGraphCleanupBatch,
  type GraphCleanupClaim,
} from './data/graph-cleanup.js';
import type { ProfileDeps } from './deps.js';

/**
 * The background removal of deleted users from the graph (auth's UserDeleted; jobs in
 * data/graph-cleanup.ts). The consumer kicks it once the deletion committed; a timer (unref'd)
 * looks for jobs every GRAPH_CLEANUP_POLL_MS, which finishes the jobs of an instance that died
 * once their lease lapses. Each job runs GRAPH_CLEANUP_BATCH edges per transaction until none is
 * left. Until then other users' lists may still hold the deleted user for a moment; their fields
 * resolve to nothing for everyone but staff (privacy.ts), as for any deleted user.
 */
export interface GraphCleanup {
  /** Looks for jobs now (coalesced with the pass running, if any). */
  kick(): void;
  /** Works until no job is claimable; resolves with how many jobs it finished. */
  drain(): Promise<number>;
  /** Stops the timer, lets the batch in flight commit and gives its job back. */
  stop(): Promise<void>;
}

export function startGraphCleanup(deps: ProfileDeps): GraphCleanup {
  const { store, config } = deps;
  const logger = deps.logger.child({ component: 'graph-cleanup' });
  const options = { batch: config.GRAPH_CLEANUP_BATCH, leaseMs: config.GRAPH_CLEANUP_LEASE_MS };
  let stopping = false;

  /** Works one claimed job to its end; resolves with whether it finished it. */
  async function work(claim: GraphCleanupClaim): Promise<boolean> {
    const log = logger.child({ userId: claim.userId });
    let batches = claim.job.batches;
    let edges = claim.job.edges;
    try {
      if (await cleanupTargetIsLive(store, claim)) {
        await dropGraphCleanup(store, claim);
        log.warn('graph cleanup job for a profile that is not deleted; dropped');
        return false;
      }
      for (;;) {
        if (stopping) {
          await releaseGraphCleanup(store, claim);
          return false;
        }
        const batch = await runGraphCleanupBatch(store, claim, options);
        batches += 1;
        edges += batch.edges;
        if (batch.done) {
          log.info({ batches, edges }, 'deleted user removed from the graph');
          return true;
        }
      }
    } catch (error) {
      if (error instanceof GraphCleanupLeaseLost) {
        log.warn({ batches, edges }, 'graph cleanup lease lapsed and was taken over; left to its new holder');
        return false;
      }
      log.warn({ err: error, batches, edges }, 'graph cleanup batch failed; will retry');
      // Claimable again after one poll interval, so a failing job does not spin.
      await releaseGraphCleanup(store, claim, config.GRAPH_CLEANUP_POLL_MS).catch(() => undefined);
      return false;
    }
  }

  async function pass(): Promise<number> {
    let finished = 0;
    while (!stopping) {
      const claim = await claimGraphCleanup(store, options.leaseMs);
      if (!claim) break;
      if (await work(claim)) finished += 1;
    }
    return finished;
  }

  const loop = startRelayLoop({ pass, pollMs: config.GRAPH_CLEANUP_POLL_MS, logger });
  return {
    kick: loop.kick,
    drain: loop.drain,
    async stop() {
      stopping = true;
      await loop.stop();
    },
  };
}
