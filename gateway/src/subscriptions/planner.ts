import {
  buildOperationContext,
  executeQueryPlan,
  type GraphQLDataSource,
  type ServiceMap,
} from '@apollo/gateway';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type QueryPlan } from '@apollo/query-planner';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  getVariableValues,
  parse,
  valueFromASTUntyped,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Logger } from '@social/kit';
import type { GatewayContext } from '../gateway.js';
import { PlanRun, type SubgraphResult } from '../execution/plan.js';
import { OperationProjection } from '../execution/projection.js';

/**
 * Sends one subgraph fetch of an event's plan (the JSON request body, already built) with the
 * identity of the subscribing client, and gives the subgraph's answer.
 */
export type EventFetchSend = (
  subgraph: string,
  url: string,
  body: string,
  context: GatewayContext,
) => Promise<SubgraphResult>;

/**
 * An extra check of every operation after GraphQL validation and before planning: the gateway's
 * edge limits (depth, aliases, cost...), which may size lists from the variables.
 */
export type OperationValidator = (
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
) => readonly GraphQLError[];

/** A checked operation text, and its plan once one was needed. */
type CacheEntry =
  | { readonly errors: readonly GraphQLError[] }
  | {
      readonly document: DocumentNode;
      readonly definition: OperationDefinitionNode;
      prepared?: PreparedOperation | readonly GraphQLError[];
    };

type OperationContext = ReturnType<typeof buildOperationContext>;
type RequestContext = Parameters<typeof executeQueryPlan>[2];

/**
 * The service name the plan of each event reads the event's own data from: the primary fetch of a
 * subscription plan, pointed at a data source that answers with what the subgraph pushed.
 */
const EVENT_SOURCE = '__subscription_event__';

/** A validated, planned operation: what every event of a subscription (or one query) runs. */
export interface PreparedOperation {
  readonly schema: SchemaSnapshot;
  readonly kind: 'query' | 'mutation' | 'subscription';
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly operationContext: OperationContext;
  /** For a subscription: the part sent to the owning subgraph over graphql-ws. */
  readonly primary: FetchNode | undefined;
  /** Whether an event needs fetches from other subgraphs (entity fetches) after the primary. */
  readonly hasFollowUpFetches: boolean;
  /** A query's plan, or the plan each event runs: the event's data as the primary's answer, then the rest. */
  readonly plan: QueryPlan;
  /** A subscription's events: the response projection (compiled once) and variable defaults. */
  readonly events?: {
    readonly projection: OperationProjection;
    readonly variableDefaults: ReadonlyMap<string, unknown>;
  };
}

export interface SnapshotOptions {
  /** The API schema the gateway serves (from `onSchemaLoadOrUpdate`). */
  readonly apiSchema: GraphQLSchema;
  readonly coreSupergraphSdl: string;
  readonly dataSource: (name: string, url: string) => GraphQLDataSource<GatewayContext>;
  readonly subgraphUrl: (name: string, recordedUrl: string) => string;
  readonly validate: OperationValidator | undefined;
  /** The edge's token limit, applied while parsing (as Apollo's `parseOptions` does for HTTP). */
  readonly maxTokens?: number | undefined;
  readonly production: boolean;
  readonly planCacheSize: number;
  /**
   * How an event's follow-up fetches reach the subgraphs (the gateway's undici pool); default:
   * through `dataSource`.
   */
  readonly send?: EventFetchSend;
  /**
   * Which executor resolves events: ours (src/execution/, the default) or `@apollo/gateway`'s
   * `executeQueryPlan` (kept as the reference the tests compare with).
   */
  readonly eventExecutor?: 'ours' | 'apollo';
}

function variablesUsed(variables: Record<string, unknown>, names: readonly string[] | undefined) {
  const used: Record<string, unknown> = {};
  for (const name of names ?? []) if (Object.hasOwn(variables, name)) used[name] = variables[name];
  return used;
}

