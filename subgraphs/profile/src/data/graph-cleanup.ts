import type { ClientSession } from 'mongodb';
import { randomUUID } from 'node:crypto';
import type { GraphCleanupDocument } from './collections.js';
import { removeUserGraphBatch, type GraphRemovalBatch } from './graph.js';
import type { ProfileStore } from './store.js';

/**
 * The jobs of the graph cleanup (`graph_cleanups`, worked by ../graph-cleanup.ts). Auth's
 * UserDeleted hides the profile and records a job in one short transaction; the user's edges are
 * then removed in batches, each its own transaction with its counters and events, under a lease
 * so that one instance works a job at a time and another takes it over if that one dies.
 *
 * The lease is fenced: every batch renews it in its own transaction, conditioned on the claim
 * that holds it, so a batch of an instance whose lease lapsed and was taken over either conflicts
 * with the takeover (and, retried, finds the lease gone) or committed before it.
 */

/**
 * Records the removal of a deleted user's graph, in the transaction that hides their profile. A
 * job already there (a redelivered UserDeleted) stays as it is.
 */
export async function scheduleGraphCleanup(
  store: ProfileStore,
  session: ClientSession,
  userId: string,
  now = new Date(),
): Promise<void> {
  await store.graphCleanups.updateOne(
    { _id: userId },
    {
      $setOnInsert: {
        reason: 'USER_DELETED',
        createdAt: now,
        leaseUntil: now,
        leaseOwner: null,
        batches: 0,
        edges: 0,
      },
    },
    { session, upsert: true },
  );
}

/** A job as claimed: `owner` identifies this claim in the job's `leaseOwner`. */
export interface GraphCleanupClaim {
  readonly userId: string;
  readonly owner: string;
  readonly job: GraphCleanupDocument;
}

/**
 * Claims the job whose lease lapsed first (new jobs are claimable at once), leasing it for
 * `leaseMs`. One atomic update: two instances never hold the same job.
 */
export async function claimGraphCleanup(
  store: ProfileStore,
  leaseMs: number,
): Promise<GraphCleanupClaim | null> {
  const now = new Date();
  const owner = randomUUID();
  const job = await store.graphCleanups.findOneAndUpdate(
    { leaseUntil: { $lte: now } },
    { $set: { leaseUntil: new Date(now.getTime() + leaseMs), leaseOwner: owner } },
    { sort: { leaseUntil: 1 }, returnDocument: 'after' },
  );
  return job ? { userId: job._id, owner, job } : null;
}

/** The claim's lease lapsed and another claim took the job over: this one stops working it. */
export class GraphCleanupLeaseLost extends Error {
  constructor(readonly userId: string) {
    super(`the graph cleanup of ${userId} is held by another claim`);
    this.name = 'GraphCleanupLeaseLost';
  }
}

/**
 * One batch, in one transaction: renews the lease (GraphCleanupLeaseLost if the claim no longer
 * holds it), removes up to `batch` edges with their counters and events, and deletes the job with
 * the last of them. Re-runnable, like the transaction it is.
 */
export async function runGraphCleanupBatch(
  store: ProfileStore,
  claim: GraphCleanupClaim,
  options: { readonly batch: number; readonly leaseMs: number },
): Promise<GraphRemovalBatch> {
  return store.transaction(async (session) => {
    const held = await store.graphCleanups.updateOne(
      { _id: claim.userId, leaseOwner: claim.owner },
      { $set: { leaseUntil: new Date(Date.now() + options.leaseMs) } },
      { session },
    );
    if (held.matchedCount === 0) throw new GraphCleanupLeaseLost(claim.userId);
    const result = await removeUserGraphBatch(store, session, claim.userId, options.batch);
    if (result.done) {
      await store.graphCleanups.deleteOne({ _id: claim.userId }, { session });
    } else {
      await store.graphCleanups.updateOne(
        { _id: claim.userId },
        { $inc: { batches: 1, edges: result.edges } },
        { session },
      );
    }
    return result;
  });
}

/** Gives a claimed job back, claimable again after `delayMs` (0: at once, e.g. when stopping). */
export async function releaseGraphCleanup(
  store: ProfileStore,
  claim: GraphCleanupClaim,
  delayMs = 0,
): Promise<void> {
  await store.graphCleanups.updateOne(
    { _id: claim.userId, leaseOwner: claim.owner },
    { $set: { leaseUntil: new Date(Date.now() + delayMs) } },
  );
}

/**
 * Whether the job's user has a profile that is not deleted: a job for a live user is a mistake
 * (jobs are recorded only with the deletion), and removing that user's graph would be worse.
 */
export async function cleanupTargetIsLive(store: ProfileStore, claim: GraphCleanupClaim): Promise<boolean> {
  const profile = await store.profiles.findOne({ _id: claim.userId }, { projection: { isDeleted: 1 } });
  return profile !== null && !profile.isDeleted;
}

/** Deletes a claimed job without working it. */
export async function dropGraphCleanup(store: ProfileStore, claim: GraphCleanupClaim): Promise<void> {
  await store.graphCleanups.deleteOne({ _id: claim.userId, leaseOwner: claim.owner });
}
