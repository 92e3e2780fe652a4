import { viewerOfRequest, type TokenVerifier } from '@social/kit';
import type { NextFunction, Request, Response } from 'express';
import { getOperationAST, parse, specifiedRules, validate, visit, BREAK, type GraphQLSchema } from 'graphql';
import { createHash } from 'node:crypto';
import { requestRecordOf } from './access-log.js';
import type { FederatedExecutor, OperationToRun, PrecomputedExecution } from './execution/index.js';
import { operationLimitErrors, type OperationLimits } from './limits.js';
import type { GatewayMetrics } from './metrics.js';

/**
 * The edge's fast path for plain queries: a POST with a JSON body `{ query, operationName?,
 * variables? }` (no APQ, no batch) whose document parses, validates, resolves to a query, selects
 * no introspection and stays within the operation limits runs on our executor without Apollo
 * Server's per-request pipeline, and its response is serialised once. With inbound deduplication,
 * concurrent identical requests (same document, operation name, variables, `Authorization`,
 * client IP and user agent) share one execution AND one serialised body, written to each caller
 * with the headers Apollo Server would have set (`content-type`, `cache-control: no-store`).
 *
 * Everything else goes on to Apollo Server, so its answers stay the reference: any request the
 * checks above refuse (its error is Apollo's to give), a token the edge verifier rejects, and any
 * result with errors or extensions (handed over precomputed, `PrecomputedExecution`, so Apollo
 * formats, masks and logs them for each caller). Each caller keeps its own request id, access-log
 * line and operation metrics; CORS, body limit and the persisted-operations allowlist run before.
 * Parsing, validation and (for operations without variables) the limits are cached per document.
 */

export interface FastPathOptions {
  readonly executor: FederatedExecutor;
  readonly limits: OperationLimits;
  readonly metrics: GatewayMetrics;
  readonly dedupe: boolean;
  readonly verifier?: TokenVerifier;
  /** Whether the gateway is stopping: then Apollo Server answers (and refuses) everything. */
  readonly stopping: () => boolean;
}

/** What Apollo Server writes for a single result when the client accepts JSON. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** `Accept` headers for which Apollo Server chooses JSON_CONTENT_TYPE (others: Apollo decides). */
const JSON_ACCEPTS = new Set([
  undefined,
  '*/*',
  'application/json',
  'application/json, */*',
  'application/json,*/*',
]);
/** Larger documents skip the fast path (their cache entries would be large). */
const MAX_CACHED_QUERY_LENGTH = 32 * 1024;
const MAX_CACHED_DOCUMENTS = 500;

type Analysis =
  | { readonly ok: false }
  | {
      readonly ok: true;
      readonly operation: OperationToRun;
      /** The resolved operation's own name (what Apollo Server's plugins see as operationName). */
      readonly name: string | null;
      /** Limits checked once when the operation has no variables (they cannot change its measure). */
      limitsOk?: boolean;
    };

const NOT_FAST: Analysis = { ok: false };

function selectsIntrospection(document: OperationToRun['document']): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Parse + validate + operation resolution per (document, operation name), for one API schema. */
class DocumentCache {
  private schema: GraphQLSchema | undefined;
  private readonly entries = new Map<string, Analysis>();

  constructor(private readonly maxTokens: number) {}

  analyse(schema: GraphQLSchema, query: string, operationName: string | undefined): Analysis {
    if (schema !== this.schema) {
      this.schema = schema;
      this.entries.clear();
    }
    const key = operationName === undefined ? query : `${operationName}\n${query}`;
    const cached = this.entries.get(key);
    if (cached) return cached;
    const analysis = this.compute(schema, query, operationName);
    this.entries.set(key, analysis);
    if (this.entries.size > MAX_CACHED_DOCUMENTS) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return analysis;
  }

  private compute(schema: GraphQLSchema, query: string, operationName: string | undefined): Analysis {
    let document;
    try {
      document = parse(query, { maxTokens: this.maxTokens });
    } catch {
      return NOT_FAST;
    }
    if (validate(schema, document, specifiedRules).length > 0) return NOT_FAST;
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation !== 'query' || selectsIntrospection(document)) return NOT_FAST;
    return {
      ok: true,
      operation: {
        queryHash: createHash('sha256').update(query).digest('hex'),
        operationName,
        document,
        operation,
      },
      name: operation.name?.value ?? null,
    };
  }
}

type Outcome =
  | { readonly kind: 'body'; readonly body: Buffer }
  /** Apollo Server answers: the request is refused there, or it formats `precomputed`. */
  | { readonly kind: 'apollo'; readonly precomputed?: PrecomputedExecution };

const TO_APOLLO: Outcome = { kind: 'apollo' };
const PRECOMPUTED = Symbol('gateway precomputed execution');