/** A subgraph's error, as the gateway reports those of HTTP fetches (code kept, service named). */
export function subgraphError(error: GraphQLFormattedError, serviceName: string): GraphQLError {
  return new GraphQLError(error.message || `Error from subgraph "${serviceName}"`, {
    ...(error.path ? { path: error.path } : {}),
    extensions: { ...error.extensions, serviceName },
  });
}

/**
 * One version of the supergraph as subscriptions see it: the query planner over it, the data
 * sources of its subgraphs and a cache of planned operations. A supergraph update makes a new
 * snapshot for new operations; live ones keep the snapshot they were planned with.
 */
export class SchemaSnapshot {
  readonly apiSchema: GraphQLSchema;
  readonly subgraphUrls: Readonly<Record<string, string>>;
  private readonly supergraph: Supergraph;
  private readonly federationApiSchema: Schema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly dataSources: ServiceMap;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly options: SnapshotOptions) {
    this.apiSchema = options.apiSchema;
    this.supergraph = Supergraph.build(options.coreSupergraphSdl);
    this.federationApiSchema = this.supergraph.apiSchema();
    this.supergraphSchema = this.supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(this.supergraph);
    const urls: Record<string, string> = {};
    const dataSources: ServiceMap = {};
    for (const { name, url } of this.supergraph.subgraphsMetadata()) {
      urls[name] = options.subgraphUrl(name, url);
      dataSources[name] = options.dataSource(name, urls[name]);
    }
    this.subgraphUrls = urls;
    this.dataSources = dataSources;
  }

  /**
   * Parses and validates an operation, checks the client's variables and the gateway's limits, and
   * plans it; or says why it cannot run. Parsing, validation and the plan are cached per (operation
   * text, operation name), so neither a subscribe nor an event plans twice. Limits are checked on
   * every call (list sizes may come from variables) and before any planning.
   */
  prepare(
    query: string,
    operationName: string | undefined,
    variables: Readonly<Record<string, unknown>>,
  ): PreparedOperation | readonly GraphQLError[] {
    const entry = this.entry(query, operationName);
    if ('errors' in entry) return entry.errors;
    const definitions = entry.definition.variableDefinitions ?? [];
    const badVariables = getVariableValues(this.apiSchema, definitions, variables).errors ?? [];
    if (badVariables.length > 0) return withCode(badVariables, 'BAD_USER_INPUT');
    const overLimits =
      this.options.validate?.(this.apiSchema, entry.document, operationName, variables) ?? [];
    if (overLimits.length > 0) return overLimits;
    entry.prepared ??= this.plan(entry.document, entry.definition, operationName);
    return entry.prepared;
  }

  private entry(query: string, operationName: string | undefined): CacheEntry {
    const key = `${operationName ?? ''}\n${query}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Least recently used goes first: re-insert on every hit.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const entry = this.check(query, operationName);
    this.cache.set(key, entry);
    if (this.cache.size > this.options.planCacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return entry;
  }

  private check(query: string, operationName: string | undefined): CacheEntry {
    let document: DocumentNode;
    try {
      document = parse(
        query,
        this.options.maxTokens === undefined ? {} : { maxTokens: this.options.maxTokens },
      );
    } catch (error) {
      const failure = error instanceof GraphQLError ? error : new GraphQLError(String(error));
      return { errors: withCode([failure], 'GRAPHQL_PARSE_FAILED') };
    }
    const rules = this.options.production
      ? [...specifiedRules, NoSchemaIntrospectionCustomRule]
      : specifiedRules;
    const invalid = validate(this.apiSchema, document, rules);
    if (invalid.length > 0) {
      const errors = this.options.production ? invalid.map(withoutSuggestions) : invalid;
      return { errors: withCode(errors, 'GRAPHQL_VALIDATION_FAILED') };
    }
    const definition = getOperationAST(document, operationName);
    if (!definition) {
      const message = operationName ? `Unknown operation "${operationName}"` : 'Unable to identify operation';
      return { errors: withCode([new GraphQLError(message)], 'OPERATION_RESOLUTION_FAILURE') };
    }
    return { document, definition };
  }

  private plan(
    document: DocumentNode,
    definition: OperationDefinitionNode,
    operationName: string | undefined,
  ): PreparedOperation | readonly GraphQLError[] {
    let operationContext: OperationContext;
    let queryPlan: QueryPlan;
    try {
      const named = operationName ? { operationName } : {};
      operationContext = buildOperationContext({
        schema: this.apiSchema,
        operationDocument: document,
        ...named,
      });
      queryPlan = this.planner.buildQueryPlan(
        operationFromDocument(this.federationApiSchema, document, named),
      );
    } catch (error) {
      const failure =
        error instanceof GraphQLError ? error : new GraphQLError('The operation could not be planned');
      return withCode([failure], 'GRAPHQL_VALIDATION_FAILED');
    }
    const base = { schema: this, kind: definition.operation, document, operationName, operationContext };
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') {
      if (definition.operation === 'subscription') {
        return withCode(
          [new GraphQLError('This subscription could not be planned')],
          'GRAPHQL_VALIDATION_FAILED',
        );
      }
      return { ...base, primary: undefined, hasFollowUpFetches: false, plan: queryPlan };
    }
    const eventFetch: FetchNode = { ...node.primary, serviceName: EVENT_SOURCE };
    const variableDefaults = new Map<string, unknown>();
    for (const variable of definition.variableDefinitions ?? []) {
      if (variable.defaultValue)
        variableDefaults.set(variable.variable.name.value, valueFromASTUntyped(variable.defaultValue));
    }
    return {
      ...base,
      events: { projection: new OperationProjection(this.apiSchema, document, definition), variableDefaults },
      primary: node.primary,
      hasFollowUpFetches: node.rest !== undefined,
      plan: {
        kind: 'QueryPlan',
        node: node.rest ? { kind: 'Sequence', nodes: [eventFetch, node.rest] } : eventFetch,
      },
    };
  }

  /** What the owning subgraph is sent for a subscription: the primary fetch with its variables. */
  primaryRequest(prepared: PreparedOperation, variables: Record<string, unknown>) {
    const primary = prepared.primary;
    if (!primary) throw new Error('Not a subscription');
    return {
      subgraph: primary.serviceName,
      url: this.subgraphUrls[primary.serviceName],
      query: primary.operation,
      operationName: primary.operationName,
      variables: variablesUsed(variables, primary.variableUsages),
    };
  }

  /** Runs a query or mutation's plan, as the gateway does over HTTP. */
  async execute(prepared: PreparedOperation, request: OperationRequest): Promise<ExecutionResult> {
    return executeQueryPlan(
      prepared.plan,
      this.dataSources,
      requestContext(request),
      prepared.operationContext,
      this.supergraphSchema,
      this.federationApiSchema,
    ) as Promise<ExecutionResult>;
  }

  /**
   * One subscription event to the client's result: the subgraph's data is the primary fetch's
   * answer, the rest of the plan fetches the other subgraphs' fields (batched per event, with the
   * client's credentials), and the gateway's executor shapes the result to the client's selection.
   * The event's own errors and those of follow-up fetches are the result's `errors`.
   */
  async resolveEvent(
    prepared: PreparedOperation,
    event: { data?: Record<string, unknown> | null; errors?: readonly GraphQLFormattedError[] },
    request: OperationRequest,
  ): Promise<ExecutionResult> {
    const owner = prepared.primary?.serviceName ?? EVENT_SOURCE;
    const eventErrors = (event.errors ?? []).map((error) => subgraphError(error, owner));
    if (event.data === undefined || event.data === null) {
      return { ...(event.data === null ? { data: null } : {}), errors: eventErrors };
    }
    const data = event.data;
    const events = prepared.events;
    if (this.options.eventExecutor === 'apollo' || !events) {
      const source: GraphQLDataSource = { process: async () => ({ data }) };
      const result = await executeQueryPlan(
        prepared.plan,
        { ...this.dataSources, [EVENT_SOURCE]: source },
        requestContext(request),
        prepared.operationContext,
        this.supergraphSchema,
        this.federationApiSchema,
      );
      const errors = [...eventErrors, ...(result.errors ?? [])];
      return {
        data: result.data as Record<string, unknown> | null,
        ...(errors.length > 0 ? { errors } : {}),
      };
    }
    // Our executor: the event's data is the primary fetch's answer, the rest of the plan fetches
    // (each Flatten one batch of representations per event), the compiled projection shapes it.
    const eventAnswer: SubgraphResult = { data };
    const run = new PlanRun({
      variables: request.variables,
      variableDefaults: events.variableDefaults,
      supergraphSchema: this.supergraphSchema,
      send: (fetch, body) => {
        if (fetch.serviceName === EVENT_SOURCE) return Promise.resolve(eventAnswer);
        const url = this.subgraphUrls[fetch.serviceName];
        if (url === undefined) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
        return this.send(fetch.serviceName, url, body, request);
      },
    });
    const node = prepared.plan.node;
    if (node && node.kind !== 'Subscription') await run.run(node);
    const projected = events.projection.project(run.data, request.variables);
    // As executeQueryPlan's result here: fetch errors; completion errors only null their fields.
    const errors = [...eventErrors, ...(run.errors as GraphQLError[])];
    return { data: projected.data, ...(errors.length > 0 ? { errors } : {}) };
  }

  /** One fetch of an event's plan: the gateway's pool, or the data source (tests, no pool given). */
  private send(
    subgraph: string,
    url: string,
    body: string,
    request: OperationRequest,
  ): Promise<SubgraphResult> {
    if (this.options.send) return this.options.send(subgraph, url, body, request.context);
    const source = this.dataSources[subgraph];
    if (!source) throw new Error(`Couldn't find service with name "${subgraph}"`);
    const parsed = JSON.parse(body) as {
      query: string;
      operationName?: string;
      variables?: Record<string, unknown>;
    };
    const incoming = requestContext(request);
    return source.process({
      kind: 'incoming operation',
      request: parsed,
      incomingRequestContext: incoming,
      context: request.context,
    } as Parameters<GraphQLDataSource<GatewayContext>['process']>[0]) as Promise<SubgraphResult>;
  }
}

