import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  createSharedResources,
  isRedisReachable,
  silentLogger,
  type ServiceInstance,
  type SharedResources,
} from '@social/kit';
import type { Supergraph } from '@social/testing';
import { createService } from '../src/subgraph.js';

/**
 * A second chat instance next to a testbed's: its own process-wide resources (Redis connections,
 * pub/sub, event bus) from `createSharedResources`, the same MongoDB database and the same Redis,
 * exactly as a second pod would run. Used by the multi-instance test and the fan-out benchmark.
 */
export interface ChatInstance {
  readonly url: string;
  readonly resources: SharedResources;
  readonly service: ServiceInstance;
  stop(): Promise<void>;
}

export async function startSecondInstance(supergraph: Supergraph, redisUrl: string): Promise<ChatInstance> {
  const env = supergraph.stack.resources.env;
  const publicKey = env.JWT_PUBLIC_KEY;
  if (!publicKey) throw new Error('The stack did not expose its JWT public key');
  const resources = createSharedResources({
    logger: silentLogger(),
    verification: { publicKey, issuer: DEFAULT_JWT_ISSUER, audience: DEFAULT_JWT_AUDIENCE },
    redisUrl,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    production: false,
    env,
  });
  const service = await createService(resources);
  const url = await service.server.listen(0, '127.0.0.1');
  return {
    url,
    resources,
    service,
    async stop() {
      await service.server.stop();
      await service.close();
      await resources.close();
    },
  };
}

/**
 * The Redis the multi-instance tests share (null when none answers). Each harness prefixes its
 * event streams and pub/sub channels (REDIS_KEY_PREFIX), and a second instance takes the same
 * prefix, so runs sharing one Redis never take each other's events.
 */
export async function isolatedRedisUrl(): Promise<string | null> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  return (await isRedisReachable(url, 1_000)) ? url : null;
}
