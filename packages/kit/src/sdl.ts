import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/** Loads an SDL file relative to a module (`loadSdl(new URL('./schema.graphql', import.meta.url))`). */
export function loadSdl(url: URL): DocumentNode {
  return parse(readFileSync(url, 'utf8'));
}
