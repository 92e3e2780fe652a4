/**
 * GraphiQL served by the gateway itself, from npm packages (no CDN: it works offline), at
 * `GET /graphql` when a browser asks for HTML. Example operations for every subgraph are preloaded,
 * the Headers pane carries the bearer token, and subscriptions run over graphql-ws on the same URL.
 */
import type { Express, Request } from 'express';
import { GraphiqlAssets } from './assets.js';
import { AUTHORIZATION_PLACEHOLDER, DEFAULT_HEADERS, graphiqlTabs } from './examples.js';
import { GRAPHIQL_CSP, graphiqlPage } from './page.js';

export {
  graphiqlExamples,
  graphiqlTabs,
  AUTHORIZATION_PLACEHOLDER,
  type GraphiqlExample,
} from './examples.js';
export { GRAPHIQL_CSP } from './page.js';

export interface GraphiqlOptions {
  /** The GraphQL endpoint the page is served at and talks to (default `/graphql`). */
  readonly endpoint?: string;
  /** Where the page's scripts and styles are served (default `/graphiql`). */
  readonly assetsBase?: string;
}

/** Parameters of a GraphQL request over GET (including APQ's `extensions`): those go to Apollo. */
const GRAPHQL_GET_PARAMS = ['query', 'extensions', 'variables', 'operationName'];

/**
 * Whether a GET is a person opening the page in a browser: it names text/html in Accept (a
 * client's wildcard does not count) and carries no GraphQL request.
 */
export function wantsGraphiqlPage(req: Request): boolean {
  if (!/(^|[\s,])text\/html\b/i.test(req.get('accept') ?? '')) return false;
  const params = req.query as Record<string, unknown>;
  return !GRAPHQL_GET_PARAMS.some((name) => params[name] !== undefined);
}

/** Mounts the page and its assets; call before the GraphQL middleware so browsers get the page. */
export function mountGraphiql(app: Express, options: GraphiqlOptions = {}): void {
  const endpoint = options.endpoint ?? '/graphql';
  const base = options.assetsBase ?? '/graphiql';
  const assets = new GraphiqlAssets();
  const html = graphiqlPage(assets, base, {
    tabs: graphiqlTabs(),
    defaultHeaders: DEFAULT_HEADERS,
    authorizationPlaceholder: AUTHORIZATION_PLACEHOLDER,
  });

  app.get(`${base}/:hash/:name`, (req, res) => assets.handle(req, res));
  app.get(endpoint, (req, res, next) => {
    // The same URL answers GraphQL GETs, so caches must key on Accept.
    res.vary('Accept');
    if (!wantsGraphiqlPage(req)) {
      next();
      return;
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', GRAPHIQL_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.send(html);
  });
}
