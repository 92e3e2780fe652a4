/**
 * `npm run build`: compiles every workspace to `<workspace>/dist/` (`tsc -b` over
 * tsconfig.build.json, whose project references give the dependency order), then copies the
 * files the compiled code reads next to itself (`schema.graphql`, the gateway's GraphiQL examples
 * and client files, ...): every file under `src/` but TypeScript, source maps and READMEs.
 *
 * `-- --clean` deletes every `dist/` first (a build from scratch).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const clean = process.argv.includes('--clean');

/** The workspaces the root tsconfig.build.json references, in dependency order. */
function workspaces(): string[] {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
    references: Array<{ path: string }>;
  };
  return config.references.map((reference) => dirname(join(root, reference.path)));
}

/** Files under `dir` (recursively) that compiled code may read at run time. */
function assets(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...assets(path));
    // TypeScript (sources and declarations), source maps and READMEs are not read at run time.
    else if (!/\.(ts|map)$/.test(entry.name) && entry.name !== 'README.md') found.push(path);
  }
  return found;
}

const started = Date.now();
const dirs = workspaces();
if (clean) {
  for (const dir of dirs) rmSync(join(dir, 'dist'), { recursive: true, force: true });
}

const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) {
  console.error(`build failed: tsc -b exited with ${tsc.status ?? tsc.signal}`);
  process.exit(1);
}

let copied = 0;
for (const dir of dirs) {
  const src = join(dir, 'src');
  if (!existsSync(src)) continue;
  for (const file of assets(src)) {
    cpSync(file, join(dir, 'dist', relative(src, file)));
    copied += 1;
  }
}
console.log(
  `built ${dirs.length} workspaces (${dirs.map((dir) => relative(root, dir)).join(', ')}), ` +
    `copied ${copied} assets in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
