import type { Logger } from 'pino';
import { z } from 'zod';
import type { Redis } from 'ioredis';
import { createTokenVerifier, type TokenVerifier, type VerifierOptions } from './auth.js';
import {
  loadConfig,
  loadConfigOrExit,
  port,
  processConfigSchema,
  socketConfigSchema,
  type JwtConfig,
  type ProcessConfig,
} from './config.js';
import { createEventBus, type EventBus } from './events.js';
import { createLogger } from './logger.js';
import type { ReadinessCheck } from './health.js';
import { createPubSub, type PubSub } from './pubsub.js';
import { closeRedisClient, createRedisClient } from './redis.js';
import { MemorySessionRevocations, RedisSessionRevocations, type SessionRevocations } from './revocations.js';
import type { Express } from 'express';
import type { DocumentNode } from 'graphql';
import {
  createSubgraphServer,
  type BaseContext,
  type GraphQLResolverMap,
  type SubgraphServer,
} from './server.js';
import { installGracefulShutdown } from './shutdown.js';

/**
 * Process-wide resources a service is built from. The dev stack and the test harness share one
 * set between all six subgraphs in one process; a standalone service builds its own.
 */
export interface SharedResources {
  readonly logger: Logger;
  /** Verifies access tokens, rejecting those of revoked sessions (checked against `revocations`). */
  readonly verifier: TokenVerifier;
  /** Revoked session ids, shared by every instance through Redis (DESIGN 7). */
  readonly revocations: SessionRevocations;
  /** The process's Redis command connection when REDIS_URL is set (rate limits, caches). */
  readonly redis: Redis | undefined;
  /**
   * REDIS_KEY_PREFIX: prepended to every Redis key and channel a service uses (streams, pub/sub,
   * caches, rate limits), so deployments or test runs sharing one Redis never see each other's keys.
   */
  readonly redisKeyPrefix: string;
  readonly pubsub: PubSub;
  readonly events: EventBus;
  readonly production: boolean;
  /** Checks of the shared infrastructure for every service's `/ready` (Redis when configured). */
  readonly readiness: Record<string, ReadinessCheck>;
  /** Raw environment; each service parses what it needs (DATABASE_URL, MONGO_URL, ...) with its own schema. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Closes pub/sub, the event bus and the shared Redis connection; after every service stopped. */
  close(): Promise<void>;
}

export interface ServiceInstance {
  readonly server: SubgraphServer;
  /** Closes the clients the service opened itself (database pools...); runs after the server drained. */
  close(): Promise<void>;
}

/** What every subgraph package exports as `createService`. */
export type ServiceFactory = (resources: SharedResources) => Promise<ServiceInstance>;

export function loadProcessConfig(name: string, env: NodeJS.ProcessEnv = process.env): ProcessConfig {
  return loadConfig(name, processConfigSchema, env);
}

/** What verifies access tokens, minus the revocation check the shared resources add. */
export type VerificationOptions = Omit<VerifierOptions, 'isSessionRevoked'>;

/** Verification settings from the JWT config (public key or JWKS URL). */
export function verificationFromConfig(config: JwtConfig): VerificationOptions {
  return {
    ...(config.JWT_PUBLIC_KEY ? { publicKey: config.JWT_PUBLIC_KEY } : {}),
    ...(config.JWT_JWKS_URL ? { jwksUrl: config.JWT_JWKS_URL } : {}),
    algorithm: config.JWT_ALGORITHM,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  };
}

/** Token verifier from the JWT settings (public key or JWKS URL; throws when neither is set). */
export function verifierFromConfig(config: JwtConfig, revocations?: SessionRevocations): TokenVerifier {
  return createTokenVerifier({
    ...verificationFromConfig(config),
    ...(revocations ? { isSessionRevoked: (sid: string) => revocations.isRevoked(sid) } : {}),
  });
}

/**
 * Pub/sub, event bus and session revocations over Redis when a URL is given, else the in-process
 * implementations; the token verifier checks revocations.
 */
