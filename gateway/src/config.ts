import {
  GATEWAY_PORT,
  baseConfigShape,
  booleanFlag,
  jwtConfigShape,
  optionalString,
  port,
} from '@social/kit';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { GatewayOptions } from './gateway.js';
import type { OperationLimits } from './limits.js';
import { subscriptionConfigShape } from './subscriptions/options.js';

const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);
/** An optional whole number (`min` and up); an empty value means "not set". */
const optionalInt = (min = 1) => z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).optional());

/** The edge settings of the gateway's environment (documented in gateway/README.md). */
export const edgeConfigShape = {
  /** Unset: on unless production. */
  SUPERGRAPH_WATCH: z.preprocess(unsetIfEmpty, z.enum(['true', 'false', '1', '0']).optional()),
  LIMIT_MAX_DEPTH: optionalInt(),
  LIMIT_MAX_ALIASES: optionalInt(0),
  LIMIT_MAX_ROOT_FIELDS: optionalInt(),
  LIMIT_MAX_DIRECTIVES: optionalInt(0),
  LIMIT_MAX_COST: optionalInt(),
  LIMIT_MAX_TOKENS: optionalInt(),
  LIMIT_DEFAULT_LIST_SIZE: optionalInt(),
  LIMIT_MAX_INTROSPECTION_DEPTH: optionalInt(),
  BODY_LIMIT: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'a size such as 512kb or 1mb')
      .default('1mb'),
  ),
  MAX_BATCH_SIZE: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(100).default(0)),
  APQ_ENABLED: booleanFlag(true),
  APQ_TTL_SECONDS: optionalInt(),
  APQ_CACHE_MAX_BYTES: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
  ),
  PERSISTED_OPERATIONS_PATH: optionalString(),
  CORS_ORIGINS: optionalString(),
  CORS_CREDENTIALS: booleanFlag(true),
  METRICS_ENABLED: booleanFlag(true),
  METRICS_TOKEN: optionalString(),
  /** Inbound deduplication of concurrent identical queries of one caller (gateway/README.md). */
  DEDUPE_INBOUND: booleanFlag(true),
};

export type EdgeConfig = z.infer<z.ZodObject<typeof edgeConfigShape>>;

/** The repository's composed supergraph; the same path from `src/` and from the compiled `dist/`. */
const defaultSupergraph = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));

/** Everything the gateway process reads from its environment. */
export const gatewayConfigSchema = z.object({
  ...baseConfigShape,
  ...jwtConfigShape,
  PORT: port(GATEWAY_PORT),
  TRUST_PROXY: optionalString(),
  GRAPHIQL_ENABLED: booleanFlag(process.env.NODE_ENV !== 'production'),
  SUPERGRAPH_PATH: optionalString().transform((value) => value ?? defaultSupergraph),
  ...edgeConfigShape,
  ...subscriptionConfigShape,
});

const LIMIT_VARIABLES: ReadonlyArray<[keyof EdgeConfig, keyof OperationLimits]> = [
  ['LIMIT_MAX_DEPTH', 'maxDepth'],
  ['LIMIT_MAX_ALIASES', 'maxAliases'],
  ['LIMIT_MAX_ROOT_FIELDS', 'maxRootFields'],
  ['LIMIT_MAX_DIRECTIVES', 'maxDirectives'],
  ['LIMIT_MAX_COST', 'maxCost'],
  ['LIMIT_MAX_TOKENS', 'maxTokens'],
  ['LIMIT_DEFAULT_LIST_SIZE', 'defaultListSize'],
  ['LIMIT_MAX_INTROSPECTION_DEPTH', 'maxIntrospectionDepth'],
];

/** Limits set in the environment; the rest keep DEFAULT_OPERATION_LIMITS. */
export function limitsFromConfig(config: EdgeConfig): Partial<OperationLimits> {
  const limits: Partial<Record<keyof OperationLimits, number>> = {};
  for (const [variable, limit] of LIMIT_VARIABLES) {
    const value = config[variable];
    if (typeof value === 'number') limits[limit] = value;
  }
  return limits;
}

/** `CORS_ORIGINS=https://a.example,https://b.example` (or `*`, or `localhost`); unset: the mode's default. */
export function corsFromConfig(config: EdgeConfig): GatewayOptions['cors'] {
  if (config.CORS_ORIGINS === undefined) return undefined;
  const origins = config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim().replace(/\/$/, ''))
    .filter((origin) => origin !== '');
  return { origins, credentials: config.CORS_CREDENTIALS };
}

/** Whether to hot-reload the supergraph file: `SUPERGRAPH_WATCH`, else on unless production. */
export function watchFromConfig(config: EdgeConfig, production: boolean): boolean {
  const value = config.SUPERGRAPH_WATCH;
  return value === undefined ? !production : value === 'true' || value === '1';
}
