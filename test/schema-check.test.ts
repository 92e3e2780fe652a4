/**
 * `npm run schema:check` against throwaway git repositories: two small subgraphs (chat and
 * profile) committed with their supergraph, then changed in the working tree.
 */
import { parse, print, visit, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { composeSupergraph } from '../scripts/compose.js';
import { resolveBaseRef, runSchemaCheck, type ClassifiedChange } from '../scripts/schema-check.js';
import { repoRoot, subgraphs as realSubgraphs, type SubgraphInfo } from '../scripts/subgraphs.js';

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';

const CHAT = `${LINK}
type Query {
  conversation(id: ID!, limit: Int): Conversation
  status: Status!
}
type Conversation @key(fields: "id") {
  id: ID!
  title: String!
  unread: Int!
  owner: User!
}
enum Status {
  OPEN
  CLOSED
  ARCHIVED
}
type User @key(fields: "id", resolvable: false) {
  id: ID!
}
`;

const PROFILE = `${LINK}
type Query {
  profile(username: String!): User
}
type User @key(fields: "id") {
  id: ID!
  displayName: String
  bio: String
}
`;

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface TempRepo {
  readonly root: string;
  readonly subgraphs: SubgraphInfo[];
  /** Writes a subgraph's SDL in the working tree. */
  write(name: 'chat' | 'profile', sdl: string): void;
  /** Recomposes supergraph.graphql from the working tree (as `npm run compose` does). */
  compose(): void;
  commit(message: string): void;
  acknowledge(entries: readonly Record<string, string>[]): void;
}

/** A repository whose last commit has CHAT, PROFILE and their supergraph. */
function tempRepo(): TempRepo {
  const root = mkdtempSync(join(tmpdir(), 'schema-check-test-'));
  roots.push(root);
  const subgraphs = (['chat', 'profile'] as const).map((name, index) => ({
    name,
    port: 4100 + index,
    dir: `subgraphs/${name}`,
    sdlPath: join(root, 'subgraphs', name, 'schema.graphql'),
    urlEnv: `${name.toUpperCase()}_URL`,
  }));
  git(root, 'init', '--quiet');
  const repo: TempRepo = {
    root,
    subgraphs,
    write(name, sdl) {
      const path = join(root, 'subgraphs', name, 'schema.graphql');
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, sdl);
    },
    compose() {
      const result = composeSupergraph(subgraphs);
      if (!result.supergraphSdl) throw new Error(`composition failed: ${result.errors.join('; ')}`);
      writeFileSync(join(root, 'supergraph.graphql'), result.supergraphSdl);
    },
    commit(message) {
      git(root, 'add', '-A');
      git(root, 'commit', '--quiet', '-m', message);
    },
    acknowledge(entries) {
      mkdirSync(join(root, 'schema'), { recursive: true });
      writeFileSync(join(root, 'schema', 'breaking-changes.json'), JSON.stringify({ acknowledged: entries }));
    },
  };
  repo.write('chat', CHAT);
  repo.write('profile', PROFILE);
  repo.compose();
  repo.commit('base');
  return repo;
}

const check = (repo: TempRepo, options: { subgraph?: string; env?: Record<string, string> } = {}) =>
  runSchemaCheck({ root: repo.root, subgraphs: repo.subgraphs, env: options.env ?? {}, ...options });

const breaking = (changes: readonly ClassifiedChange[]) =>
  changes.filter((c) => c.level === 'BREAKING').map((c) => ({ type: c.type, path: c.path }));

test('an unchanged tree passes, against HEAD when there is no origin/main', async () => {
  const repo = tempRepo();
  const result = await check(repo);
  expect(result.ok).toBe(true);
  expect(result.base).toEqual({ ref: 'HEAD', source: expect.stringContaining('no origin/main') });
  expect(result.drift).toBe(false);
  expect(result.changes).toEqual([]);
  expect(result.report).toContain('Schema check passed.');
});

test.each([
  ['a removed field', CHAT.replace('  title: String!\n', ''), 'FIELD_REMOVED', 'Conversation.title'],
  [
    'a tightened argument (nullable to required)',
    CHAT.replace('limit: Int)', 'limit: Int!)'),
    'FIELD_ARGUMENT_TYPE_CHANGED',
    'Query.conversation.limit',
  ],
  [
    'a loosened output (non-null to nullable)',
    CHAT.replace('title: String!', 'title: String'),
    'FIELD_TYPE_CHANGED',
    'Conversation.title',
  ],
  ['a removed enum value', CHAT.replace('  ARCHIVED\n', ''), 'ENUM_VALUE_REMOVED', 'Status.ARCHIVED'],
  [
    'a changed type',
    CHAT.replace('unread: Int!', 'unread: String!'),
    'FIELD_TYPE_CHANGED',
    'Conversation.unread',
  ],
])('%s is a breaking change and fails the check', async (_what, sdl, type, path) => {
  const repo = tempRepo();
  repo.write('chat', sdl);
  repo.compose();
  const result = await check(repo);
  expect(result.ok).toBe(false);
  expect(result.drift).toBe(false);
  expect(breaking(result.changes)).toEqual([{ type, path }]);
  expect(result.report).toContain(`✖ BREAKING ${type} ${path}`);
  expect(result.report).toContain('Schema check FAILED: 1 unacknowledged breaking change(s).');
});

