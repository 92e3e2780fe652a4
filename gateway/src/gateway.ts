import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import {
  listenHttp,
  maskError,
  mountHealthRoutes,
  requestIdOf,
  viewerOfRequest,
  type HealthState,
  type Logger,
  type TokenVerifier,
  type Viewer,
} from '@social/kit';
import express, { type Express } from 'express';
import { createServer, type Server } from 'node:http';
import { Agent, fetch as undiciFetch } from 'undici';
import { supergraphSubgraphs } from './supergraph.js';

export { supergraphSubgraphs, subgraphUrlsFromEnv } from './supergraph.js';

export interface GatewayContext {
  readonly authorization: string | undefined;
  /** The end client's IP and user agent, forwarded so subgraphs can audit (e.g. login history). */
  readonly clientIp: string | undefined;
  readonly userAgent: string | undefined;
  readonly requestId: string;
  readonly viewer: Viewer | null;
}

export interface GatewayOptions {
  /** The composed supergraph SDL (static: no boot-order dependency on the subgraphs). */
  readonly supergraphSdl: string;
  /** Subgraph URLs by subgraph name, overriding the ones recorded in the supergraph. */
  readonly subgraphUrls?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** When given, tokens are checked at the edge too, so a bad token fails before any planning. */
  readonly verifier?: TokenVerifier;
  readonly production?: boolean;
  readonly drainTimeoutMs?: number;
  readonly bodyLimit?: string;
  /** Express `trust proxy` for the client IP (default false: the socket peer is the client). */
  readonly trustProxy?: string | boolean;
}

export interface Gateway {
  readonly app: Express;
  readonly httpServer: Server;
  readonly apollo: ApolloServer<GatewayContext>;
  /** The subgraph URLs in use, by name. */
  readonly subgraphUrls: Readonly<Record<string, string>>;
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
  readonly url: string | undefined;
}

/** The fetch signature RemoteGraphQLDataSource expects; undici's fetch is compatible at runtime. */
type SubgraphFetcher = NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher'];

/** Forwards the client's credentials and request id on every subgraph fetch (DESIGN 7). */
class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (!request.http) return;
    if (context.authorization) request.http.headers.set('authorization', context.authorization);
    if (context.requestId) request.http.headers.set('x-request-id', context.requestId);
    if (context.clientIp) request.http.headers.set('x-forwarded-for', context.clientIp);
    if (context.userAgent) request.http.headers.set('user-agent', context.userAgent);
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
  const subgraphUrls = Object.fromEntries(
    supergraphSubgraphs(options.supergraphSdl).map(({ name, url }) => [
      name,
      options.subgraphUrls?.[name] ?? url,
    ]),
  );
  // One keep-alive connection pool for all subgraph fetches: no TCP/handshake per request.
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000, connections: 256 });
  const fetcher = ((url: string, init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(url, { ...init, dispatcher: agent })) as typeof undiciFetch;

  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger,
    buildService: ({ name, url }) =>
      new ForwardingDataSource({
        url: subgraphUrls[name] ?? url,
        fetcher: fetcher as unknown as SubgraphFetcher,
      }),
  });

  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer, set TRUST_PROXY so req.ip is the client's address, not the balancer's.
  app.set('trust proxy', options.trustProxy ?? false);
  const httpServer = createServer(app);
  const state: HealthState = { accepting: true };
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    formatError: maskError({
      exposeInternal: !production,
      onInternal: (formatted, original) =>
        logger.error({ err: original, path: formatted.path }, 'internal error'),
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({
        httpServer,
        stopGracePeriodMillis: options.drainTimeoutMs ?? 10_000,
      }),
      ApolloServerPluginLandingPageDisabled(),
    ],
    logger,
  });

  mountHealthRoutes(app, {
    name: 'gateway',
    state,
    checks: Object.fromEntries(
      Object.entries(subgraphUrls).map(([name, url]) => [name, () => subgraphAnswers(url, fetcher, 1_500)]),
    ),
  });

  let url: string | undefined;
  let started = false;
  return {
    app,
    httpServer,
    apollo,
    subgraphUrls,
    get url() {
      return url;
    },
    async listen(port, host = '0.0.0.0') {
      if (!started) {
        await apollo.start();
        started = true;
        app.use(
          '/graphql',
          express.json({ limit: options.bodyLimit ?? '1mb' }),
          expressMiddleware(apollo, {
            context: async ({ req, res }) => {
              const requestId = requestIdOf(req, res);
              const authorization = req.headers.authorization;
              const viewer = options.verifier ? await viewerOfRequest(options.verifier, req) : null;
              return { authorization, requestId, viewer, clientIp: req.ip, userAgent: req.get('user-agent') };
            },
          }),
        );
      }
      url = await listenHttp(httpServer, port, host);
      logger.info({ url }, 'gateway listening');
      return url;
    },
    async stop() {
      state.accepting = false;
      if (started) await apollo.stop();
      else if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await agent.close();
      logger.info('gateway stopped');
    },
  };
}
