import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { ErrorCode, maskError, type Logger } from '@social/kit';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { RequestRecord } from './access-log.js';
import { OPERATION_LIMIT_EXCEEDED } from './limits.js';
import type { GatewayMetrics, OperationOutcome } from './metrics.js';
import { PERSISTED_QUERY_NOT_IN_LIST } from './persisted.js';

/** Codes the gateway itself raises at the edge; like subgraph codes, clients branch on them. */
const GATEWAY_CODES = new Set([OPERATION_LIMIT_EXCEEDED, PERSISTED_QUERY_NOT_IN_LIST]);

/**
 * `formatError` for the gateway: subgraph and edge error codes (BAD_USER_INPUT, FORBIDDEN, ...,
 * OPERATION_LIMIT_EXCEEDED) reach the client unchanged; anything else is an internal error whose
 * message and stack stay in the logs in production (the plugin below adds the request id).
 * Production also drops `serviceName`, which would reveal the internal topology.
 */
export function gatewayFormatError(production: boolean) {
  const mask = maskError({ exposeInternal: !production });
  return (formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    // The edge's own refusals are about the request, not the server: no stack even in development.
    if (typeof code === 'string' && GATEWAY_CODES.has(code))
      return withoutExtensions(formatted, ['stacktrace']);
    const masked = mask(
      isApqMismatch(original) ? { ...formatted, extensions: { code: 'BAD_REQUEST' } } : formatted,
      original,
    );
    return production ? withoutExtensions(masked, ['stacktrace', 'serviceName']) : masked;
  };
}

/** Apollo Server raises this client error (APQ hash ≠ query) without a code; it is not internal. */
function isApqMismatch(error: unknown): boolean {
  return (
    error instanceof GraphQLError &&
    error.extensions.code === undefined &&
    error.message === 'provided sha does not match query'
  );
}

function withoutExtensions(error: GraphQLFormattedError, names: readonly string[]): GraphQLFormattedError {
  if (!error.extensions) return error;
  const extensions = Object.fromEntries(
    Object.entries(error.extensions).filter(([name]) => !names.includes(name)),
  );
  return { ...error, extensions };
}

/** Whether the kit's masking treats an error as internal (hidden from clients in production). */
function isInternal(error: { message: string; extensions?: Record<string, unknown> }): boolean {
  const code = error.extensions?.code;
  if ((typeof code === 'string' && GATEWAY_CODES.has(code)) || isApqMismatch(error)) return false;
  let internal = false;
  maskError({ exposeInternal: true, onInternal: () => (internal = true) })(
    { message: error.message, extensions: error.extensions ?? {} },
    error,
  );
  return internal;
}

export interface ObservedContext {
  readonly requestId: string;
  readonly record?: RequestRecord;
}

function formattedErrorsOf(response: GraphQLRequestContextWillSendResponse<ObservedContext>['response']) {
  const body = response.body;
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  return { errors: result.errors, hasData: result.data !== undefined && result.data !== null };
}

/**
 * Per operation: logs internal errors with the request id (full detail; the client gets only the
 * id), tags masked errors with `extensions.requestId`, fills the access-log record and records
 * the operation's count and latency in the metrics.
 */
export function observabilityPlugin<TContext extends ObservedContext>(
  logger: Logger,
  metrics: GatewayMetrics,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async didEncounterErrors({ errors, contextValue, operationName, operation }) {
          for (const error of errors) {
            if (!isInternal(error)) continue;
            logger.error(
              {
                err: error.originalError ?? error,
                requestId: contextValue.requestId,
                operationName,
                operationType: operation?.operation,
                path: error.path,
                extensions: error.extensions,
              },
              'internal error',
            );
          }
        },
        async willSendResponse({
          response,
          contextValue,
          operation,
          operationName,
          metrics: requestMetrics,
        }) {
          const { errors, hasData } = formattedErrorsOf(response);
          for (const error of errors ?? []) {
            if (error.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR) {
              (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
          }
          const errorCount = errors?.length ?? 0;
          const outcome: OperationOutcome = errorCount === 0 ? 'success' : hasData ? 'partial' : 'error';
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.recordOperation(operationName, operation?.operation, outcome, seconds);
          if (requestMetrics.persistedQueryHit) metrics.persistedQueries.inc({ outcome: 'hit' });
          if (requestMetrics.persistedQueryRegister) metrics.persistedQueries.inc({ outcome: 'register' });
          const record = contextValue.record;
          if (record) {
            record.operations.push({ name: operationName ?? null, type: operation?.operation });
            record.errorCount += errorCount;
          }
        },
      };
    },
  };
}
