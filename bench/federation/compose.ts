/**
 * Composes the benchmark's supergraph from `sdl/*.graphql` with @apollo/composition.
 *
 *   npx tsx bench/federation/compose.ts           write bench/federation/supergraph.graphql
 *   npx tsx bench/federation/compose.ts --check   fail if the committed file has drifted
 *
 * The committed supergraph routes to the CLI's default ports (127.0.0.1:4201-4204); the benchmark
 * composes one for the ports its subgraphs got (`writeFederationSupergraph`).
 */
import { composeServices } from '@apollo/composition';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_SUBGRAPH_URLS, SUBGRAPH_NAMES, subgraphSdl, type SubgraphUrls } from './subgraphs.js';

export const FEDERATION_SUPERGRAPH_PATH = fileURLToPath(new URL('./supergraph.graphql', import.meta.url));
export const FEDERATION_QUERY_PATH = fileURLToPath(new URL('./query.graphql', import.meta.url));

/** The benchmark's query, as the load generator sends it. */
export function federationQuery(): string {
  return readFileSync(FEDERATION_QUERY_PATH, 'utf8');
}

export function composeFederationSupergraph(urls: SubgraphUrls = DEFAULT_SUBGRAPH_URLS): string {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: subgraphSdl(name), url: urls[name] })),
  );
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

/** Composes a supergraph routing to `urls` into a new temporary file and returns its path. */
export function writeFederationSupergraph(urls: SubgraphUrls): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bench-federation-')), 'supergraph.graphql');
  writeFileSync(path, composeFederationSupergraph(urls));
  return path;
}

function main(): void {
  const supergraph = composeFederationSupergraph();
  if (process.argv.includes('--check')) {
    const committed = existsSync(FEDERATION_SUPERGRAPH_PATH)
      ? readFileSync(FEDERATION_SUPERGRAPH_PATH, 'utf8')
      : '';
    if (committed !== supergraph) {
      process.stderr.write(
        'bench/federation/supergraph.graphql has drifted from bench/federation/sdl: run `npx tsx bench/federation/compose.ts`.\n',
      );
      process.exit(1);
    }
    process.stdout.write('bench/federation/supergraph.graphql is up to date.\n');
    return;
  }
  writeFileSync(FEDERATION_SUPERGRAPH_PATH, supergraph);
  process.stdout.write(`Wrote ${FEDERATION_SUPERGRAPH_PATH}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
