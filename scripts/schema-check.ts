/**
 * Schema checks for CI: composition, drift and breaking changes of the public API.
 *
 *   npm run schema:check                        all subgraphs from the working tree
 *   npm run schema:check -- --subgraph chat     only chat's working-tree SDL, the others from the base
 *   npm run schema:check -- --base <git ref>    compare with that ref instead of the default base
 *
 * 1. Composes the subgraph SDLs with @apollo/composition: errors fail, hints are listed.
 * 2. Full check only: the committed supergraph.graphql must equal the composition (no drift).
 * 3. Diffs the public API schema (the supergraph without join__/link machinery) of the composition
 *    against the base's supergraph.graphql with @graphql-inspector/core. Breaking changes fail
 *    unless schema/breaking-changes.json acknowledges them; dangerous and safe ones are listed.
 *
 * The base is SCHEMA_BASE_REF (or --base) when set, else the merge-base of HEAD with origin/main
 * when that ref exists, else HEAD (the working tree against the last commit).
 */
import { Supergraph } from '@apollo/federation-internals';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { composeSupergraph } from './compose.js';
import { repoRoot, subgraphs as defaultSubgraphs, type SubgraphInfo } from './subgraphs.js';

export const ACKNOWLEDGEMENTS_FILE = 'schema/breaking-changes.json';
const SUPERGRAPH_FILE = 'supergraph.graphql';

const acknowledgementSchema = z
  .object({
    /** The change's path as reported, e.g. `Query.user` or `User.email`. */
    path: z.string().min(1).optional(),
    /** The change's message as reported (when the path alone is ambiguous, or there is none). */
    message: z.string().min(1).optional(),
    /** The change's type as reported, e.g. `FIELD_REMOVED` (optional narrowing). */
    type: z.string().min(1).optional(),
    /** Why the break is acceptable: who was told, what replaces it. */
    reason: z.string().trim().min(10, 'give a reason (at least 10 characters)'),
  })
  .refine((entry) => entry.path !== undefined || entry.message !== undefined, {
    message: 'an acknowledgement needs a path or a message',
  });
const acknowledgementsFileSchema = z.object({ acknowledged: z.array(acknowledgementSchema) });
export type Acknowledgement = z.infer<typeof acknowledgementSchema>;

export interface BaseRef {
  /** What `git show <ref>:supergraph.graphql` uses. */
  readonly ref: string;
  /** How it was chosen, for the report. */
  readonly source: string;
}

export interface ClassifiedChange {
  readonly level: 'BREAKING' | 'DANGEROUS' | 'SAFE';
  readonly type: string;
  readonly path: string | undefined;
  readonly message: string;
  readonly acknowledgement?: Acknowledgement;
}

export interface SchemaCheckOptions {
  /** The checkout to check (default: this repository). */
  readonly root?: string;
  /** Check one subgraph: its working-tree SDL composed with the base's SDLs of the others. */
  readonly subgraph?: string;
  /** The git ref to compare with; default from `env` (see resolveBaseRef). */
  readonly baseRef?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The subgraphs (default: the list in scripts/subgraphs.ts, under `root`). */
  readonly subgraphs?: readonly SubgraphInfo[];
}

export interface SchemaCheckResult {
  readonly ok: boolean;
  readonly base: BaseRef | undefined;
  readonly compositionErrors: readonly string[];
  readonly hints: readonly string[];
  /** Whether supergraph.graphql differs from the composition; undefined when not checked. */
  readonly drift: boolean | undefined;
  readonly changes: readonly ClassifiedChange[];
  /** Acknowledgements no current change matches (the break already reached the base): remove them. */
  readonly staleAcknowledgements: readonly Acknowledgement[];
  readonly report: string;
}

