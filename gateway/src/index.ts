import {
  baseConfigShape,
  createLogger,
  installGracefulShutdown,
  jwtConfigShape,
  loadConfigOrExit,
  optionalString,
  port,
  RedisSessionRevocations,
  createRedisClient,
  verifierFromConfig,
} from '@social/kit';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createGateway } from './gateway.js';
import { subgraphUrlsFromEnv } from './supergraph.js';

const defaultSupergraph = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));

const configSchema = z.object({
  ...baseConfigShape,
  ...jwtConfigShape,
  PORT: port(4000),
  TRUST_PROXY: optionalString(),
  SUPERGRAPH_PATH: optionalString().transform((value) => value ?? defaultSupergraph),
});

const config = loadConfigOrExit('gateway', configSchema);
let supergraphSdl: string;
try {
  supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
} catch (error) {
  console.error(`Cannot read the supergraph at ${config.SUPERGRAPH_PATH}: ${(error as Error).message}`);
  process.exit(1);
}

const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
const gateway = createGateway({
  supergraphSdl,
  subgraphUrls: subgraphUrlsFromEnv(supergraphSdl, process.env),
  logger,
  production: config.NODE_ENV === 'production',
  drainTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  ...(config.TRUST_PROXY ? { trustProxy: config.TRUST_PROXY } : {}),
  // Edge verification is optional here: each subgraph verifies the token anyway (DESIGN 7). With
  // Redis it also sees revoked sessions, so a logged-out token fails before any planning.
  ...(config.JWT_PUBLIC_KEY || config.JWT_JWKS_URL
    ? {
        verifier: verifierFromConfig(
          config,
          config.REDIS_URL
            ? new RedisSessionRevocations(createRedisClient(config.REDIS_URL, logger, 'gateway-revocations'))
            : undefined,
        ),
      }
    : {}),
});
await gateway.listen(config.PORT, config.HOST);
installGracefulShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  steps: [{ name: 'gateway', run: () => gateway.stop() }],
});
