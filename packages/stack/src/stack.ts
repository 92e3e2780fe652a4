import { createGateway, subscriptionOptionsFromEnv, type Gateway } from '@social/gateway';
import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  GATEWAY_PORT,
  createSharedResources,
  repoRoot,
  subgraphTopology as subgraphs,
  type Logger,
  type ServiceFactory,
  type ServiceInstance,
  type SharedResources,
  type SigningKeyPair,
  type SubgraphName,
} from '@social/kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StackOptions {
  readonly logger: Logger;
  /** Signing keys: the public half verifies tokens everywhere; auth signs with the private half. */
  readonly keys: SigningKeyPair;
  /** Environment handed to every service (DATABASE_URL, MONGO_URL, ...); JWT settings are added. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Redis for pub/sub and events; without it every service shares one in-process implementation. */
  readonly redisUrl?: string;
  /** `dev` listens on the fixed ports of the kit's topology; `random` on port 0 (tests). */
  readonly ports: 'dev' | 'random';
  readonly host?: string;
  readonly production?: boolean;
  readonly supergraphPath?: string;
}

export interface Stack {
  readonly gatewayUrl: string;
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  readonly resources: SharedResources;
  readonly gateway: Gateway;
  /** Stops one subgraph (drains it, closes its clients), as a crash or a deploy would. */
  stopSubgraph(name: SubgraphName): Promise<void>;
  /** Starts a stopped subgraph again: a new instance on the same port. */
  startSubgraph(name: SubgraphName): Promise<void>;
  /** Stops the gateway, then the subgraphs, then the shared clients. */
  stop(): Promise<void>;
}

/** The whole supergraph in this process: six subgraphs sharing one set of resources, plus the gateway. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger } = options;
  const env = {
    ...options.env,
    JWT_PUBLIC_KEY: options.keys.publicKeyPem,
    JWT_PRIVATE_KEY: options.keys.privateKeyPem,
    JWT_ISSUER: DEFAULT_JWT_ISSUER,
    JWT_AUDIENCE: DEFAULT_JWT_AUDIENCE,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
  };
  const resources = createSharedResources({
    logger,
    verification: {
      publicKey: options.keys.publicKeyPem,
      issuer: DEFAULT_JWT_ISSUER,
      audience: DEFAULT_JWT_AUDIENCE,
    },
    redisUrl: options.redisUrl,
    redisKeyPrefix: options.env.REDIS_KEY_PREFIX,
    production: options.production ?? false,
    env,
  });
  const host = options.host ?? '127.0.0.1';
  const services = new Map<SubgraphName, ServiceInstance>();
  const subgraphUrls = {} as Record<SubgraphName, string>;
  let gateway: Gateway | undefined;

  const stop = async () => {
    await gateway?.stop();
    await Promise.all([...services.values()].map((service) => service.server.stop()));
    await Promise.all([...services.values()].map((service) => service.close()));
    await resources.close();
  };
  const startService = async (name: SubgraphName, port: number) => {
    const { createService } = (await import(`@social/${name}`)) as { createService: ServiceFactory };
    const service = await createService(resources);
    services.set(name, service);
    return service.server.listen(port, host);
  };
  const stopSubgraph = async (name: SubgraphName) => {
    const service = services.get(name);
    if (!service) return;
    services.delete(name);
    await service.server.stop();
    await service.close();
  };
  const startSubgraph = async (name: SubgraphName) => {
    if (services.has(name)) return;
    await startService(name, Number(new URL(subgraphUrls[name]).port));
  };

  try {
    for (const info of subgraphs) {
      subgraphUrls[info.name] = await startService(info.name, options.ports === 'dev' ? info.port : 0);
    }
    const supergraphSdl = readFileSync(
      options.supergraphPath ?? join(repoRoot, 'supergraph.graphql'),
      'utf8',
    );
    gateway = createGateway({
      supergraphSdl,
      subgraphUrls,
      logger,
      verifier: resources.verifier,
      production: resources.production,
      subscriptions: subscriptionOptionsFromEnv(env),
    });
    const gatewayUrl = await gateway.listen(options.ports === 'dev' ? GATEWAY_PORT : 0, host);
    return { gatewayUrl, subgraphUrls, resources, gateway, stopSubgraph, startSubgraph, stop };
  } catch (error) {
    await stop().catch((stopError: unknown) => logger.error({ err: stopError }, 'stack cleanup failed'));
    throw error;
  }
}
