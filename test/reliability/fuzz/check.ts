/**
 * The error codes a client may see from the gateway: the shared list (packages/kit errors.ts,
 * INTERNAL_SERVER_ERROR excepted), Apollo Server's own codes for malformed requests, and the
 * gateway's limits (gateway/src: limits, HTTP guards, persisted queries, subscriptions).
 */
export const ALLOWED_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'OPERATION_RESOLUTION_FAILURE',
  'OPERATION_LIMIT_EXCEEDED',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_SUBSCRIPTIONS',
  'SUBSCRIPTION_CAPACITY',
]);

interface ErrorBody {
  message?: unknown;
  path?: unknown;
  extensions?: { code?: unknown };
}

export interface Verdict {
  /** `extensions.code` of every error (`<none>` when missing). */
  readonly codes: string[];
  /** What is wrong with the response; empty when it is acceptable. */
  readonly problems: string[];
  /** The response had data for at least one root field. */
  readonly hasData: boolean;
  /** Some error has a `path`: a resolver raised it (the operation got past parsing and validation). */
  readonly fromResolver?: boolean;
}

/** Checks one GraphQL result (`{ data, errors }`). */
export function checkResult(result: unknown): Verdict {
  const problems: string[] = [];
  const codes: string[] = [];
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    return {
      codes,
      problems: [`result is not an object: ${JSON.stringify(result)?.slice(0, 200)}`],
      hasData: false,
    };
  }
  const { data, errors } = result as { data?: unknown; errors?: unknown };
  if (errors !== undefined && !Array.isArray(errors)) problems.push('errors is not a list');
  for (const error of (Array.isArray(errors) ? errors : []) as ErrorBody[]) {
    const code = error?.extensions?.code;
    const name = typeof code === 'string' ? code : '<none>';
    codes.push(name);
    const message = typeof error?.message === 'string' ? error.message : '';
    if (!message) problems.push(`error without a message (${name})`);
    if (name === 'INTERNAL_SERVER_ERROR')
      problems.push(`INTERNAL_SERVER_ERROR: ${message.slice(0, 300)} at ${JSON.stringify(error.path)}`);
    else if (!ALLOWED_CODES.has(name))
      problems.push(`unexpected code ${name}: ${message.slice(0, 300)} at ${JSON.stringify(error.path)}`);
  }
  if (data === undefined && (!Array.isArray(errors) || errors.length === 0))
    problems.push('neither data nor errors');
  const hasData =
    data !== null &&
    typeof data === 'object' &&
    Object.values(data as Record<string, unknown>).some((value) => value !== null && value !== undefined);
  const fromResolver = ((Array.isArray(errors) ? errors : []) as ErrorBody[]).some(
    (error) => Array.isArray(error?.path) && error.path.length > 0,
  );
  return { codes, problems, hasData, fromResolver };
}

/** Checks an HTTP response to a GraphQL request: parsable JSON, no 5xx, every error coded. */
export function checkHttp(
  status: number,
  contentType: string,
  text: string,
  options: { allowHtml?: boolean } = {},
): Verdict {
  if (status >= 500) {
    const inner = safeParse(text);
    const verdict = inner === undefined ? undefined : checkResult(inner);
    return {
      codes: verdict?.codes ?? [],
      problems: [`HTTP ${status}: ${text.slice(0, 300)}`, ...(verdict?.problems ?? [])],
      hasData: false,
    };
  }
  if (options.allowHtml && contentType.includes('text/html'))
    return { codes: [], problems: [], hasData: false };
  const body = safeParse(text);
  if (body === undefined) {
    return {
      codes: [],
      problems: [`HTTP ${status} body is not JSON (${contentType}): ${text.slice(0, 200)}`],
      hasData: false,
    };
  }
  if (Array.isArray(body)) {
    const verdicts = body.map(checkResult);
    return {
      codes: verdicts.flatMap((v) => v.codes),
      problems: verdicts.flatMap((v) => v.problems),
      hasData: verdicts.some((v) => v.hasData),
    };
  }
  const verdict = checkResult(body);
  if (status >= 400 && verdict.codes.length === 0) {
    return { ...verdict, problems: [...verdict.problems, `HTTP ${status} without an error code`] };
  }
  return verdict;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
