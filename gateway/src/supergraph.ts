import { Kind, parse } from 'graphql';

export interface SupergraphSubgraph {
  /** Subgraph name (`join__graph(name:)`). */
  readonly name: string;
  /** URL recorded at composition time (`join__graph(url:)`). */
  readonly url: string;
}

/** The subgraphs a supergraph SDL was composed from, read from its `join__Graph` enum. */
export function supergraphSubgraphs(supergraphSdl: string): SupergraphSubgraph[] {
  const document = parse(supergraphSdl);
  const graphEnum = document.definitions.find(
    (d) => d.kind === Kind.ENUM_TYPE_DEFINITION && d.name.value === 'join__Graph',
  );
  if (!graphEnum || graphEnum.kind !== Kind.ENUM_TYPE_DEFINITION) {
    throw new Error('Not a supergraph: it has no join__Graph enum');
  }
  return (graphEnum.values ?? []).map((value) => {
    const directive = value.directives?.find((d) => d.name.value === 'join__graph');
    const arg = (name: string) => {
      const node = directive?.arguments?.find((a) => a.name.value === name)?.value;
      return node?.kind === Kind.STRING ? node.value : undefined;
    };
    const name = arg('name');
    const url = arg('url');
    if (!name || url === undefined) throw new Error(`join__Graph.${value.name.value} has no name or url`);
    return { name, url };
  });
}

/**
 * Subgraph URL overrides from the environment: `<NAME>_URL` for every subgraph of the supergraph
 * (e.g. `CHAT_URL`), so any composed supergraph can be pointed at other hosts without code changes.
 */
export function subgraphUrlsFromEnv(
  supergraphSdl: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const { name } of supergraphSubgraphs(supergraphSdl)) {
    const value = env[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`];
    if (value) urls[name] = value;
  }
  return urls;
}
