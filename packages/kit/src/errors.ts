import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The one list of error codes every subgraph and the gateway use (DESIGN 5). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status that matches a code when an error is the whole response (e.g. at the edge). */
export const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
};

function error(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export function unauthenticated(message = 'Authentication required'): GraphQLError {
  return error(ErrorCode.UNAUTHENTICATED, message);
}

/** `reason` is a stable machine-readable cause clients can branch on (e.g. `EMAIL_NOT_VERIFIED`). */
export function forbidden(message = 'You are not allowed to do this', reason?: string): GraphQLError {
  return error(ErrorCode.FORBIDDEN, message, reason === undefined ? {} : { reason });
}

/** Invalid input. `field` names the offending input path (e.g. `input.bio`) for clients to highlight. */
export function badUserInput(message: string, field?: string): GraphQLError {
  return error(ErrorCode.BAD_USER_INPUT, message, field === undefined ? {} : { field });
}

/** `notFound('Post', id)` → "Post not found". The id is kept out of the message but in extensions. */
export function notFound(entity: string, id?: string): GraphQLError {
  return error(ErrorCode.NOT_FOUND, `${entity} not found`, id === undefined ? { entity } : { entity, id });
}

export function conflict(message: string): GraphQLError {
  return error(ErrorCode.CONFLICT, message);
}

export function rateLimited(
  retryAfterSeconds: number,
  message = 'Too many requests, try again later',
): GraphQLError {
  return error(ErrorCode.RATE_LIMITED, message, { retryAfter: Math.max(0, Math.ceil(retryAfterSeconds)) });
}

export function codeOf(err: unknown): string | undefined {
  const code = (err as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

const PUBLIC_CODES = new Set<string>(Object.values(ErrorCode).filter((c) => c !== 'INTERNAL_SERVER_ERROR'));
// Codes Apollo Server itself produces for malformed operations; they carry no internal detail.
const APOLLO_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Whether an error was raised with a 4xx `extensions.http.status` (Apollo Server's request errors). */
function clientHttpStatus(original: unknown): boolean {
  const http = (original as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http;
  const status = http?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Internal errors that are outages, not bugs: production keeps their reason, so a client knows to
 * retry, with a message that names neither an address nor (like `serviceName`, dropped at the
 * gateway) the internal topology.
 */
const OUTAGE_MESSAGES: Readonly<Record<string, string>> = {
  AUTHENTICATION_UNAVAILABLE: 'Authentication is temporarily unavailable, try again shortly',
  SUBGRAPH_UNAVAILABLE: 'A service this field needs is temporarily unavailable, try again shortly',
};

export interface MaskOptions {
  /** Keep internal messages (development); production replaces them with a generic message. */
  readonly exposeInternal: boolean;
  readonly onInternal?: (formatted: GraphQLFormattedError, original: unknown) => void;
}

/**
 * Apollo `formatError`: errors we raised on purpose pass through; anything else is an internal
 * error whose message and stack never reach the client in production (it is logged instead).
 */
export function maskError(options: MaskOptions) {
  return (formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError => {
    let code = formatted.extensions?.code;
    // Apollo Server refuses some malformed requests with a 4xx status but no code of their own
    // (an unsupported persisted query version, a hash that does not match the query), which it
    // then labels INTERNAL_SERVER_ERROR: they are the client's fault.
    if (codeOf(original) === undefined && clientHttpStatus(original)) {
      code = 'BAD_REQUEST';
      formatted = { ...formatted, extensions: { ...formatted.extensions, code } };
    }
    if (typeof code === 'string' && (PUBLIC_CODES.has(code) || APOLLO_CODES.has(code))) {
      if (options.exposeInternal) return formatted;
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    options.onInternal?.(formatted, original);
    if (options.exposeInternal) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
    const reason = formatted.extensions?.reason;
    const outage = typeof reason === 'string' && Object.hasOwn(OUTAGE_MESSAGES, reason) ? reason : undefined;
    return {
      message: outage ? OUTAGE_MESSAGES[outage]! : 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(outage ? { reason: outage } : {}) },
    };
  };
}
