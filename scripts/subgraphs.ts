/**
 * The one list of subgraphs. The dev runner, composition, schema checks, the test harness and
 * (later) docker configuration checks all read it; nothing else repeats it.
 */
import { fileURLToPath } from 'node:url';

export interface SubgraphInfo {
  /** Subgraph name as it appears in the supergraph (join__Graph). */
  readonly name: SubgraphName;
  /** Port used by `npm run dev` and by default when the service starts alone. */
  readonly port: number;
  /** Absolute path of the subgraph's SDL. */
  readonly sdlPath: string;
  /** Env var holding the subgraph's URL for the gateway (overrides the default). */
  readonly urlEnv: string;
  /** Workspace folder, relative to the repository root. */
  readonly dir: string;
}

export const SUBGRAPH_NAMES = ['auth', 'profile', 'chat', 'feed', 'media', 'notification'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const GATEWAY_PORT = 4000;

const BASE_PORT = 4001;

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const subgraphs: readonly SubgraphInfo[] = SUBGRAPH_NAMES.map((name, index) => ({
  name,
  port: BASE_PORT + index,
  dir: `subgraphs/${name}`,
  sdlPath: fileURLToPath(new URL(`../subgraphs/${name}/src/schema.graphql`, import.meta.url)),
  urlEnv: `${name.toUpperCase()}_URL`,
}));

/** The URL the gateway uses for a subgraph: its env var if set, else localhost on its dev port. */
export function subgraphUrl(info: SubgraphInfo, env: NodeJS.ProcessEnv = process.env): string {
  return env[info.urlEnv] ?? `http://127.0.0.1:${info.port}/graphql`;
}