export function createSharedResources(options: {
  logger: Logger;
  verification: VerificationOptions;
  redisUrl?: string | undefined;
  /** Prepended to event stream keys and pub/sub channels (REDIS_KEY_PREFIX). */
  redisKeyPrefix?: string | undefined;
  production: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): SharedResources {
  const { logger, redisUrl } = options;
  const prefix = options.redisKeyPrefix ? { prefix: options.redisKeyPrefix } : {};
  // One command connection per process, shared by publishing, events and readiness checks.
  const redis = redisUrl ? createRedisClient(redisUrl, logger, 'shared') : undefined;
  const shared = redis ? { redis } : {};
  const pubsub = createPubSub({ ...shared, ...prefix, logger });
  const events = createEventBus({ ...shared, ...prefix, logger });
  const revocations: SessionRevocations = redis
    ? new RedisSessionRevocations(redis, options.redisKeyPrefix)
    : new MemorySessionRevocations();
  const verifier = createTokenVerifier({
    ...options.verification,
    isSessionRevoked: (sessionId) => revocations.isRevoked(sessionId),
  });
  return {
    logger,
    verifier,
    revocations,
    redis,
    redisKeyPrefix: options.redisKeyPrefix ?? '',
    pubsub,
    events,
    production: options.production,
    readiness: redis ? { redis: () => redis.ping() } : {},
    env: options.env,
    async close() {
      await Promise.all([pubsub.close(), events.close()]);
      if (redis) await closeRedisClient(redis);
    },
  };
}

/**
 * The body of a subgraph's `src/index.ts`: read config, build resources, start the service on its
 * port and shut it down gracefully on SIGTERM/SIGINT.
 */
export async function runService(name: string, defaultPort: number, factory: ServiceFactory): Promise<void> {
  const config = loadConfigOrExit(name, processConfigSchema);
  const listenPort = loadConfigOrExit(name, z.object({ PORT: port(defaultPort) })).PORT;
  const resources = createSharedResources({
    logger: createLogger({ name, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
    verification: verificationFromConfig(config),
    redisUrl: config.REDIS_URL,
    redisKeyPrefix: config.REDIS_KEY_PREFIX,
    production: config.NODE_ENV === 'production',
    env: process.env,
  });
  const service = await factory(resources);
  await service.server.listen(listenPort, config.HOST);
  installGracefulShutdown({
    logger: resources.logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    steps: [
      { name: 'server', run: () => service.server.stop() },
      { name: 'service clients', run: () => service.close() },
      { name: 'shared clients', run: () => resources.close() },
    ],
  });
}

/** What a service opens once per process (database clients...) and how to check and close it. */
export interface Connected<TDeps> {
  readonly deps: TDeps;
  readonly readiness?: Record<string, ReadinessCheck>;
  readonly close?: () => Promise<void>;
}

export interface SubgraphDefinition<TContext extends BaseContext, TDeps> {
  readonly name: string;
  readonly typeDefs: DocumentNode;
  readonly resolvers: GraphQLResolverMap<TContext>;
  /** Opens the service's own clients from the shared resources (runs once, before listening). */
  readonly connect?: (resources: SharedResources) => Promise<Connected<TDeps>>;
  /** Builds the context of a request or of one subscription event: per-request loaders go here. */
  readonly context: (base: BaseContext, deps: TDeps, resources: SharedResources) => TContext;
  /**
   * Extra HTTP routes next to `/graphql` (e.g. auth's `/.well-known/jwks.json`). `server` is the
   * service's server, not listening yet: for routes that need its address once it listens.
   */
  readonly routes?: (app: Express, deps: TDeps, resources: SharedResources, server: SubgraphServer) => void;
}

/**
 * The `createService` of a subgraph: connects its own clients, then builds its server with the
 * shared readiness checks plus its own. Starts nothing; `listen` is the caller's.
 */
export function defineSubgraph<TContext extends BaseContext, TDeps = undefined>(
  definition: SubgraphDefinition<TContext, TDeps>,
): ServiceFactory {
  return async (resources) => {
    const connected = definition.connect
      ? await definition.connect(resources)
      : ({ deps: undefined as TDeps } satisfies Connected<TDeps>);
    const server = createSubgraphServer<TContext>({
      name: definition.name,
      typeDefs: definition.typeDefs,
      resolvers: definition.resolvers,
      logger: resources.logger,
      verifier: resources.verifier,
      production: resources.production,
      readiness: { ...resources.readiness, ...connected.readiness },
      context: (base) => definition.context(base, connected.deps, resources),
      reverifyMs: loadConfig(definition.name, socketConfigSchema, resources.env).SUBSCRIPTIONS_REVERIFY_MS,
    });
    definition.routes?.(server.app, connected.deps, resources, server);
    return { server, close: connected.close ?? (async () => undefined) };
  };
}
