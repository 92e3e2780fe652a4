import type { GraphQLDataSource } from '@apollo/gateway';
import {
  authorizationFromParams,
  clientOfUpgrade,
  isAuthenticationUnavailable,
  maskError,
  type ClientInfo,
  type Logger,
  type TokenVerifier,
  type Viewer,
} from '@social/kit';
import type { Express } from 'express';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type FormattedExecutionResult } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayContext } from '../gateway.js';
import { PERSISTED_QUERY_NOT_IN_LIST } from '../persisted.js';
import { resolveSubscriptionOptions, type SubscriptionOptions } from './options.js';
import {
  SchemaSnapshot,
  subgraphError,
  type EventFetchSend,
  type OperationRequest,
  type OperationValidator,
  type PreparedOperation,
} from './planner.js';
import { SubscriptionGroups, type GroupSource } from './groups.js';
import { EventStream } from './stream.js';
import { UpstreamPools, type UpstreamFailure } from './upstream.js';

/** Close code of a client dropped for not reading its events (4000 + 1008, policy violation). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;

/** The part of ApolloGateway subscriptions follow: every supergraph load and hot reload. */
export interface SchemaSource {
  onSchemaLoadOrUpdate(
    callback: (update: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void,
  ): () => void;
}

export interface SubscriptionServerOptions {
  /** The gateway's HTTP server: graphql-ws is served on its `/graphql`, next to HTTP requests. */
  readonly httpServer: Server;
  /** The gateway's Express app: its `trust proxy` decides a socket's client IP. */
  readonly app: Express;
  readonly gateway: SchemaSource;
  readonly logger: Logger;
  /** When given, `connectionParams.authorization` is verified on connect (bad token: 4403). */
  readonly verifier?: TokenVerifier;
  /** The data source entity fetches go through (the gateway's, which forwards the client's credentials). */
  readonly dataSource: (name: string, url: string) => GraphQLDataSource<GatewayContext>;
  /** How events' follow-up fetches reach the subgraphs (default: through `dataSource`). */
  readonly send?: EventFetchSend;
  /** Where a subgraph is, given the URL recorded in the supergraph. */
  readonly subgraphUrl?: (name: string, recordedUrl: string) => string;
  readonly production?: boolean;
  /** Applied to every operation after GraphQL validation, before planning (edge limits). */
  readonly validate?: OperationValidator;
  /** The edge's token limit, applied while parsing. */
  readonly maxTokens?: number;
  /**
   * Allowlist mode: an operation runs only if `resolve` accepts its document or its APQ hash
   * (`extensions.persistedQuery.sha256Hash`), as on HTTP.
   */
  readonly persistedOperations?: {
    resolve(query: unknown, sha256Hash: unknown): { query?: string } | { error: string };
  };
  /** Formats errors the gateway did not raise on purpose (default: the kit's masking). */
  readonly formatError?: (formatted: GraphQLFormattedError, original: unknown) => GraphQLFormattedError;
  readonly options?: SubscriptionOptions;
  /** Gauges and a counter to keep current (the gateway's Prometheus metrics fit). */
  readonly metrics?: SubscriptionMetrics;
  readonly path?: string;
}

/** What the subscriptions report to the gateway's metrics. */
export interface SubscriptionMetrics {
  readonly subscriptionsActive: { inc(): void; dec(): void };
  readonly connectionsActive: { inc(): void; dec(): void };
  readonly subscriptionEvents: { inc(): void };
}

export interface SubscriptionStats {
  /** Client connections that completed the graphql-ws handshake. */
  readonly connections: number;
  /** Client operations running (subscriptions, and queries sent over the socket). */
  readonly operations: number;
  /** Open upstream connections and operations per subgraph. */
  readonly upstream: Readonly<Record<string, { connections: number; operations: number }>>;
  readonly slowConsumersDropped: number;
  /** Operations refused because a connection or the gateway was at its cap. */
  readonly refusedOverCap: number;
}

export interface SubscriptionServer {
  stats(): SubscriptionStats;
  /** Refuses new sockets, closes the clients' (1001) and the upstream connections. */
  close(): Promise<void>;
}

/** One client socket. */
interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly client: ClientInfo;
  /** Running operations by id: whether each is a subscription. */
  readonly operations: Map<string, boolean>;
  authorization: string | undefined;
  viewer: Viewer | null;
  dropped: boolean;
  /** Closes the socket when the connection's token expires. */
  expiry: NodeJS.Timeout | undefined;
}

