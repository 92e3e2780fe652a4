import { loadConfig } from '@social/kit';
import { z } from 'zod';

/** Limits and upstream settings of the gateway's federated subscriptions (all optional). */
export interface SubscriptionOptions {
  /** Operations one client connection may run at once; the next one is refused. */
  readonly maxPerConnection?: number;
  /** Operations the whole gateway runs at once over all connections. */
  readonly maxTotal?: number;
  /** Largest inbound WebSocket message in bytes; a bigger one closes the socket (1009). */
  readonly maxMessageBytes?: number;
  /** A client with more than this many bytes not yet taken by its socket is dropped as slow. */
  readonly maxBufferedBytes?: number;
  /** Events of one subscription waiting to be resolved and sent before its client counts as slow. */
  readonly maxQueuedEvents?: number;
  /** graphql-ws connections per subgraph that carry every client's operations, multiplexed. */
  readonly upstreamConnections?: number;
  /** Reconnect attempts after an upstream connection drops before its operations end. */
  readonly upstreamRetryAttempts?: number;
  /** First reconnect delay; it doubles per attempt (with jitter) up to `upstreamRetryMaxMs`. */
  readonly upstreamRetryBaseMs?: number;
  readonly upstreamRetryMaxMs?: number;
  /** Ping interval on client and upstream sockets; a peer silent for as long again is cut off. */
  readonly keepAliveMs?: number;
  /** Plans kept per schema, by operation text and name. */
  readonly planCacheSize?: number;
  /**
   * How often connections' tokens are verified again: a revoked session's sockets are closed
   * (4403), as are sockets whose token expired (at its `exp`), so clients reconnect with a new one.
   */
  readonly reverifyMs?: number;
  /**
   * What resolves events' fields from other subgraphs: our executor (src/execution/, default) or
   * `@apollo/gateway`'s `executeQueryPlan` (a comparison point for benchmarks and a way back).
   */
  readonly eventExecutor?: 'ours' | 'apollo';
}

export type ResolvedSubscriptionOptions = Required<SubscriptionOptions>;

export const DEFAULT_SUBSCRIPTION_OPTIONS: ResolvedSubscriptionOptions = {
  maxPerConnection: 100,
  maxTotal: 10_000,
  maxMessageBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxQueuedEvents: 100,
  upstreamConnections: 2,
  upstreamRetryAttempts: 10,
  upstreamRetryBaseMs: 250,
  upstreamRetryMaxMs: 5_000,
  keepAliveMs: 12_000,
  planCacheSize: 500,
  reverifyMs: 60_000,
  eventExecutor: 'ours',
};

export function resolveSubscriptionOptions(options: SubscriptionOptions = {}): ResolvedSubscriptionOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_SUBSCRIPTION_OPTIONS, ...defined };
}

const positive = () => z.coerce.number().int().positive().optional();

/** The gateway's environment variables for subscriptions (merged into its config schema). */
export const subscriptionConfigShape = {
  SUBSCRIPTIONS_PER_CONNECTION: positive(),
  SUBSCRIPTIONS_MAX: positive(),
  SUBSCRIPTIONS_MAX_MESSAGE_BYTES: positive(),
  SUBSCRIPTIONS_MAX_BUFFERED_BYTES: positive(),
  SUBSCRIPTIONS_MAX_QUEUED_EVENTS: positive(),
  SUBSCRIPTIONS_UPSTREAM_CONNECTIONS: positive(),
  SUBSCRIPTIONS_UPSTREAM_RETRIES: z.coerce.number().int().min(0).optional(),
  SUBSCRIPTIONS_UPSTREAM_RETRY_BASE_MS: positive(),
  SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS: positive(),
  SUBSCRIPTIONS_KEEPALIVE_MS: positive(),
  SUBSCRIPTIONS_REVERIFY_MS: positive(),
  SUBSCRIPTIONS_EVENT_EXECUTOR: z.enum(['ours', 'apollo']).optional(),
};

export type SubscriptionConfig = z.infer<z.ZodObject<typeof subscriptionConfigShape>>;

export function subscriptionOptionsFromConfig(config: SubscriptionConfig): SubscriptionOptions {
  return {
    maxPerConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
    maxTotal: config.SUBSCRIPTIONS_MAX,
    maxMessageBytes: config.SUBSCRIPTIONS_MAX_MESSAGE_BYTES,
    maxBufferedBytes: config.SUBSCRIPTIONS_MAX_BUFFERED_BYTES,
    maxQueuedEvents: config.SUBSCRIPTIONS_MAX_QUEUED_EVENTS,
    upstreamConnections: config.SUBSCRIPTIONS_UPSTREAM_CONNECTIONS,
    upstreamRetryAttempts: config.SUBSCRIPTIONS_UPSTREAM_RETRIES,
    upstreamRetryBaseMs: config.SUBSCRIPTIONS_UPSTREAM_RETRY_BASE_MS,
    upstreamRetryMaxMs: config.SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS,
    keepAliveMs: config.SUBSCRIPTIONS_KEEPALIVE_MS,
    reverifyMs: config.SUBSCRIPTIONS_REVERIFY_MS,
    eventExecutor: config.SUBSCRIPTIONS_EVENT_EXECUTOR,
  };
}

/** Parses the subscription settings out of an environment (throws ConfigError when one is bad). */
export function subscriptionOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): SubscriptionOptions {
  return subscriptionOptionsFromConfig(loadConfig('gateway', z.object(subscriptionConfigShape), env));
}
