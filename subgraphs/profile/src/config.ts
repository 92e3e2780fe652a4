import { z } from 'zod';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings of the profile service (parsed once at start; defaults are the seed's). */
export const profileConfigSchema = z.object({
  MONGO_URL: z.string({ message: 'MONGO_URL must be the MongoDB URL of the profile database' }).min(1),
  /** Friend requests are deleted this long after they were sent (seed 002: 30 days). */
  FRIEND_REQUEST_TTL_SECONDS: positive(30 * 24 * 3600),
  /** Activities are deleted this long after they happened (seed 002: 90 days). */
  ACTIVITY_TTL_SECONDS: positive(90 * 24 * 3600),
  /** A presence heartbeat keeps a user online this long (seed 001: 5 minutes). */
  PRESENCE_TTL_SECONDS: positive(5 * 60),
  /** How often users whose heartbeat lapsed are marked offline (and PresenceChanged sent). */
  PRESENCE_SWEEP_MS: positive(15_000),
  /** Upper bound of one user's friends, so graph queries stay bounded (Facebook's is 5000). */
  MAX_FRIENDS: positive(5000),
  /**
   * How long a mutation waits for another service's event it depends on and has not seen yet: the
   * viewer's own profile right after registering (auth's UserRegistered), or a file set as avatar
   * right after uploading it (media's MediaUploaded). Events normally arrive within milliseconds.
   */
  EVENT_WAIT_MS: z.coerce.number().int().min(0).default(3_000),
  /** How often the outbox relay looks for events it was not told about (crash recovery). */
  OUTBOX_POLL_MS: positive(1_000),
  /**
   * A deleted user's edges (friendships, follows, blocks, friend requests) are removed in the
   * background, this many per transaction, so a popular user's deletion is many short
   * transactions rather than one that outlives MongoDB's 60-second limit.
   */
  GRAPH_CLEANUP_BATCH: positive(500),
  /** How often the graph cleanup looks for jobs it was not told about (crash recovery). */
  GRAPH_CLEANUP_POLL_MS: positive(5_000),
  /**
   * How long a claimed cleanup job stays with the instance working on it without progress; every
   * batch renews it. After an instance dies, another takes the job over once it lapses.
   */
  GRAPH_CLEANUP_LEASE_MS: positive(120_000),
});

export type ProfileConfig = z.infer<typeof profileConfigSchema>;
