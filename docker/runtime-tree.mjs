#!/usr/bin/env node
// Builds the runtime image's /app from a checkout where `npm install` and `npm run build` ran
// (docker/Dockerfile's build stage): `node docker/runtime-tree.mjs <out-dir>`.
//
// 1. The workspaces production needs: the launcher and the seven services it runs (the kit's
//    topology), plus every workspace they depend on. The dev runner, test harness and embedded
//    MongoDB (packages/stack, testing, mongo-embedded) stay out, with the embedded PostgreSQL
//    binaries they pull in.
// 2. package.json keeps those workspaces and no devDependencies, and `npm prune --omit=dev
//    --omit=peer` removes everything else from node_modules (the Prisma CLI, TypeScript, Jest...).
// 3. <out-dir> receives the repository layout the launcher expects (the production contract):
//    package.json, node_modules, each kept workspace's package.json, dist/ and own node_modules,
//    prisma/auth/migrations and supergraph.graphql. No sources, no tests.
//
// It rewrites package.json and prunes node_modules in place: run it in a throwaway build stage.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node docker/runtime-tree.mjs <out-dir>');
  process.exit(2);
}

const root = JSON.parse(readFileSync('package.json', 'utf8'));

/** Workspace folders from package.json's patterns (`dir` or `dir/*`). */
function workspaceDirs(patterns) {
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
      .map((entry) => `${parent}/${entry.name}`);
  });
}

const byName = new Map();
for (const dir of workspaceDirs(root.workspaces)) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  byName.set(manifest.name, { dir, manifest });
}

// The compiled kit's topology names the services (the same list the launcher reads).
const { serviceTopology } = await import(join(process.cwd(), 'packages/kit/dist/topology.js'));
const wanted = ['packages/launcher', ...serviceTopology.map((service) => service.dir)];
const keep = new Set();
const visit = (dir) => {
  if (keep.has(dir)) return;
  const entry = [...byName.values()].find((candidate) => candidate.dir === dir);
  if (!entry) throw new Error(`runtime-tree: ${dir} is not a workspace`);
  keep.add(dir);
  for (const dependency of Object.keys(entry.manifest.dependencies ?? {})) {
    const workspace = byName.get(dependency);
    if (workspace) visit(workspace.dir);
  }
};
wanted.forEach(visit);

const runtimeManifest = { ...root, workspaces: [...keep].sort() };
delete runtimeManifest.devDependencies;
runtimeManifest.scripts = { start: root.scripts?.start ?? 'node packages/launcher/dist/cli.js all' };
writeFileSync('package.json', `${JSON.stringify(runtimeManifest, null, 2)}\n`);
execFileSync('npm', ['prune', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund'], {
  stdio: 'inherit',
});

mkdirSync(out, { recursive: true });
const copy = (path) => cpSync(path, join(out, path), { recursive: true, verbatimSymlinks: true });
for (const path of [
  'package.json',
  'package-lock.json',
  'node_modules',
  'supergraph.graphql',
  'prisma/auth/migrations',
]) {
  copy(path);
}
for (const dir of keep) {
  if (!existsSync(join(dir, 'dist'))) throw new Error(`runtime-tree: ${dir}/dist is missing (npm run build)`);
  copy(join(dir, 'package.json'));
  copy(join(dir, 'dist'));
  if (existsSync(join(dir, 'node_modules'))) copy(join(dir, 'node_modules'));
}
process.stdout.write(`runtime tree in ${out}: ${[...keep].join(', ')}\n`);