function git(root: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function gitSucceeds(root: string, args: readonly string[]): boolean {
  try {
    git(root, args);
    return true;
  } catch {
    return false;
  }
}

/**
 * The base to compare with: SCHEMA_BASE_REF (or an explicit ref), else the merge-base of HEAD with
 * origin/main, else HEAD. Undefined outside a git checkout or before the first commit.
 */
export function resolveBaseRef(
  root: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  explicit?: string,
): BaseRef | undefined {
  const configured = explicit ?? (env.SCHEMA_BASE_REF || undefined);
  if (configured) {
    if (!gitSucceeds(root, ['rev-parse', '--verify', '--quiet', `${configured}^{commit}`])) {
      throw new Error(`The schema base ${configured} is not a commit in ${root}`);
    }
    return { ref: configured, source: explicit ? '--base' : 'SCHEMA_BASE_REF' };
  }
  if (gitSucceeds(root, ['rev-parse', '--verify', '--quiet', 'origin/main^{commit}'])) {
    try {
      const mergeBase = git(root, ['merge-base', 'HEAD', 'origin/main']).trim();
      return { ref: mergeBase, source: 'merge-base of HEAD and origin/main' };
    } catch {
      // A shallow clone may lack the common ancestor: origin/main itself is the next best base.
      return { ref: 'origin/main', source: 'origin/main (no merge-base in this clone)' };
    }
  }
  if (gitSucceeds(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])) {
    return { ref: 'HEAD', source: 'no origin/main: the working tree against the last commit' };
  }
  return undefined;
}

/** A file's content at a ref (path relative to `root`), or undefined if it does not exist there. */
export function readAtRef(root: string, ref: string, path: string): string | undefined {
  try {
    return git(root, ['show', `${ref}:./${path}`]);
  } catch {
    return undefined;
  }
}

