/**
 * The one list of subgraphs for the repository's tooling: the dev runner, composition, schema
 * checks, the test harness and docker configuration checks read it. It is the kit's topology
 * (`packages/kit/src/topology.ts`, which runtime code reads) plus where each subgraph's SDL lives.
 */
import {
  GATEWAY_PORT,
  SUBGRAPH_NAMES,
  repoRoot,
  subgraphTopology,
  subgraphUrl as topologyUrl,
  type SubgraphName,
  type SubgraphTopology,
} from '@social/kit';
import { join } from 'node:path';

export { GATEWAY_PORT, SUBGRAPH_NAMES, repoRoot, type SubgraphName };

export interface SubgraphInfo extends SubgraphTopology {
  /** Absolute path of the subgraph's SDL. */
  readonly sdlPath: string;
}

export const subgraphs: readonly SubgraphInfo[] = subgraphTopology.map((info) => ({
  ...info,
  sdlPath: join(repoRoot, info.dir, 'src', 'schema.graphql'),
}));

/** The URL the gateway uses for a subgraph: its env var if set, else localhost on its dev port. */
export function subgraphUrl(info: SubgraphInfo, env: NodeJS.ProcessEnv = process.env): string {
  return topologyUrl(info, env);
}
