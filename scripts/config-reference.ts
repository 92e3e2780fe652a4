/**
 * The configuration reference of docs/OPERATIONS.md, generated from the config registry
 * (scripts/config-schemas.ts) between its marker comments:
 *
 *   npm run docs:config                                        rewrite the section
 *   tsx --conditions=development scripts/config-reference.ts --check   fail on drift (npm run check)
 *
 * Defaults come from the schemas themselves (each variable parsed unset, as a process would),
 * descriptions from the registry's one map; a variable without a description, or a description
 * no process reads, fails both commands.
 */
import { repoRoot } from '@social/kit';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import type { z } from 'zod';
import {
  processVariables,
  processes,
  variableDoc,
  variableDocs,
  type ProcessConfig,
  type ProcessName,
} from './config-schemas.js';

export const DOC_PATH = join(repoRoot, 'docs', 'OPERATIONS.md');
export const START_MARKER =
  '<!-- config-reference:start (generated from scripts/config-schemas.ts by `npm run docs:config`; edit there) -->';
export const END_MARKER = '<!-- config-reference:end -->';

/** The services every deployment runs (the reference's first table holds what they all read). */
const SERVICE_PROCESSES = processes.filter((entry) => entry.name !== 'migrate').map((entry) => entry.name);

interface Row {
  readonly name: string;
  readonly default: string;
  readonly text: string;
}

/** What a variable is when it is not set: its default, `required`, or unset. */
function defaultOf(schema: z.ZodType): { required: true } | { required: false; value: unknown } {
  const result = schema.safeParse(undefined);
  return result.success ? { required: false, value: result.data } : { required: true };
}

function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (value === '') return '(empty)';
  if (typeof value === 'string' && value.startsWith(repoRoot)) {
    return `\`./${relative(repoRoot, value)}\``;
  }
  return `\`${String(value)}\``;
}

function formatDefault(processName: ProcessName, name: string, schema: z.ZodType): string {
  const override = variableDoc(processName, name)?.default;
  if (override !== undefined) return override;
  const unset = defaultOf(schema);
  return unset.required ? '**required**' : formatValue(unset.value);
}

const cell = (text: string) => text.replaceAll('|', '\\|');

function table(rows: readonly Row[]): string {
  const lines = ['| variable | default | meaning |', '| --- | --- | --- |'];
  for (const row of rows) lines.push(`| \`${row.name}\` | ${cell(row.default)} | ${cell(row.text)} |`);
  return lines.join('\n');
}

/** Every problem of the descriptions map: variables without one, and entries nothing reads. */
export function descriptionProblems(): string[] {
  const problems: string[] = [];
  const read = new Set<string>();
  for (const entry of processes) {
    for (const name of processVariables(entry.name).keys()) {
      read.add(name);
      read.add(`${entry.name}.${name}`);
      if (!variableDoc(entry.name, name))
        problems.push(`${entry.name} reads ${name}, which has no description`);
    }
  }
  for (const key of Object.keys(variableDocs)) {
    if (!read.has(key)) problems.push(`the description of ${key} names a variable no process reads`);
  }
  return problems;
}

/** The generated section (between the markers), before Prettier. */
export function renderReference(): string {
  const problems = descriptionProblems();
  if (problems.length > 0) {
    throw new Error(
      `scripts/config-schemas.ts: ${problems.length} problem(s) with variableDocs:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
  }
  const variables = new Map(processes.map((entry) => [entry.name, processVariables(entry.name)]));
  const common = [...(variables.get('gateway')?.keys() ?? [])].filter((name) =>
    SERVICE_PROCESSES.every((processName) => variables.get(processName)?.has(name)),
  );
  const commonRows = common.map((name): Row => {
    const defaults = SERVICE_PROCESSES.map((processName) => {
      const schema = variables.get(processName)?.get(name);
      return schema ? formatDefault(processName, name, schema) : '—';
    });
    const same = defaults.every((value) => value === defaults[0]);
    return {
      name,
      default: same
        ? (defaults[0] ?? '—')
        : SERVICE_PROCESSES.map((processName, index) => `${processName} ${defaults[index]}`).join(', '),
      text: variableDoc('gateway', name)?.text ?? '',
    };
  });

  const sections = [
    `### Every service\n\nRead by ${SERVICE_PROCESSES.map((name) => `\`${name}\``).join(', ')}.\n\n${table(commonRows)}`,
  ];
  for (const entry of processes) sections.push(processSection(entry, variables.get(entry.name), common));
  return sections.join('\n\n');
}

function processSection(
  entry: ProcessConfig,
  variables: Map<string, z.ZodType> | undefined,
  common: readonly string[],
): string {
  const rows = [...(variables ?? new Map<string, z.ZodType>())]
    .filter(([name]) => entry.name === 'migrate' || !common.includes(name))
    .map(([name, schema]): Row => ({
      name,
      default: formatDefault(entry.name, name, schema),
      text: variableDoc(entry.name, name)?.text ?? '',
    }));
  const intro =
    entry.name === 'migrate'
      ? `\`cli.js migrate\`: ${entry.summary}.`
      : `\`cli.js ${entry.name}\`: ${entry.summary}. Also reads every variable above.`;
  return `### ${entry.name}\n\n${intro}\n\n${table(rows)}`;
}

/** The document with its generated section replaced, formatted as `npm run format` would. */
export async function renderDocument(current: string): Promise<string> {
  const start = current.indexOf(START_MARKER);
  const end = current.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`${DOC_PATH}: the markers of the configuration reference are missing or out of order`);
  }
  const next =
    current.slice(0, start + START_MARKER.length) + `\n\n${renderReference()}\n\n` + current.slice(end);
  const options = (await prettier.resolveConfig(DOC_PATH)) ?? {};
  return prettier.format(next, { ...options, filepath: DOC_PATH });
}

async function main(argv: readonly string[]): Promise<number> {
  const mode = argv.includes('--write') ? 'write' : argv.includes('--check') ? 'check' : undefined;
  if (!mode) {
    console.error('usage: config-reference.ts --write | --check');
    return 2;
  }
  const current = readFileSync(DOC_PATH, 'utf8');
  const expected = await renderDocument(current);
  if (mode === 'write') {
    if (expected !== current) writeFileSync(DOC_PATH, expected);
    console.log(
      `${relative(repoRoot, DOC_PATH)}: configuration reference ${expected === current ? 'unchanged' : 'written'}`,
    );
    return 0;
  }
  if (expected !== current) {
    console.error(
      `${relative(repoRoot, DOC_PATH)}: the configuration reference differs from scripts/config-schemas.ts; ` +
        'run `npm run docs:config` and commit the result',
    );
    return 1;
  }
  console.log(`${relative(repoRoot, DOC_PATH)}: configuration reference up to date`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
}