/** The client's request: its variables and who it runs as (forwarded on every subgraph fetch). */
export interface OperationRequest {
  readonly query: string;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown>;
  readonly context: GatewayContext;
  readonly logger: Logger;
}

function requestContext(request: OperationRequest): RequestContext {
  // The parts of Apollo's request context the executor and data sources read. Metrics are new per
  // call: the executor appends error paths to them.
  return {
    request: { query: request.query, operationName: request.operationName, variables: request.variables },
    context: request.context,
    logger: request.logger,
    metrics: {},
  } as unknown as RequestContext;
}

function withoutSuggestions(error: GraphQLError): GraphQLError {
  const message = error.message.replace(/ Did you mean .*\?$/, '');
  return message === error.message ? error : new GraphQLError(message, { nodes: error.nodes ?? null });
}

/** Errors without a code get the one Apollo Server gives the same failure over HTTP. */
function withCode(errors: readonly GraphQLError[], code: string): GraphQLError[] {
  return errors.map((error) =>
    error.extensions.code
      ? error
      : new GraphQLError(error.message, {
          nodes: error.nodes ?? null,
          source: error.source ?? null,
          positions: error.positions ?? null,
          originalError: error.originalError ?? null,
          extensions: { ...error.extensions, code },
        }),
  );
}