test('an added optional field is safe and passes', async () => {
  const repo = tempRepo();
  repo.write('chat', CHAT.replace('  unread: Int!\n', '  unread: Int!\n  muted: Boolean\n'));
  repo.compose();
  const result = await check(repo);
  expect(result.ok).toBe(true);
  expect(result.changes.map((c) => [c.level, c.type, c.path])).toEqual([
    ['SAFE', 'FIELD_ADDED', 'Conversation.muted'],
  ]);
  expect(result.report).toContain('0 breaking (0 acknowledged), 0 dangerous, 1 safe');
});

test('an acknowledged breaking change passes; an acknowledgement matching nothing is reported', async () => {
  const repo = tempRepo();
  repo.write('profile', PROFILE.replace('  bio: String\n', ''));
  repo.compose();
  expect((await check(repo)).ok).toBe(false);

  repo.acknowledge([
    { path: 'User.bio', type: 'FIELD_REMOVED', reason: 'Moved to User.about; clients were told in v2.' },
    { path: 'Query.gone', reason: 'An old break that reached the base already.' },
  ]);
  const result = await check(repo);
  expect(result.ok).toBe(true);
  expect(result.changes).toEqual([
    expect.objectContaining({
      level: 'BREAKING',
      path: 'User.bio',
      acknowledgement: expect.objectContaining({ reason: 'Moved to User.about; clients were told in v2.' }),
    }),
  ]);
  expect(result.staleAcknowledgements.map((a) => a.path)).toEqual(['Query.gone']);
  expect(result.report).toContain('acknowledged: Moved to User.about');

  // An acknowledgement of another type at the same path does not cover it; one without a reason is refused.
  repo.acknowledge([{ path: 'User.bio', type: 'FIELD_TYPE_CHANGED', reason: 'Not this change at all.' }]);
  expect((await check(repo)).ok).toBe(false);
  repo.acknowledge([{ path: 'User.bio', reason: '' }]);
  await expect(check(repo)).rejects.toThrow(/breaking-changes.json is invalid/);
});

test('composition errors fail the check, and hints are listed', async () => {
  const repo = tempRepo();
  // Both subgraphs resolve Query.status without @shareable: they cannot compose.
  repo.write('profile', PROFILE.replace('type Query {\n', 'type Query {\n  status: String\n'));
  const failed = await check(repo);
  expect(failed.ok).toBe(false);
  expect(failed.compositionErrors.join('\n')).toMatch(/Query\.status/);
  expect(failed.report).toContain('Composition FAILED');
  expect(failed.report).toContain('Schema check FAILED: composition errors.');

  // A value type shared with different descriptions composes, with a hint.
  const shared = (description: string) =>
    `"""${description}"""\ntype PageInfo @shareable {\n  hasNext: Boolean!\n}\n`;
  repo.write('chat', `${CHAT}${shared('Paging of conversations.')}`);
  repo.write('profile', `${PROFILE}${shared('Paging of profiles.')}`);
  repo.compose();
  const hinted = await check(repo);
  expect(hinted.compositionErrors).toEqual([]);
  expect(hinted.hints.join('\n')).toMatch(/INCONSISTENT_DESCRIPTION/);
  expect(hinted.report).toMatch(/Composition hints \(\d+\):\n {2}• INCONSISTENT_DESCRIPTION/);
});

test('a supergraph.graphql that was not recomposed is drift and fails', async () => {
  const repo = tempRepo();
  repo.write('chat', CHAT.replace('  unread: Int!\n', '  unread: Int!\n  muted: Boolean\n'));
  const result = await check(repo);
  expect(result.ok).toBe(false);
  expect(result.drift).toBe(true);
  expect(result.report).toContain('Schema check FAILED: drift.');
});

