/**
 * The deployment's topology: the six subgraphs, their default ports and the env var naming each
 * one's URL for the gateway, plus the gateway's own port. Runtime code (each service's entry
 * point, the production launcher) and the repository's scripts (`scripts/subgraphs.ts`: dev
 * runner, composition, schema checks, tests) all read it; nothing else repeats it.
 */
import { fileURLToPath } from 'node:url';

export const SUBGRAPH_NAMES = ['auth', 'profile', 'chat', 'feed', 'media', 'notification'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** Every process of a deployment: the six subgraphs, then the gateway. */
export const SERVICE_NAMES = [...SUBGRAPH_NAMES, 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const GATEWAY_PORT = 4000;

/** Subgraphs listen on consecutive ports from here, in SUBGRAPH_NAMES order (4001..4006). */
const BASE_PORT = 4001;

export interface ServiceTopology {
  readonly name: ServiceName;
  /** Port used by `npm run dev` and by default when the service starts alone (`PORT` overrides it). */
  readonly port: number;
  /** Workspace folder, relative to the repository root (`subgraphs/chat`, `gateway`). */
  readonly dir: string;
}

export interface SubgraphTopology extends ServiceTopology {
  /** Subgraph name as it appears in the supergraph (join__Graph). */
  readonly name: SubgraphName;
  /** Env var holding the subgraph's URL for the gateway (`CHAT_URL`); overrides the default. */
  readonly urlEnv: string;
}

export const subgraphTopology: readonly SubgraphTopology[] = SUBGRAPH_NAMES.map((name, index) => ({
  name,
  port: BASE_PORT + index,
  dir: `subgraphs/${name}`,
  urlEnv: `${name.toUpperCase()}_URL`,
}));

export const serviceTopology: readonly ServiceTopology[] = [
  ...subgraphTopology,
  { name: 'gateway', port: GATEWAY_PORT, dir: 'gateway' },
];

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/** The topology entry of a service. */
export function serviceInfo(name: ServiceName): ServiceTopology {
  const info = serviceTopology.find((service) => service.name === name);
  if (!info) throw new Error(`Unknown service ${name}`);
  return info;
}

/** The port a service listens on unless `PORT` says otherwise. */
export function defaultPort(name: ServiceName): number {
  return serviceInfo(name).port;
}

/** The URL the gateway uses for a subgraph: its env var if set, else localhost on its default port. */
export function subgraphUrl(
  info: Pick<SubgraphTopology, 'port' | 'urlEnv'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return env[info.urlEnv] || `http://127.0.0.1:${info.port}/graphql`;
}

/**
 * The repository root (with a trailing separator): the same three levels up from
 * `packages/kit/src/` and from the compiled `packages/kit/dist/`, so in a runtime image laid out
 * like the repository (`/app/packages/kit/dist`) it is the image's working directory.
 */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