/** When a bearer token expires (its `exp`; it was verified already), or undefined. */
function expiryOf(authorization: string): number | undefined {
  const payload = /^Bearer\s+[^.\s]+\.([^.\s]+)\./i.exec(authorization)?.[1];
  if (!payload) return undefined;
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** setTimeout's largest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What graphql-ws hands from `onSubscribe` to `subscribe`/`execute` as the context value. */
interface OperationState {
  readonly prepared: PreparedOperation;
  readonly request: OperationRequest;
  readonly connection: Connection;
}

/**
 * Federated subscriptions (DESIGN 8): graphql-ws on the gateway's `/graphql`. Each subscription
 * is planned with the gateway's query planner; its primary part goes to the owning subgraph over
 * a pooled, multiplexed graphql-ws connection (with the client's credentials per operation), and
 * every event runs the rest of the plan through the gateway's executor. Queries and mutations sent
 * over the socket run their plan the same way.
 */
export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const settings = resolveSubscriptionOptions(options.options);
  const logger = options.logger.child({ component: 'subscriptions' });
  const production = options.production ?? false;
  const formatInternal = options.formatError ?? maskError({ exposeInternal: !production });
  const pools = new UpstreamPools({
    connections: settings.upstreamConnections,
    retryAttempts: settings.upstreamRetryAttempts,
    retryBaseMs: settings.upstreamRetryBaseMs,
    retryMaxMs: settings.upstreamRetryMaxMs,
    keepAliveMs: settings.keepAliveMs,
    logger,
  });
  const groups = new SubscriptionGroups();

  // Errors raised here on purpose (caps, an upstream gone) keep their message in production.
  const deliberate = new WeakSet<GraphQLError>();
  const gatewayError = (message: string, extensions: Record<string, unknown>) => {
    const error = new GraphQLError(message, { extensions });
    deliberate.add(error);
    return error;
  };
  const formatOne = (error: unknown, requestId?: string): GraphQLFormattedError => {
    const graphQLError = error instanceof GraphQLError ? error : undefined;
    if (graphQLError && deliberate.has(graphQLError)) return graphQLError.toJSON();
    const formatted = graphQLError ? graphQLError.toJSON() : { message: String(error) };
    const code = formatted.extensions?.code;
    if (code === undefined || code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: error, requestId, path: formatted.path }, 'internal error');
    }
    return formatInternal(formatted, error);
  };
  const format = (result: ExecutionResult, requestId: string): FormattedExecutionResult => ({
    ...('data' in result ? { data: result.data } : {}),
    ...(result.errors?.length ? { errors: result.errors.map((error) => formatOne(error, requestId)) } : {}),
  });

  let latest: { apiSchema: GraphQLSchema; coreSupergraphSdl: string } | undefined;
  let snapshot: SchemaSnapshot | undefined;
  // A reload only affects operations started afterwards; live ones keep their snapshot.
  const stopListening = options.gateway.onSchemaLoadOrUpdate((update) => {
    latest = update;
    snapshot = undefined;
  });
  const currentSnapshot = (): SchemaSnapshot | undefined => {
    if (!snapshot && latest) {
      snapshot = new SchemaSnapshot({
        ...latest,
        dataSource: options.dataSource,
        ...(options.send ? { send: options.send } : {}),
        subgraphUrl: options.subgraphUrl ?? ((_name, url) => url),
        validate: options.validate,
        maxTokens: options.maxTokens,
        production,
        planCacheSize: settings.planCacheSize,
        eventExecutor: settings.eventExecutor,
      });
    }
    return snapshot;
  };

  const connections = new Set<Connection>();
  let operations = 0;
  let slowConsumersDropped = 0;
  let refusedOverCap = 0;
  let accepting = true;

  // A token that expires or whose session is revoked ends its connection: graphql-ws clients
  // reconnect (4403 is not fatal to them) with a fresh token from their connectionParams.
  const refuse = (connection: Connection, why: string) => {
    logger.info({ connectionId: connection.id, why }, 'websocket closed: token no longer valid');
    connection.socket.close(CloseCode.Forbidden, `Forbidden: ${why}`);
  };
  const verifier = options.verifier;
  const reverify = verifier
    ? setInterval(() => {
        for (const connection of connections) {
          const { authorization } = connection;
          if (!authorization) continue;
          verifier.viewerFromAuthorization(authorization).catch((error: unknown) => {
            // The revocation store is unreachable: the next check decides, sockets stay open.
            if (!isAuthenticationUnavailable(error)) refuse(connection, 'token revoked');
          });
        }
      }, settings.reverifyMs)
    : undefined;
  reverify?.unref();

  const release = (connection: Connection, id: string) => {
    const subscription = connection.operations.get(id);
    if (subscription === undefined) return;
    connection.operations.delete(id);
    operations -= 1;
    if (subscription) options.metrics?.subscriptionsActive.dec();
  };

  const dropSlowConsumer = (connection: Connection, why: string) => {
    if (connection.dropped) return;
    connection.dropped = true;
    slowConsumersDropped += 1;
    logger.warn(
      { connectionId: connection.id, why, bufferedAmount: connection.socket.bufferedAmount },
      'slow subscriber dropped',
    );
    connection.socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: events were not read fast enough');
    // The close frame waits behind what the client has not read; do not wait for it forever.
    setTimeout(() => connection.socket.terminate(), 5_000).unref();
  };

  const subgraphGone = (subgraph: string, failure: UpstreamFailure): ExecutionResult => {
    if (failure.kind === 'errors')
      return { errors: failure.errors.map((error) => subgraphError(error, subgraph)) };
    logger.warn({ subgraph, detail: failure.detail }, 'upstream subscription ended: subgraph unavailable');
    return {
      errors: [
        gatewayError(`The ${subgraph} service is unavailable; this subscription has ended`, {
          code: 'INTERNAL_SERVER_ERROR',
          reason: 'SUBGRAPH_UNAVAILABLE',
          serviceName: subgraph,
        }),
      ],
    };
  };

  // A stable id per prepared operation: identical subscriptions share an upstream (groups.ts).
  const operationIds = new WeakMap<PreparedOperation, number>();
  let nextOperationId = 0;
  const groupKey = (prepared: PreparedOperation, request: OperationRequest) => {
    let id = operationIds.get(prepared);
    if (id === undefined) {
      id = nextOperationId += 1;
      operationIds.set(prepared, id);
    }
    const { authorization, clientIp } = request.context;
    return JSON.stringify([id, request.variables, authorization ?? '', clientIp ?? '']);
  };

  const startSubscription = (state: OperationState): EventStream | ExecutionResult => {
    const { prepared, request, connection } = state;
    const snapshot = prepared.schema;
    const target = snapshot.primaryRequest(prepared, request.variables);
    const url = target.url;
    if (!url) return { errors: [new GraphQLError(`No URL for subgraph "${target.subgraph}"`)] };
    const stream = new EventStream({
      maxQueued: settings.maxQueuedEvents,
      onOverflow: () => dropSlowConsumer(connection, 'too many undelivered events'),
    });
    // The first member's request runs the group's events: the others have the same identity.
    const source = (): GroupSource => ({
      start: (sink) => {
        const { context } = request;
        return pools.get(target.subgraph, url).subscribe(
          {
            query: target.query,
            ...(target.operationName ? { operationName: target.operationName } : {}),
            variables: target.variables,
            // Per-operation identity on a shared connection; '' is explicitly anonymous.
            extensions: {
              authorization: context.authorization ?? '',
              requestId: context.requestId,
              ...(context.clientIp ? { clientIp: context.clientIp } : {}),
              ...(context.userAgent ? { userAgent: context.userAgent } : {}),
            },
          },
          sink,
        );
      },
      resolve: (event) =>
        snapshot.resolveEvent(prepared, event, request).catch((error: unknown) => ({
          errors: [
            error instanceof GraphQLError
              ? error
              : new GraphQLError(String(error), { originalError: error as Error }),
          ],
        })),
      failure: (failure) => subgraphGone(target.subgraph, failure),
    });
    groups.join(groupKey(prepared, request), stream, source);
    return stream;
  };

  const server = makeServer<Record<string, unknown>, Connection>({
    onConnect: async (ctx) => {
      if (!accepting) return false;
      const connection = ctx.extra;
      const authorization = authorizationFromParams(ctx.connectionParams);
      if (options.verifier && authorization) {
        try {
          connection.viewer = await options.verifier.viewerFromAuthorization(authorization);
        } catch (error) {
          logger.debug({ err: error, connectionId: connection.id }, 'websocket connection refused');
          return false;
        }
      }
      // The client may have left while its token was being checked.
      if (connection.socket.readyState !== WebSocket.OPEN) return false;
      connection.authorization = authorization || undefined;
      const expiresAt = authorization && options.verifier ? expiryOf(authorization) : undefined;
      if (expiresAt !== undefined) {
        const delay = Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now()));
        connection.expiry = setTimeout(() => refuse(connection, 'token expired'), delay);
        connection.expiry.unref();
      }
      connections.add(connection);
      options.metrics?.connectionsActive.inc();
      return true;
    },
    onSubscribe: (ctx, id, payload) => {
      const connection = ctx.extra;
      if (connection.operations.size >= settings.maxPerConnection) {
        refusedOverCap += 1;
        return [
          gatewayError(`At most ${settings.maxPerConnection} subscriptions may run on one connection`, {
            code: 'RATE_LIMITED',
            reason: 'TOO_MANY_SUBSCRIPTIONS',
            limit: settings.maxPerConnection,
          }),
        ];
      }
      if (operations >= settings.maxTotal) {
        refusedOverCap += 1;
        return [
          gatewayError('The gateway is at its subscription capacity; try again later', {
            code: 'RATE_LIMITED',
            reason: 'SUBSCRIPTION_CAPACITY',
            limit: settings.maxTotal,
          }),
        ];
      }
      const current = currentSnapshot();
      if (!current) return [gatewayError('The gateway is starting', { code: 'INTERNAL_SERVER_ERROR' })];
      const operationName = payload.operationName ?? undefined;
      const variables = payload.variables ?? {};
      let query = payload.query;
      if (options.persistedOperations) {
        const hash = (payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
        const listed = options.persistedOperations.resolve(query, hash);
        if ('error' in listed) return [gatewayError(listed.error, { code: PERSISTED_QUERY_NOT_IN_LIST })];
        query = listed.query ?? query;
      }
      const prepared = current.prepare(query, operationName, variables);
      if (!('plan' in prepared)) return prepared;
      connection.operations.set(id, prepared.kind === 'subscription');
      operations += 1;
      if (prepared.kind === 'subscription') options.metrics?.subscriptionsActive.inc();
      const requestId = `${connection.id}:${id}`;
      const request: OperationRequest = {
        query,
        operationName,
        variables,
        context: {
          authorization: connection.authorization,
          requestId,
          clientIp: connection.client.ip,
          userAgent: connection.client.userAgent,
          viewer: connection.viewer,
        },
        logger: logger.child({ requestId }),
      };
      const state: OperationState = { prepared, request, connection };
      return {
        schema: current.apiSchema,
        document: prepared.document,
        operationName,
        variableValues: variables,
        contextValue: state,
      };
    },
    subscribe: (args) => startSubscription(args.contextValue as OperationState),
    execute: (args) => {
      const { prepared, request } = args.contextValue as OperationState;
      return prepared.schema.execute(prepared, request);
    },
    onNext: (ctx, id, _payload, _args, result) => {
      if (ctx.extra.operations.get(id)) options.metrics?.subscriptionEvents.inc();
      return format(result, `${ctx.extra.id}:${id}`);
    },
    onError: (ctx, id, _payload, errors) => errors.map((error) => formatOne(error, `${ctx.extra.id}:${id}`)),
    onComplete: (ctx, id) => release(ctx.extra, id),
    onClose: (ctx) => {
      const connection = ctx.extra;
      clearTimeout(connection.expiry);
      for (const id of [...connection.operations.keys()]) release(connection, id);
      if (connections.delete(connection)) options.metrics?.connectionsActive.dec();
    },
  });

  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path ?? '/graphql',
    maxPayload: settings.maxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  // ws re-emits the HTTP server's errors (e.g. a port in use); listen() reports those already.
  wss.on('error', (error) => logger.debug({ err: error }, 'websocket server error'));
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const connection: Connection = {
      id: randomUUID(),
      socket,
      client: clientOfUpgrade(request, options.app),
      operations: new Map(),
      authorization: undefined,
      viewer: null,
      dropped: false,
      expiry: undefined,
    };
    // ws closes the socket itself on a protocol error (1009 for an oversized message).
    socket.on('error', (error) =>
      logger.debug({ err: error, connectionId: connection.id }, 'client socket error'),
    );
    let alive = true;
    socket.on('pong', () => (alive = true));
    const keepAlive = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, settings.keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== WebSocket.OPEN) return;
          if (socket.bufferedAmount > settings.maxBufferedBytes) {
            dropSlowConsumer(connection, 'send buffer over its limit');
            return;
          }
          // Resolves once the socket took the frame: graphql-ws sends the next event after it.
          return new Promise<void>((resolve) => socket.send(data, () => resolve()));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data: WebSocket.RawData) => {
            try {
              await handle(String(data));
            } catch (error) {
              logger.error({ err: error, connectionId: connection.id }, 'graphql-ws message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      connection,
    );
    socket.once('close', (code: number, reason: Buffer) => {
      clearInterval(keepAlive);
      closed(code, reason.toString()).catch((error: unknown) =>
        logger.error({ err: error, connectionId: connection.id }, 'graphql-ws close failed'),
      );
    });
  });

  return {
    stats: () => ({
      connections: connections.size,
      operations,
      upstream: pools.stats(),
      slowConsumersDropped,
      refusedOverCap,
    }),
    async close() {
      accepting = false;
      stopListening();
      clearInterval(reverify);
      const sockets = [...wss.clients];
      const allClosed = Promise.all(
        sockets.map((socket) =>
          socket.readyState === WebSocket.CLOSED
            ? undefined
            : new Promise<void>((resolve) => socket.once('close', () => resolve())),
        ),
      );
      for (const socket of sockets) socket.close(1001, 'Going away');
      // A client that does not answer the close handshake is cut off.
      const grace = setTimeout(() => sockets.forEach((socket) => socket.terminate()), 2_000);
      await allClosed;
      clearTimeout(grace);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await pools.close();
    },
  };
}
