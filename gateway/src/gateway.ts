import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { expressMiddleware } from '@as-integrations/express5';
import {
  keepIdleConnectionsLonger,
  listenHttp,
  mountHealthRoutes,
  viewerOfRequest,
  type HealthState,
  type Logger,
  type TokenVerifier,
  type Viewer,
} from '@social/kit';
import express, { type Express } from 'express';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { accessLog, requestRecordOf, type RequestRecord } from './access-log.js';
import { createApqCache } from './apq.js';
import { corsMiddleware, defaultCorsOrigins, type CorsOptions } from './cors.js';
import { supergraphFile } from './hot-reload.js';
import { batchGuard, httpErrorHandler } from './http-guards.js';
import {
  DEFAULT_OPERATION_LIMITS,
  operationLimitErrors,
  operationLimitsPlugin,
  type OperationLimits,
} from './limits.js';
import { GatewayMetrics } from './metrics.js';
import { gatewayFormatError, observabilityPlugin } from './observability.js';
import { allowlistMiddleware, type PersistedOperations } from './persisted.js';
import { FederatedExecutor, type PrecomputedExecution } from './execution/index.js';
import { postToSubgraph, subgraphHeaders } from './execution/subgraph-http.js';
import { fastQueryPath, precomputedOf } from './fast-path.js';
import { supergraphSubgraphs } from './supergraph.js';
import { mountGraphiql } from './graphiql/index.js';
import {
  createSubscriptionServer,
  type SubscriptionOptions,
  type SubscriptionServer,
} from './subscriptions/index.js';

export { supergraphSubgraphs, subgraphUrlsFromEnv } from './supergraph.js';
export { DEFAULT_OPERATION_LIMITS, operationLimitErrors, type OperationLimits } from './limits.js';
export { GatewayMetrics } from './metrics.js';
export { PersistedOperations } from './persisted.js';
export { createApqCache } from './apq.js';
export {
  SLOW_CONSUMER_CLOSE_CODE,
  subscriptionConfigShape,
  subscriptionOptionsFromConfig,
  subscriptionOptionsFromEnv,
  type SubscriptionOptions,
  type SubscriptionStats,
} from './subscriptions/index.js';

export interface GatewayContext {
  readonly authorization: string | undefined;
  /** The end client's IP and user agent, forwarded so subgraphs can audit (e.g. login history). */
  readonly clientIp: string | undefined;
  readonly userAgent: string | undefined;
  readonly requestId: string;
  readonly viewer: Viewer | null;
  /** The HTTP request's access-log record (absent outside HTTP, e.g. subscription events). */
  readonly record?: RequestRecord;
  /** This request's result, already computed by the edge's fast path (fast-path.ts). */
  readonly precomputed?: PrecomputedExecution;
}

