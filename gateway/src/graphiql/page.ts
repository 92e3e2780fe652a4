import type { GraphiqlAssets } from './assets.js';
import type { GraphiqlTab } from './examples.js';

/**
 * Only this origin: scripts and styles are files the gateway serves, fonts and icons are data:
 * URLs inside graphiql's CSS, and `connect-src 'self'` covers both the HTTP fetches and the
 * graphql-ws socket (CSP3 matches ws:/wss: of the same host to 'self'). Inline styles stay allowed
 * because the editors (CodeMirror, GraphiQL's dialogs) set them at runtime; no inline script and no
 * eval run on the page.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface GraphiqlPageConfig {
  readonly tabs: readonly GraphiqlTab[];
  readonly defaultHeaders: string;
  /** The placeholder in the default Authorization header, left out of requests until replaced. */
  readonly authorizationPlaceholder: string;
}

/** JSON inside a `<script type="application/json">`: `<` escaped so no string can close the tag. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026');
}

export function graphiqlPage(assets: GraphiqlAssets, base: string, config: GraphiqlPageConfig): string {
  const script = (name: Parameters<GraphiqlAssets['path']>[1]) =>
    `<script src="${assets.path(base, name)}"></script>`;
  const style = (name: Parameters<GraphiqlAssets['path']>[1]) =>
    `<link rel="stylesheet" href="${assets.path(base, name)}" />`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <link rel="icon" href="data:," />
    <title>Social Supergraph · GraphiQL</title>
    ${style('graphiql.css')}
    ${style('app.css')}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script type="application/json" id="graphiql-config">${jsonForHtml(config)}</script>
    ${script('react.js')}
    ${script('react-dom.js')}
    ${script('graphql-ws.js')}
    ${script('graphiql.js')}
    ${script('app.js')}
  </body>
</html>
`;
}
