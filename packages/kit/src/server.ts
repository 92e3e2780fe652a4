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
import { GraphQLError, execute, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { TokenVerifier, Viewer } from './auth.js';
import { closeForbidden, createSocketReverifier, endWhenInvalid } from './auth-sockets.js';
import { maskError, unauthenticated } from './errors.js';
import { keepIdleConnectionsLonger, listenHttp, requestIdOf, viewerOfRequest } from './http.js';
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
  /**
   * How often the tokens of open graphql-ws connections are verified again: a revoked session's
   * sockets are closed with 4403, as are sockets whose token expired (at its `exp`).
   */
  readonly reverifyMs?: number;
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

/** Whether the socket peer of an upgrade is a proxy we trust (Express `trust proxy`), e.g. the gateway. */
function peerIsTrusted(request: IncomingMessage, app: Express): boolean {
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const peer = request.socket.remoteAddress;
  return peer !== undefined && trust(peer, 0);
}

/** The client of a WebSocket upgrade, with the same proxy trust as HTTP requests. */
export function clientOfUpgrade(request: IncomingMessage, app: Express): ClientInfo {
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const forwarded = request.headers['x-forwarded-for'];
  const chain = typeof forwarded === 'string' ? forwarded.split(',').map((hop) => hop.trim()) : [];
  let ip = request.socket.remoteAddress;
  // Walk back from the socket peer through the trusted proxies, as Express's req.ip does.
  for (let hop = 0; ip !== undefined && trust(ip, hop) && chain.length > 0; hop += 1) ip = chain.pop();
  const userAgent = request.headers['user-agent'];
  return { ip, userAgent };
}

/**
 * The `authorization` of graphql-ws connection params, or of one subscribe payload's `extensions`
 * (the gateway's pooled upstream connections carry each operation's own credentials there).
 */
export function authorizationFromParams(
  params: Readonly<Record<string, unknown>> | null | undefined,
): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** Who one graphql-ws operation runs as, when its subscribe payload says so itself. */
interface OperationIdentity {
  readonly viewer: Viewer | null;
  /** The operation's own `extensions.authorization`, watched for revocation while it runs. */
  readonly authorization: string;
  readonly requestId: string | undefined;
  readonly client: ClientInfo | undefined;
}

const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 512 ? value : undefined;
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
  keepIdleConnectionsLonger(httpServer);
  const state: HealthState = { accepting: true };
  const buildContext = async (base: BaseContext): Promise<TContext> =>
    options.context ? options.context(base) : (base as TContext);

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const reverifier = createSocketReverifier(options.verifier, {
    logger,
    ...(options.reverifyMs ? { intervalMs: options.reverifyMs } : {}),
  });
  // Per-operation identities, keyed by the subscribe payload graphql-ws hands to both hooks.
  const operationIdentities = new WeakMap<object, OperationIdentity>();
  const wsCleanup = useServer<
    Record<string, unknown>,
    { viewer: Viewer | null; connectionId: string; client: ClientInfo }
  >(
    {
      schema,
      onConnect: async (ctx) => {
        if (!state.accepting) return false;
        try {
          const authorization = authorizationFromParams(ctx.connectionParams);
          ctx.extra.viewer = await options.verifier.viewerFromAuthorization(authorization);
          ctx.extra.connectionId = randomUUID();
          ctx.extra.client = clientOfUpgrade(ctx.extra.request, app);
          // The client may have left while its token was being checked.
          if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
          reverifier.track(ctx.extra.socket, authorization, (why) => closeForbidden(ctx.extra.socket, why));
          return true;
        } catch (error) {
          logger.debug({ err: error }, 'websocket connection refused');
          return false;
        }
      },
      onClose: (ctx) => reverifier.forget(ctx.extra.socket),
      // A multiplexed connection (the gateway's upstream pool) carries many users: an operation's
      // own `extensions.authorization` takes precedence over the connection's, and a bad one fails
      // that operation only. Its client IP, user agent and request id are believed only from a
      // trusted peer, as X-Forwarded-For is for HTTP.
      onSubscribe: async (ctx, _id, payload) => {
        const extensions = payload.extensions ?? undefined;
        const authorization = authorizationFromParams(extensions);
        if (authorization === undefined) return undefined;
        let viewer: Viewer | null;
        try {
          viewer = await options.verifier.viewerFromAuthorization(authorization);
        } catch (error) {
          logger.debug({ err: error }, 'websocket operation refused');
          return [error instanceof GraphQLError ? error : unauthenticated('Invalid access token')];
        }
        const trusted = peerIsTrusted(ctx.extra.request, app);
        const requestId = trusted ? stringOf(extensions?.requestId) : undefined;
        const ip = trusted ? stringOf(extensions?.clientIp) : undefined;
        operationIdentities.set(payload, {
          viewer,
          authorization,
          requestId: requestId && REQUEST_ID_PATTERN.test(requestId) ? requestId : undefined,
          client: ip ? { ip, userAgent: stringOf(extensions?.userAgent) } : undefined,
        });
        return undefined;
      },
      context: (ctx, id, payload) => {
        const own = operationIdentities.get(payload);
        const requestId = own?.requestId ?? `${ctx.extra.connectionId ?? 'ws'}:${id}`;
        const base: BaseContext = {
          viewer: own ? own.viewer : (ctx.extra.viewer ?? null),
          requestId,
          logger: logger.child({ requestId }),
          client: own?.client ?? ctx.extra.client ?? { ip: undefined, userAgent: undefined },
        };
        return { base, authorization: own?.authorization };
      },
      execute: async (args) => {
        const { base } = args.contextValue as { base: BaseContext };
        return execute({ ...args, contextValue: await buildContext(base) });
      },
      subscribe: async (args) => {
        const { base, authorization } = args.contextValue as { base: BaseContext; authorization?: string };
        const result = await subscribeWithFreshContext(args, () => buildContext(base));
        // An operation with credentials of its own ends when they do (the connection's are watched
        // on the socket itself).
        if (!authorization || !(Symbol.asyncIterator in result)) return result;
        return endWhenInvalid(result, reverifier, authorization);
      },
    },
    wsServer,
  );

  const drainWebSockets: ApolloServerPlugin = {
    async serverWillStart() {
      return {
        async drainServer() {
          reverifier.stop();
          await wsCleanup.dispose();
        },
      };
    },
  };

  const apollo = new ApolloServer<TContext>({
    schema,
    // Shutdown is the process's (installGracefulShutdown, in order with the clients): Apollo's own
    // SIGTERM handler, on whenever NODE_ENV is not `test`, would stop the server a second time
    // and left every standalone service hanging until the shutdown timeout.
    stopOnTerminationSignals: false,
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
        reverifier.stop();
        await wsCleanup.dispose();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      }
      logger.info('subgraph stopped');
    },
  };
}
