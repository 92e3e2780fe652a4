import { booleanFlag, optionalString, optionalUrl, repoRoot } from '@social/kit';
import { join } from 'node:path';
import { z } from 'zod';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegative = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/** Settings of the media service (parsed once at start; limits are the seed's and issue 8's). */
export const mediaConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    MONGO_URL: z.string({ message: 'MONGO_URL must be the MongoDB URL of the media database' }).min(1),
    /**
     * Origin clients reach the media HTTP routes at (e.g. https://media.example.com), used in every
     * URL the service hands out. Unset: the address the service listens on.
     */
    MEDIA_PUBLIC_URL: optionalUrl(),
    /**
     * HMAC key of upload tickets and signed access URLs (at least 32 characters). Required in
     * production; elsewhere a key derived from the JWT keys, so restarts keep URLs valid.
     */
    MEDIA_URL_SECRET: optionalString(),
    /** Where the bytes live: `local` disk (default) or an S3-compatible object store. */
    MEDIA_STORAGE: z.enum(['local', 's3']).default('local'),
    MEDIA_STORAGE_DIR: optionalString().transform((value) => value ?? join(repoRoot, '.data', 'media')),
    MEDIA_S3_ENDPOINT: optionalUrl(),
    MEDIA_S3_BUCKET: optionalString(),
    MEDIA_S3_REGION: z.string().default('us-east-1'),
    MEDIA_S3_ACCESS_KEY_ID: optionalString(),
    MEDIA_S3_SECRET_ACCESS_KEY: optionalString(),
    /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which MinIO and most S3 clones need. */
    MEDIA_S3_FORCE_PATH_STYLE: booleanFlag(true),
    /** Lifetime of an upload ticket (issue 8: 15 minutes). */
    MEDIA_UPLOAD_URL_TTL_SECONDS: positive(15 * 60),
    /** Lifetime of the signed URLs of private files in GraphQL answers. */
    MEDIA_SIGNED_URL_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
    /** Whether this instance processes uploads (variants, metadata); several instances may. */
    MEDIA_PROCESSING_ENABLED: booleanFlag(true),
    MEDIA_PROCESSING_CONCURRENCY: positive(2),
    /** How often the processor looks for work it was not told about (other instances, retries). */
    MEDIA_PROCESSING_POLL_MS: positive(2_000),
    /** A file in Processing for longer than this is taken to be abandoned (crash) and retried. */
    MEDIA_PROCESSING_LEASE_SECONDS: positive(5 * 60),
    MEDIA_PROCESSING_MAX_ATTEMPTS: positive(3),
    /**
     * Largest image processed, in pixels (all frames of an animation together): a small file can
     * decode to gigabytes (a "decompression bomb"); larger images end FAILED. 100 MP covers
     * today's phone cameras within the 10 MB upload limit.
     */
    MEDIA_MAX_IMAGE_PIXELS: positive(100_000_000),
    /** How often expired uploads and deleted files past their grace period are cleaned up. */
    MEDIA_SWEEP_INTERVAL_MS: positive(60_000),
    /** How long a deleted file's bytes are kept before the sweep removes them. */
    MEDIA_DELETE_GRACE_SECONDS: nonNegative(7 * 24 * 3600),
    /** How often storage is scanned for objects no record owns (after a crash); 0 turns it off. */
    MEDIA_ORPHAN_SCAN_INTERVAL_MS: nonNegative(6 * 3600 * 1000),
    /** Objects younger than this are never orphans (an upload may still be finishing). */
    MEDIA_ORPHAN_MIN_AGE_SECONDS: nonNegative(24 * 3600),
    /** How often the outbox relay looks for events it was not told about (crash recovery). */
    OUTBOX_POLL_MS: positive(1_000),
    JWT_PRIVATE_KEY: optionalString(),
    JWT_PUBLIC_KEY: optionalString(),
  })
  .superRefine((config, context) => {
    if (config.MEDIA_URL_SECRET !== undefined && config.MEDIA_URL_SECRET.length < 32) {
      context.addIssue({
        code: 'custom',
        path: ['MEDIA_URL_SECRET'],
        message: 'must be at least 32 characters',
      });
    }
    if (config.NODE_ENV === 'production' && config.MEDIA_URL_SECRET === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['MEDIA_URL_SECRET'],
        message: 'is required in production (the key that signs upload and access URLs)',
      });
    }
    if (config.MEDIA_STORAGE === 's3') {
      for (const name of [
        'MEDIA_S3_ENDPOINT',
        'MEDIA_S3_BUCKET',
        'MEDIA_S3_ACCESS_KEY_ID',
        'MEDIA_S3_SECRET_ACCESS_KEY',
      ] as const) {
        if (config[name] === undefined) {
          context.addIssue({ code: 'custom', path: [name], message: 'is required when MEDIA_STORAGE=s3' });
        }
      }
    }
  });

export type MediaConfig = z.infer<typeof mediaConfigSchema>;
