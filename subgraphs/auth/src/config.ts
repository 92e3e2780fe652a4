import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  booleanFlag,
  optionalString,
  optionalUrl,
  repoRoot,
} from '@social/kit';
import { join } from 'node:path';
import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings of the auth service (parsed once at start; every default is the seed's or DESIGN 7's). */
export const authConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.url({ message: 'DATABASE_URL must be the PostgreSQL URL of the auth database' }),
  /** PKCS#8 PEM private key that signs access tokens; its public half is served as the JWKS. */
  JWT_PRIVATE_KEY: z.string({ message: 'JWT_PRIVATE_KEY (PKCS#8 PEM) is required to sign access tokens' }),
  JWT_ISSUER: z.string().default(DEFAULT_JWT_ISSUER),
  JWT_AUDIENCE: z.string().default(DEFAULT_JWT_AUDIENCE),
  JWT_ALGORITHM: z.enum(['EdDSA', 'ES256', 'RS256']).default('EdDSA'),
  /**
   * Key for the HMAC of refresh tokens, verification codes and reset tokens (only those hashes are
   * stored). Defaults to a key derived from JWT_PRIVATE_KEY; set it explicitly to rotate them apart.
   */
  AUTH_HASH_SECRET: optionalString(),
  ACCESS_TOKEN_TTL_SECONDS: seconds(15 * 60),
  REFRESH_TOKEN_TTL_SECONDS: seconds(30 * 24 * 60 * 60),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  VERIFICATION_CODE_TTL_SECONDS: seconds(15 * 60),
  PASSWORD_RESET_TTL_SECONDS: seconds(15 * 60),
  LOGIN_MAX_FAILURES: count(5),
  LOGIN_LOCK_SECONDS: seconds(15 * 60),
  /** Requests per window for each limit (DESIGN 11); windows are RATE_LIMIT_WINDOW_SECONDS long. */
  RATE_LIMIT_WINDOW_SECONDS: seconds(15 * 60),
  RATE_LIMIT_LOGIN_PER_IP: count(100),
  RATE_LIMIT_LOGIN_PER_IDENTIFIER: count(20),
  RATE_LIMIT_REGISTER_PER_IP: count(20),
  RATE_LIMIT_PASSWORD_RESET_PER_IP: count(10),
  RATE_LIMIT_VERIFICATION_PER_IP: count(30),
  RATE_LIMITS_ENABLED: booleanFlag(true),
  MAIL_OUTBOX: optionalString().transform((value) => value ?? join(repoRoot, '.data', 'mail-outbox.jsonl')),
  SMTP_URL: optionalUrl(),
  MAIL_FROM: optionalString().transform((value) => value ?? 'Social Supergraph <no-reply@social.local>'),
  /** How often the scheduled cleanup_old_data() runs (daily by default). */
  CLEANUP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 60 * 60 * 1000),
  /** How often the outbox relay looks for events it was not told about (crash recovery). */
  OUTBOX_POLL_MS: z.coerce.number().int().positive().default(1_000),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
