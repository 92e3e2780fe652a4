/**
 * Our gateway (`createGateway` from gateway/src/gateway.ts) as `gateway/src/index.ts` starts it in
 * production: the environment parsed by the gateway's own config schema with NODE_ENV=production
 * (no hot reload, default operation limits, APQ in memory, metrics, access log at info level), no
 * Redis and no token verification (the benchmark sends no tokens), and inbound deduplication
 * from `--dedupe`.
 *
 *   npx tsx --conditions=development bench/federation/gateways/ours.ts --supergraph PATH --port 4000 --dedupe on
 */
import { createLogger, loadConfig } from '@social/kit';
import { readFileSync } from 'node:fs';
import {
  corsFromConfig,
  gatewayConfigSchema,
  limitsFromConfig,
  watchFromConfig,
} from '../../../gateway/src/config.js';
import { createApqCache } from '../../../gateway/src/apq.js';
import { createGateway, subscriptionOptionsFromConfig } from '../../../gateway/src/gateway.js';
import { announceReady, gatewayRunnerArgs, runIfMain } from './cli.js';

runIfMain(import.meta.url, async () => {
  const args = gatewayRunnerArgs();
  const config = loadConfig('gateway', gatewayConfigSchema, {
    ...process.env,
    NODE_ENV: 'production',
    SUPERGRAPH_PATH: args.supergraphPath,
    PORT: String(args.port),
  });
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL, pretty: false });
  const cors = corsFromConfig(config);
  const gateway = createGateway({
    supergraphSdl: readFileSync(config.SUPERGRAPH_PATH, 'utf8'),
    supergraphPath: config.SUPERGRAPH_PATH,
    watchSupergraph: watchFromConfig(config, true),
    logger,
    production: true,
    drainTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    bodyLimit: config.BODY_LIMIT,
    limits: limitsFromConfig(config),
    maxBatchSize: config.MAX_BATCH_SIZE,
    persistedQueries: config.APQ_ENABLED
      ? {
          cache: createApqCache({ keyPrefix: config.REDIS_KEY_PREFIX, maxBytes: config.APQ_CACHE_MAX_BYTES }),
          ...(config.APQ_TTL_SECONDS ? { ttlSeconds: config.APQ_TTL_SECONDS } : {}),
        }
      : false,
    ...(cors ? { cors } : {}),
    metrics: config.METRICS_ENABLED ? (config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}) : false,
    graphiql: config.GRAPHIQL_ENABLED,
    subscriptions: subscriptionOptionsFromConfig(config),
    dedupeInbound: args.dedupe,
  });
  const url = await gateway.listen(config.PORT, '127.0.0.1');
  const stop = () => void gateway.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  announceReady(url);
});
