import { readFileSync } from 'node:fs';
import { supergraphSubgraphs, subgraphUrlsFromEnv } from '../src/supergraph.js';

const sdl = readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8');

test('the subgraphs and their recorded URLs are read from any supergraph', () => {
  expect(supergraphSubgraphs(sdl)).toEqual(
    expect.arrayContaining([
      { name: 'auth', url: 'http://127.0.0.1:4001/graphql' },
      { name: 'notification', url: 'http://127.0.0.1:4006/graphql' },
    ]),
  );
  expect(() => supergraphSubgraphs('type Query { a: Int }')).toThrow('Not a supergraph');
});

test('<NAME>_URL environment variables override subgraph URLs, and only those', () => {
  expect(
    subgraphUrlsFromEnv(sdl, { CHAT_URL: 'http://chat-1:4003/graphql', UNRELATED_URL: 'http://x' }),
  ).toEqual({
    chat: 'http://chat-1:4003/graphql',
  });
});
