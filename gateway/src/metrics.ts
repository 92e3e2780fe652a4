import type { Express, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Operation names beyond this many distinct ones are counted as `other` (bounded label cardinality). */
const MAX_OPERATION_NAMES = 200;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type OperationOutcome = 'success' | 'partial' | 'error';

/**
 * The gateway's Prometheus metrics, in a registry of its own per gateway (several gateways can run
 * in one process, e.g. tests). Served on `/metrics`.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** gateway_operations_total{operation_name, operation_type, outcome} */
  readonly operations = new Counter({
    name: 'gateway_operations_total',
    help: 'GraphQL operations over HTTP, by operation name, type and outcome (success, partial, error).',
    labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
    registers: [this.registry],
  });
  /** gateway_operation_duration_seconds{operation_name, operation_type, outcome} */
  readonly operationDuration = new Histogram({
    name: 'gateway_operation_duration_seconds',
    help: 'Time from receiving a GraphQL operation to sending its response.',
    labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** gateway_http_requests_in_flight */
  readonly inFlight = new Gauge({
    name: 'gateway_http_requests_in_flight',
    help: 'HTTP requests being served.',
    registers: [this.registry],
  });
  /** gateway_http_responses_total{status}: every HTTP response, including those rejected before GraphQL. */
  readonly httpResponses = new Counter({
    name: 'gateway_http_responses_total',
    help: 'HTTP responses by status code.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  /** gateway_subgraph_fetch_duration_seconds{subgraph, outcome} (outcome: ok, http_error, network_error) */
  readonly subgraphFetchDuration = new Histogram({
    name: 'gateway_subgraph_fetch_duration_seconds',
    help: 'Duration of HTTP fetches from the gateway to each subgraph.',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** gateway_subscriptions_active: live federated subscriptions (the subscriptions code inc/decs it). */
  readonly subscriptionsActive = new Gauge({
    name: 'gateway_subscriptions_active',
    help: 'Active client subscriptions on the gateway.',
    registers: [this.registry],
  });
  /** gateway_websocket_connections_active: open graphql-ws client connections. */
  readonly connectionsActive = new Gauge({
    name: 'gateway_websocket_connections_active',
    help: 'Open graphql-ws client connections.',
    registers: [this.registry],
  });
  /** gateway_subscription_events_total: events delivered to subscribed clients. */
  readonly subscriptionEvents = new Counter({
    name: 'gateway_subscription_events_total',
    help: 'Subscription events delivered to clients.',
    registers: [this.registry],
  });
  /** gateway_inbound_deduplicated_total: queries answered from a concurrent identical one's execution. */
  readonly inboundDeduplicated = new Counter({
    name: 'gateway_inbound_deduplicated_total',
    help: "HTTP queries answered from a concurrent identical query's execution (inbound deduplication).",
    registers: [this.registry],
  });
  /** gateway_persisted_queries_total{outcome}: APQ hits and registrations. */
  readonly persistedQueries = new Counter({
    name: 'gateway_persisted_queries_total',
    help: 'Automatic persisted queries served from the cache (hit) or registered (register).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  /** gateway_supergraph_updates_total{outcome}: hot reloads applied (success) or refused (error). */
  readonly supergraphUpdates = new Counter({
    name: 'gateway_supergraph_updates_total',
    help: 'Supergraph hot reloads, applied or refused.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly operationNames = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
  }

  /** The label for an operation name: `anonymous`, the name, or `other` past the cardinality cap. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }

  recordOperation(
    name: string | null | undefined,
    type: string | undefined,
    outcome: OperationOutcome,
    seconds: number,
  ): void {
    const labels = { operation_name: this.operationLabel(name), operation_type: type ?? 'unknown', outcome };
    this.operations.inc(labels);
    this.operationDuration.observe(labels, seconds);
  }

  /** Counts in-flight requests and response statuses for every HTTP request. */
  httpMiddleware() {
    return (_req: Request, res: Response, next: () => void) => {
      this.inFlight.inc();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.inFlight.dec();
        this.httpResponses.inc({ status: String(res.statusCode) });
      };
      res.on('finish', finish);
      res.on('close', finish);
      next();
    };
  }

  /** Mounts `GET /metrics` (Prometheus text format); with a token, scrapers must send it as a bearer. */
  mount(app: Express, path: string, token?: string): void {
    const digest = (value: string) => createHash('sha256').update(value).digest();
    const expected = token ? digest(`Bearer ${token}`) : undefined;
    app.get(path, async (req: Request, res: Response) => {
      if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
        res.status(401).json({ error: 'A valid metrics token is required' });
        return;
      }
      res.setHeader('content-type', this.registry.contentType);
      res.send(await this.registry.metrics());
    });
  }
}
