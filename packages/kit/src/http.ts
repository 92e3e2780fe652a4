import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenVerifier, Viewer } from './auth.js';
import { codeOf, httpStatusOf, type ErrorCode } from './errors.js';

/**
 * How long an idle keep-alive connection stays open, in milliseconds. Clients keep idle sockets in
 * pools (the gateway's undici pool, a proxy in front of the gateway) and may send a request on one
 * at the very moment the server closes it: that request fails with a reset. Node's default is 5 s,
 * shorter than those pools, so under load (event-loop lag eating undici's 2 s margin on the
 * `Keep-Alive: timeout` hint) the gateway saw resets from subgraphs. The server now outlives the
 * clients' idle timeouts (nginx 60 s, the gateway's pool 30 s) and the hint it sends says so.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Applies {@link KEEP_ALIVE_TIMEOUT_MS}; the headers timeout must exceed it (Node's rule). */
export function keepIdleConnectionsLonger(httpServer: Server): void {
  httpServer.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  httpServer.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
}

/** Listens and resolves with the `/graphql` URL clients on this machine use (port 0 = a free port). */
export async function listenHttp(httpServer: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${publicHost}:${address.port}/graphql`;
}

/** The caller's `x-request-id` (if sane) or a new one, echoed on the response for log correlation. */
export function requestIdOf(req: Request, res: Response): string {
  const header = req.headers['x-request-id'];
  const requestId = typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
  res.setHeader('x-request-id', requestId);
  return requestId;
}

/**
 * The viewer of an HTTP request. A bad token fails the whole request with the HTTP status of its
 * code (401), which Apollo Server applies when a context function throws.
 */
export async function viewerOfRequest(verifier: TokenVerifier, req: Request): Promise<Viewer | null> {
  try {
    return await verifier.viewerFromAuthorization(req.headers.authorization);
  } catch (error) {
    const code = codeOf(error);
    if (error instanceof GraphQLError && code && code in httpStatusOf) {
      throw new GraphQLError(error.message, {
        extensions: { ...error.extensions, http: { status: httpStatusOf[code as ErrorCode] } },
      });
    }
    throw error;
  }
}