export interface GatewayOptions {
  /**
   * The composed supergraph SDL (static: no boot-order dependency on the subgraphs). Read from
   * `supergraphPath` when not given.
   */
  readonly supergraphSdl?: string;
  /** The supergraph file; with `watchSupergraph` its changes apply without a restart. */
  readonly supergraphPath?: string;
  /** Hot-reload `supergraphPath` when it changes (default: on unless production). */
  readonly watchSupergraph?: boolean;
  /**
   * Subgraph URLs by subgraph name, overriding the ones recorded in the supergraph; a function is
   * asked again for each reloaded supergraph.
   */
  readonly subgraphUrls?:
    Readonly<Record<string, string>> | ((supergraphSdl: string) => Record<string, string>);
  readonly logger: Logger;
  /** When given, tokens are checked at the edge too, so a bad token fails before any planning. */
  readonly verifier?: TokenVerifier;
  readonly production?: boolean;
  readonly drainTimeoutMs?: number;
  readonly bodyLimit?: string;
  /** Express `trust proxy` for the client IP (default false: the socket peer is the client). */
  readonly trustProxy?: string | boolean;
  /** Per-operation limits on top of DEFAULT_OPERATION_LIMITS (limits.ts explains each number). */
  readonly limits?: Partial<OperationLimits>;
  /** Largest HTTP batch (JSON array of operations); 0, the default, refuses batches. */
  readonly maxBatchSize?: number;
  /**
   * Automatic persisted queries (on by default, in an LRU of `maxBytes`, default 16 MiB); pass a
   * cache (e.g. `createApqCache({ redis })`) to share registrations between replicas.
   */
  readonly persistedQueries?:
    | false
    | { readonly cache?: KeyValueCache<string>; readonly ttlSeconds?: number; readonly maxBytes?: number };
  /** Allowlist mode: only these operations run (by document or APQ hash). */
  readonly persistedOperations?: PersistedOperations;
  /** Browser origins allowed (default: localhost in development, none in production). */
  readonly cors?: CorsOptions;
  /** Prometheus metrics on `/metrics` (default on); with `token`, scrapers must send it as a bearer. */
  readonly metrics?: false | { readonly path?: string; readonly token?: string };
  /** GraphiQL for browsers on GET /graphql (default: on unless production). */
  readonly graphiql?: boolean;
  /** Federated subscriptions over graphql-ws: caps, message size, upstream pool (options.ts). */
  readonly subscriptions?: SubscriptionOptions;
  /**
   * Inbound deduplication (default on): concurrent identical queries of the same caller (same
   * document, operation name, variables, `Authorization`, client IP and user agent) share one
   * execution. Mutations never do. README "Query execution" argues the default.
   */
  readonly dedupeInbound?: boolean;
  /**
   * The edge's fast path for plain POST queries (fast-path.ts; default on with our executor): they
   * skip Apollo Server's per-request pipeline and deduplicated callers share one serialised body.
   */
  readonly fastPath?: boolean;
  /**
   * Run query plans with `@apollo/gateway`'s own executor instead of ours (src/execution/): a
   * comparison point for benchmarks and a way back; no inbound deduplication then.
   */
  readonly apolloExecutor?: boolean;
}

export interface Gateway {
  readonly app: Express;
  readonly httpServer: Server;
  readonly apollo: ApolloServer<GatewayContext>;
  /** The subgraph URLs in use, by name (they follow supergraph reloads). */
  readonly subgraphUrls: Readonly<Record<string, string>>;
  readonly limits: OperationLimits;
  /** Counters and gauges on `/metrics`; the subscriptions code updates `subscriptionsActive` etc. */
  readonly metrics: GatewayMetrics;
  /** The graphql-ws endpoint on `/graphql`: its connection, operation and upstream counts. */
  readonly subscriptions: SubscriptionServer;
  /** Re-reads `supergraphPath` now; resolves with whether the schema changed. */
  reloadSupergraph(): Promise<boolean>;
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
  readonly url: string | undefined;
}

/** The fetch signature RemoteGraphQLDataSource expects; undici's fetch is compatible at runtime. */
type SubgraphFetcher = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'];

/**
 * Forwards the client's credentials and request id on every subgraph fetch (DESIGN 7). A subgraph
 * request starts from empty headers, so nothing a client sends reaches a subgraph unless set here:
 * injected identity headers (`x-user-id`, `x-viewer`, `x-internal-*`, cookies) are dropped, and
 * `x-forwarded-for` (which subgraphs believe from the gateway's private address) is replaced by
 * the IP the gateway saw (`req.ip`, under its own `trust proxy` setting), never the client's.
 */
export class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    const set = (name: string, value: string | undefined) => {
      if (value) headers.set(name, value);
      else headers.delete(name);
    };
    set('authorization', context.authorization);
    set('x-request-id', context.requestId);
    set('x-forwarded-for', context.clientIp);
    set('user-agent', context.userAgent);
  }
}

async function subgraphAnswers(url: string, fetcher: typeof undiciFetch, timeoutMs: number): Promise<void> {
  const response = await fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  await response.arrayBuffer();
}

