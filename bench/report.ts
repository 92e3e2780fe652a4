// Shared by the benchmarks: options, machine description, and docs/BENCHMARKS.md section updates.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';

export interface BenchOptions {
  /** Longer measurements. */
  full: boolean;
  /** Replace the benchmark's section of docs/BENCHMARKS.md. */
  write: boolean;
  /** The command line that ran the benchmark, recorded with the figures. */
  command: string;
}

export const BENCHMARKS_MD = fileURLToPath(new URL('../docs/BENCHMARKS.md', import.meta.url));

export function machineInfo(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const date = new Date().toISOString().slice(0, 10);
  return `Machine: ${model}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}, ${date}`;
}

/** Replaces (or appends) the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export async function replaceSection(name: string, body: string, file = BENCHMARKS_MD): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n\n${body.trim()}\n\n${end}`;
  const current = existsSync(file)
    ? await readFile(file, 'utf8')
    : '# Benchmarks\n\nThroughput figures measured with `npm run bench -- --write`; each section names its machine and command.\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from !== -1 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  // Written the way `prettier --write` would, so `npm run check:format` stays green after a run.
  const config = (await prettier.resolveConfig(file)) ?? {};
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, await prettier.format(next, { ...config, filepath: file }));
}

/** The value at percentile `p` (0-100) of ascending `sorted` samples; NaN without samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Prints a benchmark's report and, with `--write`, makes it the benchmark's section of
 * docs/BENCHMARKS.md: heading, `intro` lines, the report, then the machine and command.
 */
export async function publishSection(
  name: string,
  report: string,
  options: BenchOptions,
  intro: readonly string[],
): Promise<void> {
  console.log(`\n## ${name}\n\n${report}\n`);
  if (!options.write) return;
  const body = [
    `## ${name}`,
    '',
    ...intro,
    '',
    report,
    '',
    `${machineInfo()}. Command: \`${options.command}\`.`,
  ];
  await replaceSection(name, body.join('\n'));
  console.log(`docs/BENCHMARKS.md: section ${name} updated`);
}

/**
 * Runs `run` when `moduleUrl` is the script node was started with (`npx tsx bench/<name>.ts
 * [--full] [--write]`), with the options its flags give; `npm run bench` imports it instead.
 */
export async function runIfScript(
  moduleUrl: string,
  script: string,
  run: (options: BenchOptions) => Promise<unknown>,
): Promise<void> {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const write = args.includes('--write');
  const command = [
    `npx tsx --conditions=development ${script}`,
    ...(full ? ['--full'] : []),
    ...(write ? ['--write'] : []),
  ].join(' ');
  await run({ full, write, command });
}

/** User + system CPU seconds a process has used so far (Linux /proc), or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
