/**
 * Composes the committed `supergraph.graphql` offline from every subgraph's SDL.
 *
 *   npm run compose            write supergraph.graphql
 *   npm run check:schema       fail on composition errors or if the committed file has drifted
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { subgraphs, subgraphUrl, repoRoot, type SubgraphInfo } from './subgraphs.js';

export const SUPERGRAPH_PATH = join(repoRoot, 'supergraph.graphql');

export interface ComposeResult {
  readonly supergraphSdl?: string;
  readonly errors: readonly string[];
  readonly hints: readonly string[];
}

/** Composes the given subgraphs; the URLs recorded in the supergraph are the dev defaults. */
export function composeSupergraph(list: readonly SubgraphInfo[] = subgraphs): ComposeResult {
  const errors: string[] = [];
  const services = list.flatMap((info) => {
    try {
      const typeDefs = parse(readFileSync(info.sdlPath, 'utf8'));
      // Recorded URLs are placeholders; the gateway overrides them per environment.
      return [{ name: info.name, typeDefs, url: subgraphUrl(info, {}) }];
    } catch (error) {
      errors.push(`${info.name}: ${(error as Error).message}`);
      return [];
    }
  });
  if (errors.length > 0) return { errors, hints: [] };
  const result = composeServices(services);
  const hints = (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);
  if (result.errors) {
    return { errors: result.errors.map((error) => error.message), hints };
  }
  return { supergraphSdl: result.supergraphSdl, errors: [], hints };
}

function main(): void {
  const check = process.argv.includes('--check');
  const result = composeSupergraph();
  if (result.errors.length > 0 || result.supergraphSdl === undefined) {
    process.stderr.write(`Composition failed:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    process.exit(1);
  }
  if (process.argv.includes('--hints')) {
    process.stdout.write(result.hints.map((h) => `hint: ${h}\n`).join(''));
  }
  if (check) {
    const committed = existsSync(SUPERGRAPH_PATH) ? readFileSync(SUPERGRAPH_PATH, 'utf8') : '';
    if (committed !== result.supergraphSdl) {
      process.stderr.write(
        'supergraph.graphql has drifted from the subgraph SDLs: run `npm run compose` and commit the result.\n',
      );
      process.exit(1);
    }
    process.stdout.write(`Composition OK: ${subgraphs.length} subgraphs, supergraph.graphql up to date.\n`);
    return;
  }
  writeFileSync(SUPERGRAPH_PATH, result.supergraphSdl);
  process.stdout.write(`Wrote ${SUPERGRAPH_PATH} from ${subgraphs.length} subgraphs.\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
