import { STATUS_CODES } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Dispatcher } from 'undici';
import type { GatewayMetrics } from '../metrics.js';
import type { SubgraphResult } from './plan.js';

/**
 * Subgraph fetches over the gateway's keep-alive pool with `undici.request` (no WHATWG Request,
 * Headers and Response objects per fetch). A request carries exactly what `ForwardingDataSource`
 * sets: `authorization`, `x-request-id`, `user-agent`, `x-forwarded-for`, plus its content type;
 * failures read as `RemoteGraphQLDataSource`'s (`<status>: <text>`, UNAUTHENTICATED on 401,
 * FORBIDDEN on 403, the response in `extensions.response`).
 */

/** The headers of every fetch of one client request: the client's identity as the edge saw it. */
export interface ForwardedIdentity {
  readonly authorization: string | undefined;
  readonly requestId: string;
  readonly userAgent: string | undefined;
  readonly clientIp: string | undefined;
}

export function subgraphHeaders(identity: ForwardedIdentity): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (identity.authorization) headers.authorization = identity.authorization;
  if (identity.requestId) headers['x-request-id'] = identity.requestId;
  if (identity.userAgent) headers['user-agent'] = identity.userAgent;
  if (identity.clientIp) headers['x-forwarded-for'] = identity.clientIp;
  return headers;
}

function isJson(contentType: string | undefined): boolean {
  return (
    contentType !== undefined &&
    (contentType.startsWith('application/json') ||
      contentType.startsWith('application/graphql-response+json'))
  );
}

interface RawResponse {
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string | undefined;
  readonly text: string;
}

const origins = new Map<string, { readonly origin: string; readonly path: string }>();

function target(url: string): { readonly origin: string; readonly path: string } {
  let parsed = origins.get(url);
  if (!parsed) {
    const { origin, pathname, search } = new URL(url);
    parsed = { origin, path: pathname + search };
    if (origins.size > 1000) origins.clear();
    origins.set(url, parsed);
  }
  return parsed;
}

/**
 * One POST through undici's dispatcher with a handler that only collects the body: no Readable
 * stream, no Response object. The response is small JSON, read whole before parsing anyway.
 */
function post(
  dispatcher: Dispatcher,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const { origin, path } = target(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let statusText = '';
    let contentType: string | undefined;
    const handler: Dispatcher.DispatchHandler = {
      onConnect() {},
      onHeaders(statusCode, rawHeaders, _resume, text) {
        status = statusCode;
        statusText = text;
        for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
          const name = rawHeaders[i]!;
          if (name.length === 12 && name.toString('latin1').toLowerCase() === 'content-type') {
            contentType = rawHeaders[i + 1]!.toString('latin1');
          }
        }
        return true;
      },
      onData(chunk) {
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        resolve({ status, statusText, contentType, text: buffer.toString('utf8') });
      },
      onError(error) {
        reject(error);
      },
    };
    dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, handler);
  });
}

export async function postToSubgraph(
  dispatcher: Dispatcher,
  metrics: GatewayMetrics,
  subgraph: string,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<SubgraphResult> {
  const end = metrics.subgraphFetchDuration.startTimer({ subgraph });
  let response: RawResponse;
  try {
    response = await post(dispatcher, url, body, headers);
  } catch (error) {
    end({ outcome: 'network_error' });
    // Refused, reset or timed out: say which service, not its address (the cause stays in logs).
    throw new GraphQLError(`The ${subgraph} service is unavailable`, {
      originalError: error instanceof Error ? error : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'SUBGRAPH_UNAVAILABLE', serviceName: subgraph },
    });
  }
  const ok = response.status >= 200 && response.status < 300;
  end({ outcome: ok ? 'ok' : 'http_error' });
  const json = isJson(response.contentType);
  const text = response.text;
  if (!ok) {
    const statusText = response.statusText || (STATUS_CODES[response.status] ?? '');
    let parsed: unknown = text;
    if (json) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    // A subgraph refuses what the gateway cannot check (a custom scalar's literal or variable,
    // e.g. an invalid DateTime) with 400 and its own coded errors: the client's, passed on.
    const refused = (parsed as { errors?: unknown } | null)?.errors;
    if (response.status === 400 && Array.isArray(refused) && refused.length > 0) {
      return { data: null, errors: refused as SubgraphResult['errors'] };
    }
    const extensions: Record<string, unknown> = {
      response: { url, status: response.status, statusText, body: parsed },
    };
    if (response.status === 401) extensions.code = 'UNAUTHENTICATED';
    else if (response.status === 403) extensions.code = 'FORBIDDEN';
    throw new GraphQLError(`${response.status}: ${statusText}`, { extensions });
  }
  const parsed: unknown = json ? JSON.parse(text) : text;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Expected JSON response body, but received: ${String(parsed)}`);
  }
  return parsed as SubgraphResult;
}
