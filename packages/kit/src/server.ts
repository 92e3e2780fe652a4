import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import express, { type Express } from 'express';
import { execute, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { TokenVerifier, Viewer } from './auth.js';
import { maskError } from './errors.js';
import { listenHttp, requestIdOf, viewerOfRequest } from './http.js';
import { mountHealthRoutes, type HealthState, type ReadinessCheck } from './health.js';
import { scalarResolversFor } from './scalars.js';
import { subscribeWithFreshContext } from './subscriptions.js';

export type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';

/** What every resolver context has; subgraphs extend it with their loaders and repositories. */
export interface BaseContext {
  readonly viewer: Viewer | null;
  /** Correlates logs across the gateway and subgraphs (`x-request-id`). */
  readonly requestId: string;
  readonly logger: Logger;
  /** Who is calling: the end client's IP (forwarded by the gateway) and user agent. */
  readonly client: ClientInfo;
}

export interface ClientInfo {
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

export interface SubgraphServerOptions<TContext extends BaseContext> {
  readonly name: string;
  readonly typeDefs: DocumentNode;
  readonly resolvers: GraphQLResolverMap<TContext>;
  readonly logger: Logger;
  readonly verifier: TokenVerifier;
  /**
   * Builds the per-request context from the base one (viewer, requestId, logger): the place for
   * per-request DataLoaders. For subscriptions it runs once per delivered event.
   */
  readonly context?: (base: BaseContext) => TContext | Promise<TContext>;
  /** Dependencies `/ready` checks (e.g. `{ mongo: () => db.command({ ping: 1 }) }`). */
  readonly readiness?: Record<string, ReadinessCheck>;
  /** Production hides introspection, stack traces and internal error messages. */
  readonly production?: boolean;
  /** Longest a shutdown waits for in-flight requests before closing connections. */
  readonly drainTimeoutMs?: number;
  /** Largest accepted JSON body. */
  readonly bodyLimit?: string;
  /**
   * Which peers' `X-Forwarded-For` is believed for the client IP (Express `trust proxy`). Default:
   * private and loopback addresses, where the gateway runs.
   */
  readonly trustProxy?: string | boolean;
}

export interface SubgraphServer {
  readonly name: string;
  readonly schema: GraphQLSchema;
  readonly app: Express;
  readonly httpServer: Server;
  /** Starts Apollo and listens; port 0 picks a free port. Resolves with the `/graphql` URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, drains HTTP requests and subscriptions (closing sockets 1001), stops Apollo. */
  stop(): Promise<void>;
  readonly url: string | undefined;
}

/** The client of a WebSocket upgrade, with the same proxy trust as HTTP requests. */
function clientOfUpgrade(request: IncomingMessage, app: Express): ClientInfo {
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const forwarded = request.headers['x-forwarded-for'];
  const chain = typeof forwarded === 'string' ? forwarded.split(',').map((hop) => hop.trim()) : [];
  let ip = request.socket.remoteAddress;
  // Walk back from the socket peer through the trusted proxies, as Express's req.ip does.
  for (let hop = 0; ip !== undefined && trust(ip, hop) && chain.length > 0; hop += 1) ip = chain.pop();
  const userAgent = request.headers['user-agent'];
  return { ip, userAgent };
}

function authorizationFromParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * One subgraph service: Apollo Server 5 over Express 5 on `/graphql`, a graphql-ws server on the
 * same path for subscriptions, `/health` and `/ready`. Building it has no side effects.
 */
export function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): SubgraphServer {
  const logger = options.logger.child({ subgraph: options.name });
  const production = options.production ?? false;
  const schema = buildSubgraphSchema({
    typeDefs: options.typeDefs,
    resolvers: {
      ...scalarResolversFor(options.typeDefs),
      ...options.resolvers,
    } as GraphQLResolverMap<unknown>,
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 'loopback, linklocal, uniquelocal');
  const httpServer = createServer(app);
  const state: HealthState = { accepting: true };
  const buildContext = async (base: BaseContext): Promise<TContext> =>
    options.context ? options.context(base) : (base as TContext);

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer<
    Record<string, unknown>,
    { viewer: Viewer | null; connectionId: string; client: ClientInfo }
  >(
    {
      schema,
      onConnect: async (ctx) => {
        if (!state.accepting) return false;
        try {
          ctx.extra.viewer = await options.verifier.viewerFromAuthorization(
            authorizationFromParams(ctx.connectionParams),
          );
          ctx.extra.connectionId = randomUUID();
          ctx.extra.client = clientOfUpgrade(ctx.extra.request, app);
          return true;
        } catch (error) {
          logger.debug({ err: error }, 'websocket connection refused');
          return false;
        }
      },
      context: (ctx, id) => {
        const requestId = `${ctx.extra.connectionId ?? 'ws'}:${id}`;
        const base: BaseContext = {
          viewer: ctx.extra.viewer ?? null,
          requestId,
          logger: logger.child({ requestId }),
          client: ctx.extra.client ?? { ip: undefined, userAgent: undefined },
        };
        return { base };
      },
      execute: async (args) => {
        const { base } = args.contextValue as { base: BaseContext };
        return execute({ ...args, contextValue: await buildContext(base) });
      },
      subscribe: (args) => {
        const { base } = args.contextValue as { base: BaseContext };
        return subscribeWithFreshContext(args, () => buildContext(base));
      },
    },
    wsServer,
  );

  const drainWebSockets: ApolloServerPlugin = {
    async serverWillStart() {
      return {
        async drainServer() {
          await wsCleanup.dispose();
        },
      };
    },
  };

  const apollo = new ApolloServer<TContext>({
    schema,
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
      drainWebSockets,
      ApolloServerPluginLandingPageDisabled(),
      // No Apollo Studio here: skip building federated traces on every request.
      ApolloServerPluginInlineTraceDisabled(),
    ],
    logger,
  });

  mountHealthRoutes(app, { name: options.name, checks: options.readiness ?? {}, state });

  let url: string | undefined;
  let started = false;

  return {
    name: options.name,
    schema,
    app,
    httpServer,
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
              const viewer = await viewerOfRequest(options.verifier, req);
              return buildContext({
                viewer,
                requestId,
                logger: logger.child({ requestId }),
                client: { ip: req.ip, userAgent: req.get('user-agent') },
              });
            },
          }),
        );
      }
      url = await listenHttp(httpServer, port, host);
      logger.info({ url }, 'subgraph listening');
      return url;
    },
    async stop() {
      state.accepting = false;
      if (started) {
        await apollo.stop();
      } else {
        await wsCleanup.dispose();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      }
      logger.info('subgraph stopped');
    },
  };
}
