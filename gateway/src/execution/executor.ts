import type { ApolloGateway } from '@apollo/gateway';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  Kind,
  getVariableValues,
  valueFromASTUntyped,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Dispatcher } from 'undici';
import type { GatewayMetrics } from '../metrics.js';
import { PlanRun } from './plan.js';
import { OperationProjection } from './projection.js';
import { postToSubgraph, subgraphHeaders, type ForwardedIdentity } from './subgraph-http.js';

/**
 * The gateway's executor for queries and mutations, in place of `@apollo/gateway`'s: the same
 * supergraph handling (ApolloGateway loads, validates and hot-reloads it and gives Apollo Server
 * the API schema) and Apollo's query planner over it, then our own plan execution (plan.ts),
 * subgraph HTTP (subgraph-http.ts) and response projection (projection.ts), the last compiled once
 * per operation and cached with its plan.
 *
 * Inbound deduplication: concurrent identical queries — same document, operation name and
 * variables, AND same `authorization`, client IP and user agent (everything a subgraph sees that
 * could change its answer; the request id, unique per request, only names the shared execution in
 * the subgraphs' logs) — share one execution. Mutations always run on their own.
 */

export interface ExecutionOptions {
  /** Loads the supergraph and follows its updates; its executor is not used. */
  readonly gateway: ApolloGateway;
  /** The keep-alive pool every subgraph fetch goes through. */
  readonly dispatcher: Dispatcher;
  readonly metrics: GatewayMetrics;
  /** Where subgraph `name` is now (URL overrides follow supergraph reloads). */
  readonly subgraphUrl: (name: string, recordedUrl: string) => string;
  /** Share one execution between concurrent identical queries of the same caller (default on). */
  readonly dedupe?: boolean;
  /** Planned operations kept (least recently used go first). */
  readonly planCacheSize?: number;
}

/**
 * A result computed for a request before Apollo Server saw it (the edge's fast path ran it and
 * hands it over so Apollo formats its errors): returned (or thrown) for that request's own query.
 */
export type PrecomputedExecution = { readonly queryHash: string } & (
  { readonly result: GatewayExecutionResult } | { readonly error: unknown }
);

/** What the executor reads from a request's context value. */
export interface ExecutionIdentity extends Partial<ForwardedIdentity> {
  readonly precomputed?: PrecomputedExecution;
}

/** The request context our executor reads: what Apollo Server passes to a gateway's executor. */
type RequestContext = GatewayGraphQLRequestContext<ExecutionIdentity>;

/** One operation of a parsed, validated document. */
export interface OperationToRun {
  /** sha256 (hex) of the document's text, as Apollo Server computes it. */
  readonly queryHash: string;
  /** The operation name the client sent. */
  readonly operationName: string | undefined;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
}

interface PreparedOperation {
  readonly plan: QueryPlan;
  readonly projection: OperationProjection;
  readonly variableDefaults: ReadonlyMap<string, unknown>;
}

/** One version of the supergraph: its planner, schemas and the operations planned over it. */
class SupergraphSnapshot {
  readonly supergraphSchema: GraphQLSchema;
  private readonly federationApiSchema: Schema;
  private readonly planner: QueryPlanner;
  private readonly recordedUrls: ReadonlyMap<string, string>;
  private readonly prepared = new Map<string, PreparedOperation>();

  constructor(
    readonly apiSchema: GraphQLSchema,
    coreSupergraphSdl: string,
    private readonly cacheSize: number,
  ) {
    // ApolloGateway validated this supergraph before announcing it.
    const supergraph = Supergraph.build(coreSupergraphSdl, { validateSupergraph: false });
    this.federationApiSchema = supergraph.apiSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    this.recordedUrls = new Map(supergraph.subgraphsMetadata().map(({ name, url }) => [name, url]));
  }

  recordedUrl(name: string): string | undefined {
    return this.recordedUrls.get(name);
  }

