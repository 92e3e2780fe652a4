import { z } from 'zod';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings of the feed service (parsed once at start; defaults are the seed's). */
export const feedConfigSchema = z.object({
  MONGO_URL: z.string({ message: 'MONGO_URL must be the MongoDB URL of the feed database' }).min(1),
  /**
   * How long a mutation waits for another service's event it depends on and has not seen yet: a
   * file attached to a post right after uploading it (media's MediaUploaded). Events normally
   * arrive within milliseconds.
   */
  EVENT_WAIT_MS: z.coerce.number().int().min(0).default(3_000),
  /** How often the outbox relay looks for events it was not told about (crash recovery). */
  OUTBOX_POLL_MS: positive(1_000),
  /** How often hashtag trend scores are recalculated (seed 002: every hour). */
  FEED_TRENDING_INTERVAL_MS: positive(60 * 60 * 1000),
  /** Explore ranks public posts of this recent window by their engagement. */
  FEED_EXPLORE_WINDOW_DAYS: positive(7),
});

export type FeedConfig = z.infer<typeof feedConfigSchema>;
