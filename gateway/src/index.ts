import {
  createLogger,
  installGracefulShutdown,
  loadConfigOrExit,
  RedisSessionRevocations,
  closeRedisClient,
  createRedisClient,
  verifierFromConfig,
} from '@social/kit';
import { readFileSync } from 'node:fs';
import { createApqCache } from './apq.js';
import { corsFromConfig, gatewayConfigSchema, limitsFromConfig, watchFromConfig } from './config.js';
import { createGateway, subscriptionOptionsFromConfig } from './gateway.js';
import { PersistedOperations } from './persisted.js';
import { subgraphUrlsFromEnv } from './supergraph.js';

const config = loadConfigOrExit('gateway', gatewayConfigSchema);
let supergraphSdl: string;
try {
  supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
} catch (error) {
  console.error(`Cannot read the supergraph at ${config.SUPERGRAPH_PATH}: ${(error as Error).message}`);
  process.exit(1);
}

let persistedOperations: PersistedOperations | undefined;
try {
  if (config.PERSISTED_OPERATIONS_PATH) {
    persistedOperations = PersistedOperations.fromFile(config.PERSISTED_OPERATIONS_PATH);
  }
} catch (error) {
  console.error(`Cannot load PERSISTED_OPERATIONS_PATH: ${(error as Error).message}`);
  process.exit(1);
}

const production = config.NODE_ENV === 'production';
const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
// One connection for revoked sessions and the shared APQ cache.
const redis = config.REDIS_URL ? createRedisClient(config.REDIS_URL, logger, 'gateway') : undefined;
const cors = corsFromConfig(config);
const gateway = createGateway({
  supergraphSdl,
  supergraphPath: config.SUPERGRAPH_PATH,
  watchSupergraph: watchFromConfig(config, production),
  // Asked again on every reload, so a subgraph added to the supergraph gets its <NAME>_URL too.
  subgraphUrls: (sdl) => subgraphUrlsFromEnv(sdl, process.env),
  logger,
  production,
  drainTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  bodyLimit: config.BODY_LIMIT,
  limits: limitsFromConfig(config),
  maxBatchSize: config.MAX_BATCH_SIZE,
  persistedQueries: config.APQ_ENABLED
    ? {
        cache: createApqCache({
          ...(redis ? { redis } : {}),
          keyPrefix: config.REDIS_KEY_PREFIX,
          maxBytes: config.APQ_CACHE_MAX_BYTES,
        }),
        ...(config.APQ_TTL_SECONDS ? { ttlSeconds: config.APQ_TTL_SECONDS } : {}),
      }
    : false,
  ...(persistedOperations ? { persistedOperations } : {}),
  ...(cors ? { cors } : {}),
  metrics: config.METRICS_ENABLED ? (config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}) : false,
  graphiql: config.GRAPHIQL_ENABLED,
  subscriptions: subscriptionOptionsFromConfig(config),
  dedupeInbound: config.DEDUPE_INBOUND,
  ...(config.TRUST_PROXY ? { trustProxy: config.TRUST_PROXY } : {}),
  // Edge verification is optional here: each subgraph verifies the token anyway (DESIGN 7). With
  // Redis it also sees revoked sessions, so a logged-out token fails before any planning.
  ...(config.JWT_PUBLIC_KEY || config.JWT_JWKS_URL
    ? {
        verifier: verifierFromConfig(
          config,
          redis ? new RedisSessionRevocations(redis, config.REDIS_KEY_PREFIX) : undefined,
        ),
      }
    : {}),
});
await gateway.listen(config.PORT, config.HOST);
if (persistedOperations)
  logger.info({ operations: persistedOperations.size }, 'persisted-operations allowlist on');
// `kill -HUP` re-reads the supergraph file, also when watching is off (production).
process.on('SIGHUP', () => void gateway.reloadSupergraph());
installGracefulShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  steps: [
    { name: 'gateway', run: () => gateway.stop() },
    ...(redis ? [{ name: 'redis', run: () => closeRedisClient(redis) }] : []),
  ],
});