/** The execution the fast path hands over with a request it leaves to Apollo Server. */
export function precomputedOf(res: Response): PrecomputedExecution | undefined {
  return (res.locals as { [PRECOMPUTED]?: PrecomputedExecution })[PRECOMPUTED];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function fastQueryPath(options: FastPathOptions) {
  const { executor, limits, metrics, dedupe } = options;
  const documents = new DocumentCache(limits.maxTokens);
  const inflight = new Map<string, Promise<Outcome>>();

  const produce = async (
    analysis: Extract<Analysis, { ok: true }>,
    schema: GraphQLSchema,
    variables: Record<string, unknown>,
    identity: { authorization?: string; clientIp?: string; userAgent?: string; requestId: string },
  ): Promise<Outcome> => {
    const { operation } = analysis;
    try {
      // Variables can change an operation's measure (list sizes); without them it is fixed.
      const hasVariables = (operation.operation.variableDefinitions?.length ?? 0) > 0;
      let ok = hasVariables ? undefined : analysis.limitsOk;
      if (ok === undefined) {
        const errors = operationLimitErrors(
          schema,
          operation.document,
          operation.operationName,
          limits,
          variables,
        );
        ok = errors.length === 0;
        if (!hasVariables) analysis.limitsOk = ok;
      }
      if (!ok) return TO_APOLLO;
    } catch {
      return TO_APOLLO;
    }
    let result;
    try {
      result = await executor.executeOperation(operation, variables, identity);
    } catch (error) {
      return { kind: 'apollo', precomputed: { queryHash: operation.queryHash, error } };
    }
    const precomputed = { queryHash: operation.queryHash, result };
    if (result.errors || result.extensions || result.data === undefined)
      return { kind: 'apollo', precomputed };
    try {
      // As Apollo Server's stringifyResult (prettyJSONStringify): the JSON and a newline.
      return { kind: 'body', body: Buffer.from(`${JSON.stringify({ data: result.data })}\n`) };
    } catch {
      return { kind: 'apollo', precomputed };
    }
  };

  return async (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const body: unknown = req.body;
    if (req.method !== 'POST' || !isRecord(body) || options.stopping()) return next();
    const { query, operationName, variables, extensions } = body;
    if (typeof query !== 'string' || query === '' || query.length > MAX_CACHED_QUERY_LENGTH) return next();
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
      return next();
    if (variables !== undefined && variables !== null && !isRecord(variables)) return next();
    if (
      extensions !== undefined &&
      extensions !== null &&
      (!isRecord(extensions) || 'persistedQuery' in extensions)
    )
      return next();
    if (!JSON_ACCEPTS.has(req.headers.accept)) return next();
    const schema = executor.apiSchema;
    if (!schema) return next();
    const analysis = documents.analyse(schema, query, operationName ?? undefined);
    if (!analysis.ok) return next();
    if (options.verifier) {
      try {
        await viewerOfRequest(options.verifier, req);
      } catch {
        // Apollo Server's context function refuses it the same way, with the right status.
        return next();
      }
    }
    const record = requestRecordOf(res);
    const authorization = req.headers.authorization;
    const clientIp = req.ip;
    const userAgent = req.get('user-agent');
    const values = variables ?? {};
    let outcome: Outcome;
    if (dedupe) {
      const key = [
        query,
        operationName ?? '',
        authorization ?? '',
        clientIp ?? '',
        userAgent ?? '',
        JSON.stringify(values),
      ].join('\u0000');
      let shared = inflight.get(key);
      if (shared) {
        metrics.inboundDeduplicated.inc();
      } else {
        const identity = { authorization, clientIp, userAgent, requestId: record.requestId };
        const execution = produce(analysis, schema, values, identity);
        shared = execution;
        inflight.set(key, execution);
        const settled = () => {
          if (inflight.get(key) === execution) inflight.delete(key);
        };
        execution.then(settled, settled);
      }
      outcome = await shared;
    } else {
      outcome = await produce(analysis, schema, values, {
        authorization,
        clientIp,
        userAgent,
        requestId: record.requestId,
      });
    }
    if (outcome.kind === 'apollo') {
      if (outcome.precomputed)
        (res.locals as { [PRECOMPUTED]?: PrecomputedExecution })[PRECOMPUTED] = outcome.precomputed;
      return next();
    }
    // What Apollo Server's observability plugin records for a successful operation.
    record.operations.push({ name: analysis.name, type: 'query' });
    metrics.recordOperation(
      analysis.name,
      'query',
      'success',
      Number(process.hrtime.bigint() - started) / 1e9,
    );
    res.statusCode = 200;
    res.setHeader('content-type', JSON_CONTENT_TYPE);
    // Apollo Server's cache-control plugin: nothing here declares a cache policy.
    res.setHeader('cache-control', 'no-store');
    res.setHeader('Content-Length', outcome.body.length);
    res.end(outcome.body);
  };
}