  /** The plan and projection of an operation, planned once per (document, operation name). */
  prepare(
    queryHash: string,
    operationName: string | undefined,
    document: DocumentNode,
    operation: OperationDefinitionNode,
  ): PreparedOperation {
    const key = operationName === undefined ? queryHash : `${queryHash}\n${operationName}`;
    const cached = this.prepared.get(key);
    if (cached) {
      this.prepared.delete(key);
      this.prepared.set(key, cached);
      return cached;
    }
    const named = operationName === undefined ? {} : { operationName };
    const plan = this.planner.buildQueryPlan(
      operationFromDocument(this.federationApiSchema, document, named),
    );
    const variableDefaults = new Map<string, unknown>();
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.defaultValue)
        variableDefaults.set(definition.variable.name.value, valueFromASTUntyped(definition.defaultValue));
    }
    const prepared = {
      plan,
      projection: new OperationProjection(this.apiSchema, document, operation),
      variableDefaults,
    };
    this.prepared.set(key, prepared);
    if (this.prepared.size > this.cacheSize) {
      const oldest = this.prepared.keys().next().value;
      if (oldest !== undefined) this.prepared.delete(oldest);
    }
    return prepared;
  }
}

function operationResolutionError(document: DocumentNode, operationName: string | undefined): GraphQLError {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return new GraphQLError(`Unknown operation named "${operationName}".`);
  return new GraphQLError(
    operations.length > 1
      ? 'Must provide operation name if query contains multiple operations.'
      : 'Must provide an operation.',
  );
}

/** A fresh copy of a shared result for one more caller: its errors are its own objects. */
export function copyResult(result: GatewayExecutionResult): GatewayExecutionResult {
  if (!result.errors) return result;
  return {
    ...result,
    errors: result.errors.map((error) =>
      error instanceof GraphQLError
        ? new GraphQLError(error.message, {
            nodes: error.nodes ?? null,
            source: error.source ?? null,
            positions: error.positions ?? null,
            path: error.path ?? null,
            originalError: error.originalError ?? null,
            extensions: { ...error.extensions },
          })
        : error,
    ),
  };
}

export class FederatedExecutor {
  private snapshot: SupergraphSnapshot | undefined;
  private readonly inflight = new Map<string, Promise<GatewayExecutionResult>>();
  private readonly dedupe: boolean;
  /** What Apollo Server is given as its gateway: ApolloGateway's loading, this executor. */
  readonly apolloGateway: GatewayInterface;

