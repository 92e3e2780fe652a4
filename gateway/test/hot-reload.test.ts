import { eventually } from '@social/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import {
  composeSupergraph,
  postsTypeDefs,
  startSubgraph,
  startTestStack,
  type TestStack,
  type TestSubgraph,
} from './fixtures.js';

/** Supergraph hot reload: a changed supergraph file is served without a restart. */

let dir: string;
let path: string;
let stack: TestStack;
let tags: TestSubgraph;
let v1: string;
let v2: string;

const tagsTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Post @key(fields: "id") { id: ID! tags: [String!]! }
`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
  path = join(dir, 'supergraph.graphql');
  tags = await startSubgraph('tags', tagsTypeDefs, {
    Post: { __resolveReference: ({ id }: { id: string }) => ({ id, tags: [`tag-${id}`] }) },
  });
  // v1: posts without subtitle (the stack's own); v2 adds posts' subtitle and a third subgraph,
  // whose recorded URL is a placeholder: like `TAGS_URL` in the environment, the override is used.
  stack = await startTestStack({ watchSupergraph: true, subgraphUrls: () => ({ tags: tags.url }) }, path);
  v1 = stack.supergraphSdl;
  v2 = composeSupergraph([
    stack.users,
    { ...stack.posts, typeDefs: postsTypeDefs(true) },
    { name: tags.name, url: 'http://127.0.0.1:9/graphql', typeDefs: tags.typeDefs },
  ]);
});
afterAll(async () => {
  await stack?.stop();
  await tags?.stop();
  await rm(dir, { recursive: true, force: true });
});

const NEW_FIELDS = '{ posts(first: 1) { id subtitle tags } }';

test('a changed supergraph file is picked up without a restart; a bad one keeps the old schema', async () => {
  const before = await stack.post({ query: NEW_FIELDS });
  expect(before.status).toBe(400);
  expect(before.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(Object.keys(stack.gateway.subgraphUrls).sort()).toEqual(['posts', 'users']);

  writeFileSync(path, v2);
  const after = await eventually(
    () => stack.post({ query: NEW_FIELDS }),
    (r) => r.status === 200,
    { what: 'the new supergraph served' },
  );
  expect(after.body).toEqual({ data: { posts: [{ id: 'p0', subtitle: 'About p0', tags: ['tag-p0'] }] } });
  // A subgraph added by the reload is known to /ready too.
  expect(stack.gateway.subgraphUrls.tags).toBe(tags.url);
  const ready = await fetch(stack.url.replace('/graphql', '/ready'));
  expect(await ready.json()).toMatchObject({ checks: { users: 'ok', posts: 'ok', tags: 'ok' } });

  writeFileSync(path, 'this is not a supergraph {');
  await eventually(
    async () =>
      stack.lines.filter(
        (l) => l.msg === 'supergraph file is not a valid supergraph; keeping the current schema',
      ),
    (lines) => lines.length > 0,
    { what: 'the bad file refused' },
  );
  expect((await stack.post({ query: NEW_FIELDS })).body.data).toEqual({
    posts: [{ id: 'p0', subtitle: 'About p0', tags: ['tag-p0'] }],
  });
  const metrics = await (await fetch(stack.url.replace('/graphql', '/metrics'))).text();
  expect(metrics).toMatch(/gateway_supergraph_updates_total\{outcome="error"\} [1-9]/);

  // Deploy tools replace the file by rename; that is seen too.
  const staged = join(dir, `next-${randomUUID()}.graphql`);
  writeFileSync(staged, v1);
  renameSync(staged, path);
  await eventually(
    () => stack.post({ query: NEW_FIELDS }),
    (r) => r.status === 400,
    { what: 'the renamed-in supergraph served' },
  );
  expect((await stack.post({ query: '{ posts(first: 1) { title } }' })).body).toEqual({
    data: { posts: [{ title: 'Post p0' }] },
  });
  expect(Object.keys(stack.gateway.subgraphUrls).sort()).toEqual(['posts', 'users']);
});

test('without watching, reloadSupergraph applies the file on demand', async () => {
  const file = join(dir, 'manual.graphql');
  const manual = await startTestStack({ watchSupergraph: false }, file);
  try {
    expect(await manual.gateway.reloadSupergraph()).toBe(false);
    writeFileSync(
      file,
      composeSupergraph([
        manual.users,
        { ...manual.posts, typeDefs: postsTypeDefs(true) },
        { name: tags.name, url: tags.url, typeDefs: tags.typeDefs },
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await manual.post({ query: NEW_FIELDS })).status).toBe(400);
    expect(await manual.gateway.reloadSupergraph()).toBe(true);
    expect((await manual.post({ query: NEW_FIELDS })).body).toEqual({
      data: { posts: [{ id: 'p0', subtitle: 'About p0', tags: ['tag-p0'] }] },
    });
  } finally {
    await manual.stop();
  }
});
