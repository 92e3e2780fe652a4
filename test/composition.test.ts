import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeSupergraph, SUPERGRAPH_PATH } from '../scripts/compose.js';
import { subgraphs, SUBGRAPH_NAMES } from '../scripts/subgraphs.js';

test('the six subgraph SDLs compose without errors or hints', () => {
  const result = composeSupergraph();
  expect(result.errors).toEqual([]);
  expect(result.hints).toEqual([]);
  expect(result.supergraphSdl).toBeDefined();
});

test('the committed supergraph.graphql is exactly what the SDLs compose to (no drift)', () => {
  expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph().supergraphSdl);
});

test('a broken subgraph SDL is reported by name', () => {
  const broken = subgraphs.map((info) =>
    info.name === 'feed' ? { ...info, sdlPath: new URL('../package.json', import.meta.url).pathname } : info,
  );
  const result = composeSupergraph(broken);
  expect(result.supergraphSdl).toBeUndefined();
  expect(result.errors[0]).toMatch(/^feed: Syntax Error/);
});

test('entities are resolvable only where DESIGN 5 places them', () => {
  const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
  const resolvableIn = (type: string) => {
    const match = new RegExp(`type ${type}\\b[^{]*`).exec(sdl)?.[0] ?? '';
    return [...match.matchAll(/@join__type\(graph: (\w+), key: "id"\)/g)].map((m) => m[1]!.toLowerCase());
  };
  expect(resolvableIn('User')).toEqual(expect.arrayContaining(['auth', 'profile', 'feed', 'media']));
  expect(resolvableIn('Post')).toEqual(['feed']);
  expect(resolvableIn('Comment')).toEqual(['feed']);
  expect(resolvableIn('Conversation')).toEqual(['chat']);
  expect(resolvableIn('Message')).toEqual(['chat']);
  expect(resolvableIn('MediaFile')).toEqual(['media']);
  expect(resolvableIn('Notification')).toEqual(['notification']);
});

test('every subgraph in the list has an SDL in the composition', () => {
  const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
  const graphs = [...sdl.matchAll(/@join__graph\(name: "(\w+)"/g)].map((m) => m[1]);
  expect(graphs.sort()).toEqual([...SUBGRAPH_NAMES].sort());
  expect(() => parse(sdl)).not.toThrow();
});