/** The supergraph API: Apollo Gateway over a static supergraph, with health endpoints. */
export function createGateway(options: GatewayOptions): Gateway {
  const logger = options.logger.child({ component: 'gateway' });
  const production = options.production ?? false;
  const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, ...options.limits };
  const bodyLimit = options.bodyLimit ?? '1mb';
  const metrics = new GatewayMetrics();
  const initialSdl =
    options.supergraphSdl ??
    (options.supergraphPath !== undefined ? readFileSync(options.supergraphPath, 'utf8') : undefined);
  if (initialSdl === undefined) throw new Error('createGateway needs supergraphSdl or supergraphPath');

  // One keep-alive connection pool for all subgraph fetches: no TCP/handshake per request.
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000, connections: 256 });
  const fetcher = ((url: string, init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(url, { ...init, dispatcher: agent })) as typeof undiciFetch;
  const timedFetcher = (subgraph: string) =>
    (async (url: string, init?: Parameters<typeof undiciFetch>[1]) => {
      const end = metrics.subgraphFetchDuration.startTimer({ subgraph });
      try {
        const response = await fetcher(url, init);
        end({ outcome: response.ok ? 'ok' : 'http_error' });
        return response;
      } catch (error) {
        end({ outcome: 'network_error' });
        throw error;
      }
    }) as typeof undiciFetch;

  // Subgraph URLs and their readiness checks follow the supergraph through hot reloads.
  const subgraphUrls: Record<string, string> = {};
  const readinessChecks: Record<string, () => Promise<void>> = {};
  const useSupergraph = (sdl: string) => {
    const overrides =
      typeof options.subgraphUrls === 'function' ? options.subgraphUrls(sdl) : (options.subgraphUrls ?? {});
    const subgraphs = supergraphSubgraphs(sdl);
    for (const name of Object.keys(subgraphUrls)) {
      delete subgraphUrls[name];
      delete readinessChecks[name];
    }
    for (const { name, url } of subgraphs) {
      const resolved = overrides[name] ?? url;
      subgraphUrls[name] = resolved;
      readinessChecks[name] = () => subgraphAnswers(resolved, fetcher, 1_500);
    }
  };
  useSupergraph(initialSdl);
  const supergraph = supergraphFile({
    initialSdl,
    ...(options.supergraphPath !== undefined ? { path: options.supergraphPath } : {}),
    watch: options.watchSupergraph ?? !production,
    logger,
    willApply: useSupergraph,
    onUpdate: () => metrics.supergraphUpdates.inc({ outcome: 'success' }),
    onRejected: () => metrics.supergraphUpdates.inc({ outcome: 'error' }),
  });

  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.manager,
    logger,
    buildService: ({ name, url }) =>
      new ForwardingDataSource({
        url: subgraphUrls[name] ?? url,
        fetcher: timedFetcher(name) as unknown as SubgraphFetcher,
      }),
  });

  // Query execution: ApolloGateway keeps the supergraph, our executor runs the plans (execution/).
  const execution = options.apolloExecutor
    ? undefined
    : new FederatedExecutor({
        gateway,
        dispatcher: agent,
        metrics,
        subgraphUrl: (name, recordedUrl) => subgraphUrls[name] ?? recordedUrl,
        dedupe: options.dedupeInbound ?? true,
      });
  // end query execution

  const app = express();
  app.disable('x-powered-by');
  // No ETag over GraphQL responses: hashing every (often large) body costs more than a POST, which
  // nothing caches, could gain from it.
  app.set('etag', false);
  // Behind a load balancer, set TRUST_PROXY so req.ip is the client's address, not the balancer's.
  app.set('trust proxy', options.trustProxy ?? false);
  // Edge: metrics and one access-log line for every request, CORS before any route answers.
  app.use(metrics.httpMiddleware());
  app.use(accessLog(options.logger.child({ component: 'access' })));
  app.use(corsMiddleware(options.cors ?? { origins: defaultCorsOrigins(production), credentials: true }));
  if (options.metrics !== false)
    metrics.mount(app, options.metrics?.path ?? '/metrics', options.metrics?.token);
  // end edge
  // GraphiQL on GET /graphql (from npm packages, no CDN)
  if (options.graphiql ?? !production) mountGraphiql(app);
  // end GraphiQL
  const httpServer = createServer(app);
  keepIdleConnectionsLonger(httpServer);
  const state: HealthState = { accepting: true };
  // Federated subscriptions (graphql-ws on /graphql)
  const subscriptions = createSubscriptionServer({
    httpServer,
    app,
    gateway,
    logger,
    ...(options.verifier ? { verifier: options.verifier } : {}),
    dataSource: (name, url) =>
      new ForwardingDataSource({ url, fetcher: timedFetcher(name) as unknown as SubgraphFetcher }),
    // Events' entity fetches: our executor's bare undici dispatch, with the subscriber's identity.
    send: (name, url, body, context) =>
      postToSubgraph(
        agent,
        metrics,
        name,
        url,
        body,
        subgraphHeaders({
          authorization: context.authorization,
          requestId: context.requestId,
          userAgent: context.userAgent,
          clientIp: context.clientIp,
        }),
      ),
    subgraphUrl: (name, recordedUrl) => subgraphUrls[name] ?? recordedUrl,
    production,
    validate: (schema, document, operationName, variables) =>
      operationLimitErrors(schema, document, operationName, limits, variables),
    maxTokens: limits.maxTokens,
    ...(options.persistedOperations ? { persistedOperations: options.persistedOperations } : {}),
    formatError: gatewayFormatError(production),
    metrics,
    ...(options.subscriptions ? { options: options.subscriptions } : {}),
  });
  // end federated subscriptions
  const apq = options.persistedQueries ?? {};
  const apollo = new ApolloServer<GatewayContext>({
    gateway: execution?.apolloGateway ?? gateway,
    // The process's graceful shutdown stops the gateway; Apollo's own SIGTERM handler (on unless
    // NODE_ENV is `test`) would race it and hang the shutdown.
    stopOnTerminationSignals: false,
    introspection: !production,
    // Production strips "Did you mean …?" from validation errors: no schema discovery by typo.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: !production,
    formatError: gatewayFormatError(production),
    // The token limit applies while parsing, before a large document costs anything.
    parseOptions: { maxTokens: limits.maxTokens },
    allowBatchedHttpRequests: (options.maxBatchSize ?? 0) > 0,
    persistedQueries:
      apq === false
        ? false
        : {
            cache: apq.cache ?? createApqCache({ maxBytes: apq.maxBytes ?? 16 * 1024 * 1024 }),
            ttl: apq.ttlSeconds ?? null,
          },
    plugins: [
      ApolloServerPluginDrainHttpServer({
        httpServer,
        stopGracePeriodMillis: options.drainTimeoutMs ?? 10_000,
      }),
      ApolloServerPluginLandingPageDisabled(),
      operationLimitsPlugin<GatewayContext>(limits),
      observabilityPlugin<GatewayContext>(logger, metrics),
    ],
    logger,
  });

  // `/ready` reads the checks on every probe, so subgraphs added by a reload are checked too.
  mountHealthRoutes(app, { name: 'gateway', state, checks: readinessChecks });

  let url: string | undefined;
  let started = false;
  let stopping = false;
  return {
    app,
    httpServer,
    apollo,
    subgraphUrls,
    limits,
    metrics,
    subscriptions,
    reloadSupergraph: () => supergraph.reload(),
    get url() {
      return url;
    },
    async listen(port, host = '0.0.0.0') {
      if (!started) {
        await apollo.start();
        started = true;
        app.use(
          '/graphql',
          express.json({ limit: bodyLimit }),
          batchGuard(options.maxBatchSize ?? 0),
          ...(options.persistedOperations ? [allowlistMiddleware(options.persistedOperations)] : []),
          ...(execution && options.fastPath !== false
            ? [
                fastQueryPath({
                  executor: execution,
                  limits,
                  metrics,
                  dedupe: options.dedupeInbound ?? true,
                  ...(options.verifier ? { verifier: options.verifier } : {}),
                  stopping: () => stopping,
                }),
              ]
            : []),
          expressMiddleware(apollo, {
            context: async ({ req, res }) => {
              const record = requestRecordOf(res);
              const authorization = req.headers.authorization;
              const viewer = options.verifier ? await viewerOfRequest(options.verifier, req) : null;
              const precomputed = precomputedOf(res);
              return {
                ...(precomputed ? { precomputed } : {}),
                authorization,
                requestId: record.requestId,
                record,
                viewer,
                clientIp: req.ip,
                userAgent: req.get('user-agent'),
              };
            },
          }),
        );
        app.use(httpErrorHandler(logger, bodyLimit));
      }
      url = await listenHttp(httpServer, port, host);
      logger.info({ url }, 'gateway listening');
      return url;
    },
    async stop() {
      state.accepting = false;
      stopping = true;
      // Federated subscriptions: client sockets close (1001) before HTTP drains.
      await subscriptions.close();
      if (started) await apollo.stop();
      else if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await agent.close();
      logger.info('gateway stopped');
    },
  };
}
