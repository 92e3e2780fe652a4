import {
  baseConfigShape,
  createLogger,
  createTokenVerifier,
  installGracefulShutdown,
  jwtConfigShape,
  loadConfig,
  optionalString,
  port,
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
  SUPERGRAPH_PATH: optionalString().transform((value) => value ?? defaultSupergraph),
});

let config: z.infer<typeof configSchema>;
let supergraphSdl: string;
try {
  config = loadConfig('gateway', configSchema);
  supergraphSdl = readFileSync(config.SUPERGRAPH_PATH, 'utf8');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
const verifierKey = config.JWT_PUBLIC_KEY
  ? { publicKey: config.JWT_PUBLIC_KEY }
  : config.JWT_JWKS_URL
    ? { jwksUrl: config.JWT_JWKS_URL }
    : undefined;
const gateway = createGateway({
  supergraphSdl,
  subgraphUrls: subgraphUrlsFromEnv(supergraphSdl, process.env),
  logger,
  production: config.NODE_ENV === 'production',
  drainTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  ...(verifierKey
    ? {
        verifier: createTokenVerifier({
          ...verifierKey,
          algorithm: config.JWT_ALGORITHM,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        }),
      }
    : {}),
});
await gateway.listen(config.PORT, config.HOST);
installGracefulShutdown({
  logger,
  timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  steps: [{ name: 'gateway', run: () => gateway.stop() }],
});