/** The public API schema of a supergraph: what clients see, without join__/link machinery. */
export function apiSchemaOf(supergraphSdl: string) {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** The changes of the public API from one supergraph to another, by criticality. */
export async function diffApiSchemas(oldSupergraph: string, newSupergraph: string): Promise<Change[]> {
  return diff(apiSchemaOf(oldSupergraph), apiSchemaOf(newSupergraph));
}

export function loadAcknowledgements(path: string): Acknowledgement[] {
  if (!existsSync(path)) return [];
  const parsed = acknowledgementsFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`${path} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return parsed.data.acknowledged;
}

function matches(ack: Acknowledgement, change: Change): boolean {
  return (
    (ack.path === undefined || ack.path === change.path) &&
    (ack.message === undefined || ack.message === change.message) &&
    (ack.type === undefined || ack.type === change.type)
  );
}

const LEVELS: Record<CriticalityLevel, ClassifiedChange['level']> = {
  [CriticalityLevel.Breaking]: 'BREAKING',
  [CriticalityLevel.Dangerous]: 'DANGEROUS',
  [CriticalityLevel.NonBreaking]: 'SAFE',
};

/** Sorts changes by criticality and pairs each breaking one with its acknowledgement, if any. */
export function classifyChanges(
  changes: readonly Change[],
  acknowledgements: readonly Acknowledgement[],
): { changes: ClassifiedChange[]; stale: Acknowledgement[] } {
  const used = new Set<Acknowledgement>();
  const classified = changes.map((change): ClassifiedChange => {
    const level = LEVELS[change.criticality.level];
    const base = { level, type: String(change.type), path: change.path, message: change.message };
    if (level !== 'BREAKING') return base;
    const acknowledgement = acknowledgements.find((ack) => matches(ack, change));
    if (!acknowledgement) return base;
    used.add(acknowledgement);
    return { ...base, acknowledgement };
  });
  const order = { BREAKING: 0, DANGEROUS: 1, SAFE: 2 };
  classified.sort((a, b) => order[a.level] - order[b.level]);
  return { changes: classified, stale: acknowledgements.filter((ack) => !used.has(ack)) };
}

/** The subgraph list under another checkout (same layout as this repository). */
function subgraphsUnder(root: string): SubgraphInfo[] {
  return defaultSubgraphs.map((info) => ({ ...info, sdlPath: join(root, relative(repoRoot, info.sdlPath)) }));
}

/**
 * The list to compose for `--subgraph`: that subgraph from the working tree, every other one as
 * it is at the base (written to `scratch`); subgraphs absent at the base are left out.
 */
function withBaseSdls(
  root: string,
  list: readonly SubgraphInfo[],
  subgraph: string,
  base: BaseRef,
  scratch: string,
): SubgraphInfo[] {
  return list.flatMap((info) => {
    if (info.name === subgraph) return [info];
    const sdl = readAtRef(root, base.ref, relative(root, info.sdlPath));
    if (sdl === undefined) return [];
    const sdlPath = join(scratch, `${info.name}.graphql`);
    writeFileSync(sdlPath, sdl);
    return [{ ...info, sdlPath }];
  });
}

export async function runSchemaCheck(options: SchemaCheckOptions = {}): Promise<SchemaCheckResult> {
  const root = resolve(options.root ?? repoRoot);
  const list = options.subgraphs ?? (root === resolve(repoRoot) ? defaultSubgraphs : subgraphsUnder(root));
  const subgraph = options.subgraph;
  if (subgraph !== undefined && !list.some((info) => info.name === subgraph)) {
    throw new Error(`Unknown subgraph ${subgraph}: one of ${list.map((info) => info.name).join(', ')}`);
  }
  const base = resolveBaseRef(root, options.env ?? process.env, options.baseRef);
  if (subgraph !== undefined && !base) {
    throw new Error('--subgraph needs a git base to take the other subgraphs from');
  }

  const scratch = mkdtempSync(join(tmpdir(), 'schema-check-'));
  let composition: ReturnType<typeof composeSupergraph>;
  try {
    composition = composeSupergraph(
      subgraph !== undefined && base ? withBaseSdls(root, list, subgraph, base, scratch) : list,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const acknowledgementsPath = join(root, ACKNOWLEDGEMENTS_FILE);
  let drift: boolean | undefined;
  let changes: ClassifiedChange[] = [];
  let stale: Acknowledgement[] = [];
  const notes: string[] = [];
  const supergraphSdl = composition.supergraphSdl;
  if (supergraphSdl !== undefined) {
    if (subgraph === undefined) {
      const committedPath = join(root, SUPERGRAPH_FILE);
      drift = !existsSync(committedPath) || readFileSync(committedPath, 'utf8') !== supergraphSdl;
    }
    const baseSupergraph = base ? readAtRef(root, base.ref, SUPERGRAPH_FILE) : undefined;
    if (!base) notes.push('No git base (not a checkout, or no commit yet): breaking changes not checked.');
    else if (baseSupergraph === undefined) {
      notes.push(`The base has no ${SUPERGRAPH_FILE}: every type is new, breaking changes not checked.`);
    } else {
      const classified = classifyChanges(
        await diffApiSchemas(baseSupergraph, supergraphSdl),
        loadAcknowledgements(acknowledgementsPath),
      );
      changes = classified.changes;
      // One subgraph's view cannot tell whether another subgraph's acknowledged break is still pending.
      stale = subgraph === undefined ? classified.stale : [];
    }
  }

  const unacknowledged = changes.filter((c) => c.level === 'BREAKING' && !c.acknowledgement);
  const ok = composition.errors.length === 0 && drift !== true && unacknowledged.length === 0;
  const result = {
    ok,
    base,
    compositionErrors: composition.errors,
    hints: composition.hints,
    drift,
    changes,
    staleAcknowledgements: stale,
  };
  return { ...result, report: formatReport({ ...result, subgraph, subgraphCount: list.length, notes }) };
}

const MARKS = { BREAKING: '✖', DANGEROUS: '⚠', SAFE: '✓' } as const;

/** Messages quote whole descriptions: one line, and not a page of it. */
function oneLine(text: string, max = 240): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function formatReport(
  r: Omit<SchemaCheckResult, 'report'> & { subgraph?: string; subgraphCount: number; notes: string[] },
): string {
  const lines: string[] = [];
  const scope = r.subgraph
    ? `subgraph ${r.subgraph} from the working tree, the others from the base`
    : `all ${r.subgraphCount} subgraphs from the working tree`;
  lines.push(`Schema check: ${scope}`);
  lines.push(r.base ? `Base: ${r.base.ref} (${r.base.source})` : 'Base: none');

  if (r.compositionErrors.length > 0) {
    lines.push('', `Composition FAILED (${r.compositionErrors.length} errors):`);
    for (const error of r.compositionErrors) lines.push(`  ✖ ${error}`);
  } else {
    lines.push('', 'Composition OK');
  }
  if (r.hints.length > 0) {
    lines.push(`Composition hints (${r.hints.length}):`);
    for (const hint of r.hints) lines.push(`  • ${hint}`);
  }
  if (r.drift === true) {
    lines.push(
      '',
      `Drift: ${SUPERGRAPH_FILE} differs from the composition: run \`npm run compose\` and commit it.`,
    );
  } else if (r.drift === false) {
    lines.push('', `Drift: none (${SUPERGRAPH_FILE} is up to date)`);
  }

  for (const note of r.notes) lines.push('', note);
  if (r.compositionErrors.length === 0 && r.base && r.notes.length === 0) {
    const count = (level: ClassifiedChange['level']) => r.changes.filter((c) => c.level === level).length;
    const acknowledged = r.changes.filter((c) => c.acknowledgement).length;
    lines.push(
      '',
      `Public API changes: ${count('BREAKING')} breaking (${acknowledged} acknowledged), ` +
        `${count('DANGEROUS')} dangerous, ${count('SAFE')} safe`,
    );
    for (const change of r.changes) {
      const where = change.path ? ` ${change.path}` : '';
      lines.push(
        `  ${MARKS[change.level]} ${change.level} ${change.type}${where}: ${oneLine(change.message)}`,
      );
      if (change.acknowledgement) lines.push(`      acknowledged: ${change.acknowledgement.reason}`);
    }
  }
  if (r.staleAcknowledgements.length > 0) {
    lines.push('', `Acknowledgements matching no change (remove them from ${ACKNOWLEDGEMENTS_FILE}):`);
    for (const ack of r.staleAcknowledgements) lines.push(`  • ${ack.path ?? ack.message}`);
  }

  const unacknowledged = r.changes.filter((c) => c.level === 'BREAKING' && !c.acknowledgement);
  const failures = [
    ...(r.compositionErrors.length > 0 ? ['composition errors'] : []),
    ...(r.drift === true ? ['drift'] : []),
    ...(unacknowledged.length > 0 ? [`${unacknowledged.length} unacknowledged breaking change(s)`] : []),
  ];
  lines.push(
    '',
    failures.length === 0 ? 'Schema check passed.' : `Schema check FAILED: ${failures.join(', ')}.`,
  );
  if (unacknowledged.length > 0) {
    lines.push(
      `If a break is intended, add it to ${ACKNOWLEDGEMENTS_FILE}, e.g.`,
      `  { "path": "${unacknowledged[0]?.path ?? ''}", "type": "${unacknowledged[0]?.type ?? ''}", "reason": "..." }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `--name value` or `--name=value`. */
function argument(argv: readonly string[], name: string): string | undefined {
  const index = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index === -1) return undefined;
  const arg = argv[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  if (!value || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    const subgraph = argument(argv, 'subgraph');
    const baseRef = argument(argv, 'base');
    const root = argument(argv, 'root');
    const result = await runSchemaCheck({
      ...(subgraph ? { subgraph } : {}),
      ...(baseRef ? { baseRef } : {}),
      ...(root ? { root } : {}),
    });
    process.stdout.write(result.report);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`schema:check: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
