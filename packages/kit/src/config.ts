import { z } from 'zod';

/** Thrown when the environment does not describe a runnable service; lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** An optional env var where an empty string means "not set". */
export const optionalString = () => z.preprocess(emptyToUndefined, z.string().optional());
/** An optional URL env var (e.g. `REDIS_URL`): empty means not set, anything else must parse. */
export const optionalUrl = () => z.preprocess(emptyToUndefined, z.url().optional());
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
export const booleanFlag = (fallback: boolean) =>
  z
    .preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).optional())
    .transform((value) => (value === undefined ? fallback : value === 'true' || value === '1'));

/** Settings every service reads: runtime mode, logging, listening address, shared infrastructure. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: booleanFlag(false),
  HOST: z.string().default('0.0.0.0'),
  REDIS_URL: optionalUrl(),
  /**
   * Prepended to every Redis key and channel: event streams, pub/sub channels, caches, rate limits
   * and revoked sessions, so deployments or test runs sharing one Redis keep apart.
   */
  REDIS_KEY_PREFIX: z.string().default(''),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};

/** Issuer and audience of access tokens unless configured otherwise. */
export const DEFAULT_JWT_ISSUER = 'social-supergraph';
export const DEFAULT_JWT_AUDIENCE = 'social-supergraph';

/** Token verification settings (DESIGN 7): a PEM/JWK public key or a JWKS URL, issuer and audience. */
export const jwtConfigShape = {
  JWT_PUBLIC_KEY: optionalString(),
  JWT_JWKS_URL: optionalUrl(),
  JWT_ISSUER: z.string().default(DEFAULT_JWT_ISSUER),
  JWT_AUDIENCE: z.string().default(DEFAULT_JWT_AUDIENCE),
  JWT_ALGORITHM: z.enum(['EdDSA', 'ES256', 'RS256']).default('EdDSA'),
};

export type JwtConfig = z.infer<z.ZodObject<typeof jwtConfigShape>>;

/** graphql-ws connections of a subgraph: how often their tokens are verified again (DESIGN 7). */
export const socketConfigShape = {
  SUBSCRIPTIONS_REVERIFY_MS: z.coerce.number().int().positive().default(60_000),
};
export const socketConfigSchema = z.object(socketConfigShape);

/** What every service process reads: base settings plus the token verification keys. */
export const processConfigSchema = z
  .object({ ...baseConfigShape, ...jwtConfigShape, ...socketConfigShape })
  .refine((c) => c.JWT_PUBLIC_KEY !== undefined || c.JWT_JWKS_URL !== undefined, {
    message: 'one of JWT_PUBLIC_KEY or JWT_JWKS_URL must be set to verify access tokens',
    path: ['JWT_PUBLIC_KEY'],
  })
  // Without Redis each process would fall back to in-process pub/sub and events, and services in
  // separate processes would silently never hear of each other's events.
  .refine((c) => c.NODE_ENV !== 'production' || c.REDIS_URL !== undefined, {
    message:
      'is required in production: services in separate processes exchange events and subscription messages only through Redis',
    path: ['REDIS_URL'],
  });
export type ProcessConfig = z.infer<typeof processConfigSchema>;

/**
 * Parses the environment once into a typed config. Fails fast with every problem named by its
 * variable, so a misconfigured deployment stops at boot rather than at the first request.
 */
export function loadConfig<T extends z.ZodType>(
  service: string,
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
}

/** `loadConfig` for a process entry point: a bad environment prints every problem and exits 1. */
export function loadConfigOrExit<T extends z.ZodType>(
  service: string,
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<T> {
  try {
    return loadConfig(service, schema, env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