  constructor(private readonly options: ExecutionOptions) {
    this.dedupe = options.dedupe ?? true;
    const gateway = options.gateway;
    gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
      this.snapshot = new SupergraphSnapshot(apiSchema, coreSupergraphSdl, options.planCacheSize ?? 1000);
    });
    this.apolloGateway = {
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      load: async (loadOptions) => {
        await gateway.load(loadOptions);
        return { executor: this.execute };
      },
      stop: () => gateway.stop(),
    };
  }

  /** Operations executing now that later identical ones may join (for tests and metrics). */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** The API schema of the supergraph in use (what clients' operations are validated against). */
  get apiSchema(): GraphQLSchema | undefined {
    return this.snapshot?.apiSchema;
  }

  readonly execute: GatewayExecutor = async (requestContext) => {
    const context = requestContext as unknown as RequestContext;
    // The edge's fast path (fast-path.ts) already ran this very request: its result, once more.
    const precomputed = context.context.precomputed;
    if (precomputed && precomputed.queryHash === context.queryHash) {
      if ('error' in precomputed) throw precomputed.error;
      return copyResult(precomputed.result);
    }
    // Apollo Server leaves an unresolved operation to the executor and turns the error returned
    // into a 400 OPERATION_RESOLUTION_FAILURE (graphql-js's messages, as its own executor gives).
    if (!context.operation)
      return { errors: [operationResolutionError(context.document, context.request.operationName)] };
    if (context.operation.operation === 'subscription') {
      return {
        errors: [
          new GraphQLError(
            'Subscriptions are served over WebSocket (graphql-ws) at this URL, not over HTTP',
            {
              nodes: context.operation,
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            },
          ),
        ],
      };
    }
    if (!this.snapshot?.apiSchema.getRootType(context.operation.operation)) {
      const message = `Schema is not configured to execute ${context.operation.operation} operation.`;
      return {
        errors: [
          new GraphQLError(message, {
            nodes: context.operation,
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          }),
        ],
      };
    }
    const variables = context.request.variables ?? {};
    const operation: OperationToRun = {
      queryHash: context.queryHash,
      operationName: context.request.operationName,
      document: context.document,
      operation: context.operation,
    };
    if (!this.dedupe || context.operation.operation !== 'query')
      return this.executeOperation(operation, variables, context.context);
    const identity = context.context;
    const key = [
      context.queryHash,
      context.request.operationName ?? '',
      identity.authorization ?? '',
      identity.clientIp ?? '',
      identity.userAgent ?? '',
      JSON.stringify(variables),
    ].join('\u0000');
    const shared = this.inflight.get(key);
    if (shared) {
      this.options.metrics.inboundDeduplicated.inc();
      return copyResult(await shared);
    }
    const execution = this.executeOperation(operation, variables, identity);
    this.inflight.set(key, execution);
    try {
      return await execution;
    } finally {
      if (this.inflight.get(key) === execution) this.inflight.delete(key);
    }
  };

  /**
   * Runs one operation of a validated document for one caller (no deduplication here): variables
   * coerced (their errors are the result), then planned (cached), executed and projected.
   */
  async executeOperation(
    operation: OperationToRun,
    variables: Record<string, unknown>,
    identity: Partial<ForwardedIdentity>,
  ): Promise<GatewayExecutionResult> {
    const snapshot = this.snapshot;
    if (!snapshot) throw new Error('The supergraph is not loaded yet');
    const definitions = operation.operation.variableDefinitions;
    if (definitions && definitions.length > 0) {
      const { errors } = getVariableValues(snapshot.apiSchema, definitions, variables);
      if (errors) return { errors };
    }
    return this.run(snapshot, operation, variables, identity);
  }

  private async run(
    snapshot: SupergraphSnapshot,
    operation: OperationToRun,
    variables: Record<string, unknown>,
    identity: Partial<ForwardedIdentity>,
  ): Promise<GatewayExecutionResult> {
    const prepared = snapshot.prepare(
      operation.queryHash,
      operation.operationName,
      operation.document,
      operation.operation,
    );
    const headers = subgraphHeaders({
      authorization: identity.authorization,
      requestId: identity.requestId ?? '',
      userAgent: identity.userAgent,
      clientIp: identity.clientIp,
    });
    const { dispatcher, metrics } = this.options;
    const run = new PlanRun({
      variables,
      variableDefaults: prepared.variableDefaults,
      supergraphSchema: snapshot.supergraphSchema,
      send: (fetch, body) => {
        const recorded = snapshot.recordedUrl(fetch.serviceName);
        if (recorded === undefined) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
        const url = this.options.subgraphUrl(fetch.serviceName, recorded);
        return postToSubgraph(dispatcher, metrics, fetch.serviceName, url, body, headers);
      },
    });
    const node = prepared.plan.node;
    if (node?.kind === 'Subscription') throw new Error('Execution of subscriptions not supported by gateway');
    if (node) await run.run(node);
    let projected;
    try {
      projected = prepared.projection.project(run.data, variables);
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      const failure = error instanceof Error ? error : new Error(String(error));
      return { errors: [new GraphQLError(failure.message, { originalError: failure })] };
    }
    const errors = run.errors as GraphQLError[];
    // As @apollo/gateway: completion errors are reported only when no fetch failed, as extensions.
    if (errors.length === 0 && projected.errors.length > 0)
      return { extensions: { valueCompletion: projected.errors }, data: projected.data };
    return errors.length === 0 ? { data: projected.data } : { errors, data: projected.data };
  }
}
