import type { NextFunction, Request, Response } from 'express';

export interface CorsOptions {
  /**
   * Origins browsers may call from: exact origins (`https://app.example.com`), `*` for any (then
   * without credentials), or `localhost` for any port of localhost/127.0.0.1/[::1].
   * Empty: no cross-origin access (same-origin and non-browser clients are unaffected).
   */
  readonly origins: readonly string[];
  /** Let browsers send cookies/HTTP auth with cross-origin requests (never with `*`). */
  readonly credentials: boolean;
  readonly maxAgeSeconds?: number;
}

const LOCALHOST = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-request-id',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
].join(', ');

/** The default: local development tools in development, nothing in production until configured. */
export function defaultCorsOrigins(production: boolean): string[] {
  return production ? [] : ['localhost'];
}

/**
 * CORS for browsers: allowed origins get `Access-Control-Allow-Origin` (their own origin echoed,
 * with `Vary: Origin`); preflights from others are refused with 403 so the failure is visible.
 */
export function corsMiddleware(options: CorsOptions) {
  const exact = new Set(options.origins.filter((o) => o !== '*' && o !== 'localhost'));
  const any = options.origins.includes('*');
  const localhost = options.origins.includes('localhost');
  const allowed = (origin: string) => any || exact.has(origin) || (localhost && LOCALHOST.test(origin));
  const credentials = options.credentials && !any;
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (!origin) return next();
    res.vary('Origin');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!allowed(origin)) {
      if (preflight) {
        res.status(403).json({ error: `Origin ${origin} is not allowed` });
        return;
      }
      return next();
    }
    res.setHeader('access-control-allow-origin', any && !credentials ? '*' : origin);
    if (credentials) res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    if (!preflight) return next();
    res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
    res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
    res.setHeader('access-control-max-age', String(options.maxAgeSeconds ?? 600));
    res.status(204).end();
  };
}