test('--subgraph checks one subgraph from the working tree against the base of the others', async () => {
  const repo = tempRepo();
  repo.write('chat', CHAT.replace('  title: String!\n', ''));
  repo.write('profile', PROFILE.replace('  bio: String\n', '  bio: String\n  tagline: String\n'));
  // Not recomposed: drift is the full check's business, not a subgraph team's.
  const chat = await check(repo, { subgraph: 'chat' });
  expect(chat.drift).toBeUndefined();
  expect(chat.changes.map((c) => [c.level, c.path])).toEqual([['BREAKING', 'Conversation.title']]);
  expect(chat.ok).toBe(false);
  expect(chat.report).toContain('subgraph chat from the working tree, the others from the base');

  const profile = await check(repo, { subgraph: 'profile' });
  expect(profile.changes.map((c) => [c.level, c.path])).toEqual([['SAFE', 'User.tagline']]);
  expect(profile.ok).toBe(true);

  // Chat's acknowledged break is not profile's business: not reported as stale in profile's view.
  repo.acknowledge([{ path: 'Conversation.title', reason: 'Conversations are named by their members now.' }]);
  expect((await check(repo, { subgraph: 'chat' })).ok).toBe(true);
  expect((await check(repo, { subgraph: 'profile' })).staleAcknowledgements).toEqual([]);

  await expect(check(repo, { subgraph: 'media' })).rejects.toThrow('Unknown subgraph media');
});

test('the base is SCHEMA_BASE_REF, else the merge-base with origin/main, else HEAD', async () => {
  const repo = tempRepo();
  const first = git(repo.root, 'rev-parse', 'HEAD').trim();
  repo.write('chat', CHAT.replace('  ARCHIVED\n', ''));
  repo.compose();
  repo.commit('drop ARCHIVED');
  expect(resolveBaseRef(repo.root, {})).toEqual(expect.objectContaining({ ref: 'HEAD' }));
  // Against the last commit nothing changed; against the first one a value went.
  expect((await check(repo)).ok).toBe(true);
  const fromFirst = await check(repo, { env: { SCHEMA_BASE_REF: first } });
  expect(fromFirst.base).toEqual({ ref: first, source: 'SCHEMA_BASE_REF' });
  expect(breaking(fromFirst.changes)).toEqual([{ type: 'ENUM_VALUE_REMOVED', path: 'Status.ARCHIVED' }]);

  // A branch off origin/main: the base is where it forked, whatever main did since.
  git(repo.root, 'update-ref', 'refs/remotes/origin/main', first);
  expect(resolveBaseRef(repo.root, {})).toEqual({ ref: first, source: 'merge-base of HEAD and origin/main' });
  expect(() => resolveBaseRef(repo.root, { SCHEMA_BASE_REF: 'no-such-ref' })).toThrow('not a commit');
});

test('npm run schema:check runs on a copy of the six real subgraphs and fails on a removed field', () => {
  const root = mkdtempSync(join(tmpdir(), 'schema-check-real-'));
  roots.push(root);
  const copies = realSubgraphs.map((info) => {
    const sdlPath = join(root, info.dir, 'src', 'schema.graphql');
    mkdirSync(dirname(sdlPath), { recursive: true });
    copyFileSync(info.sdlPath, sdlPath);
    return { ...info, sdlPath };
  });
  const composed = composeSupergraph(copies);
  expect(composed.errors).toEqual([]);
  writeFileSync(join(root, 'supergraph.graphql'), composed.supergraphSdl ?? '');
  git(root, 'init', '--quiet');
  git(root, 'add', '-A');
  git(root, 'commit', '--quiet', '-m', 'base');

  const run = (...args: string[]) =>
    spawnSync('npm', ['run', '--silent', 'schema:check', '--', '--root', root, ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, SCHEMA_BASE_REF: '' },
    });
  const clean = run();
  expect(clean.stdout).toContain('all 6 subgraphs from the working tree');
  expect(clean.stdout).toContain('Schema check passed.');
  expect(clean.status).toBe(0);

  // Chat drops Query.totalUnreadCount.
  const chatSdl = join(root, 'subgraphs', 'chat', 'src', 'schema.graphql');
  const withoutField = (node: ObjectTypeDefinitionNode | ObjectTypeExtensionNode) =>
    node.name.value === 'Query'
      ? { ...node, fields: node.fields?.filter((field) => field.name.value !== 'totalUnreadCount') }
      : undefined;
  const edited = print(
    visit(parse(readFileSync(chatSdl, 'utf8')), {
      ObjectTypeDefinition: withoutField,
      ObjectTypeExtension: withoutField,
    }),
  );
  expect(edited).not.toContain('  totalUnreadCount: Int!\n}');
  writeFileSync(chatSdl, edited);
  const broken = run('--subgraph', 'chat');
  expect(broken.stdout).toContain('✖ BREAKING FIELD_REMOVED Query.totalUnreadCount');
  expect(broken.status).toBe(1);
}, 120_000);
