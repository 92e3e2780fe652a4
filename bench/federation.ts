/**
 * The federation gateway benchmark (issue 12, workload 1): The Guild's graphql-gateways-benchmark
 * workload — its four subgraphs (bench/federation/subgraphs.ts) and its deep query — run against
 * stock @apollo/gateway, our gateway and Hive Gateway (with and without router-runtime), each with
 * its inbound deduplication off and on, one after the other in one session.
 *
 *   npx tsx --conditions=development bench/federation.ts [--full] [--write] [--gateways stock,ours,hive,hive-router-runtime]
 *
 * Per gateway and mode: start it as its own process, check one response, warm up (3 s; full 10 s),
 * then measure (10 s; full 30 s) with autocannon at 50 connections. Every response is checked
 * cheaply (status 200, no `"errors"`, the exact byte size of the correct response) and one in
 * CHECK_EVERY fully against the expected data; a response failing either counts as an error.
 * With two or more cores the gateway runs alone on core 1 (`taskset -c 1`) and the load generator
 * (this process) and the subgraphs process share core 0, so the gateway's one core is what is
 * measured (`--no-pin` turns that off). `--write` replaces the `federation-gateways` section of docs/BENCHMARKS.md and
 * renders docs/bench-federation.png.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBarChartPng } from './chart.js';
import { checkFederationBody, expectedFederationBodyBytes } from './federation/check.js';
import { federationQuery, writeFederationSupergraph } from './federation/compose.js';
import type { SubgraphUrls } from './federation/subgraphs.js';
import { cpuSeconds, percentile, publishSection, runIfScript, type BenchOptions } from './report.js';
import { freePort } from '@social/stack';

const SECTION = 'federation-gateways';
const CONNECTIONS = 50;
/** One response in CHECK_EVERY is parsed and compared with the expected data in full. */
const CHECK_EVERY = 50;
/** Seconds before a request counts as a timeout (an error). */
const REQUEST_TIMEOUT_S = 60;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHART_PATH = join(ROOT, 'docs', 'bench-federation.png');
const HIVE_BIN = join(ROOT, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');

type GatewayName = 'stock' | 'ours' | 'hive' | 'hive-router-runtime';
const GATEWAY_NAMES: readonly GatewayName[] = ['stock', 'ours', 'hive', 'hive-router-runtime'];

interface Variant {
  readonly gateway: GatewayName;
  readonly label: string;
  readonly dedupe: boolean | undefined;
  /** node's arguments and extra environment to start it on `port` with the supergraph at `supergraph`. */
  command(supergraph: string, port: number): { args: string[]; env: Record<string, string> };
  url(port: number): string;
}

function tsxRunner(
  script: string,
  gateway: GatewayName,
  label: string,
  dedupe: boolean | undefined,
): Variant {
  return {
    gateway,
    label,
    dedupe,
    command: (supergraph, port) => ({
      args: [
        '--conditions=development',
        '--import',
        'tsx',
        join(ROOT, 'bench', 'federation', 'gateways', script),
        '--supergraph',
        supergraph,
        '--port',
        String(port),
        '--dedupe',
        dedupe ? 'on' : 'off',
      ],
      env: {},
    }),
    url: (port) => `http://127.0.0.1:${port}${gateway === 'stock' ? '/' : '/graphql'}`,
  };
}

function hiveRunner(config: string, gateway: GatewayName, label: string, dedupe: boolean): Variant {
  return {
    gateway,
    label,
    dedupe,
    command: (supergraph, port) => ({
      // `--fork 1` (the default, said explicitly): one process, no cluster workers.
      args: [
        HIVE_BIN,
        'supergraph',
        supergraph,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--fork',
        '1',
        '--config-path',
        join(ROOT, 'bench', 'federation', 'gateways', config),
      ],
      env: { HIVE_DEDUPE: dedupe ? 'on' : 'off' },
    }),
    url: (port) => `http://127.0.0.1:${port}/graphql`,
  };
}

const VARIANTS: readonly Variant[] = [
  tsxRunner('stock.ts', 'stock', '@apollo/gateway (stock)', undefined),
  tsxRunner('ours.ts', 'ours', 'ours', false),
  tsxRunner('ours.ts', 'ours', 'ours', true),
  hiveRunner('hive-jit.config.mjs', 'hive', 'Hive Gateway --jit', false),
  hiveRunner('hive-jit.config.mjs', 'hive', 'Hive Gateway --jit', true),
  hiveRunner('hive-router-runtime.config.mjs', 'hive-router-runtime', 'Hive Gateway + router-runtime', false),
  hiveRunner('hive-router-runtime.config.mjs', 'hive-router-runtime', 'Hive Gateway + router-runtime', true),
];

interface Row {
  readonly variant: Variant;
  /** Why the gateway could not be measured (did not start, or answered wrongly before the load). */
  readonly failed?: string;
  readonly rps?: number;
  readonly latencies?: readonly number[];
  readonly requests?: number;
  /** Non-2xx, socket errors, timeouts and wrong bodies during the measurement. */
  readonly errors?: number;
  readonly errorSample?: string;
  readonly peakRssMb?: number;
  /** The gateway process's CPU time over the measurement, in cores (1.0 = one core busy). */
  readonly cpuCores?: number;
}

// ---------------------------------------------------------------------------------------------
// Processes: pinning, start, readiness, RSS and CPU, stop.

function canPin(): boolean {
  if (os.availableParallelism() < 2 || process.platform !== 'linux') return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of this process to `cpus`; returns the previous affinity list to restore. */
function pinSelf(cpus: string): string | undefined {
  const current = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  const previous = /:\s*(\S+)\s*$/.exec(current.trim())?.[1];
  execFileSync('taskset', ['-apc', cpus, String(process.pid)], { stdio: 'ignore' });
  return previous;
}

function startProcess(args: string[], env: Record<string, string>, cpu: string | undefined): ChildProcess {
  const [command, argv] = cpu
    ? ['taskset', ['-c', cpu, process.execPath, ...args]]
    : [process.execPath, args];
  return spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Keeps the last lines a process printed, for the error message if it fails. */
function tail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 15));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function post(url: string, query: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, text: await response.text() };
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output()}`);
    try {
      const { status } = await post(url, '{ __typename }');
      if (status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`did not answer within 90 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function procStatusKb(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Load.

interface Load {
  requests: number;
  latencies: number[];
  errors: number;
  errorSample?: string;
  durationS: number;
}

/** `durationS` seconds of the benchmark query at CONNECTIONS connections, every response checked. */
async function load(url: string, durationS: number): Promise<Load> {
  const expectedBytes = expectedFederationBodyBytes();
  const result: Load = { requests: 0, latencies: [], errors: 0, durationS };
  let bodies = 0;
  const wrong = (problem: string) => {
    result.errors += 1;
    result.errorSample ??= problem;
  };
  // autocannon emits a client's `response` (status, latency) and then, synchronously, calls
  // `verifyBody` with that response's whole body: the status seen last is the body's status.
  let status = 0;
  const summary = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: durationS,
    // k6's default, as in the original; autocannon's own 10 s would count a queue as errors.
    timeout: REQUEST_TIMEOUT_S,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: federationQuery() }),
    setupClient: (client) => {
      client.on('response', (statusCode: number, _bytes: number, responseTime: number) => {
        status = statusCode;
        result.requests += 1;
        result.latencies.push(responseTime);
      });
    },
    verifyBody: (raw) => {
      const body = typeof raw === 'string' ? raw : (raw?.toString('utf8') ?? '');
      if (status < 200 || status > 299) {
        wrong(`HTTP ${status}: ${body.slice(0, 200)}`);
        return false;
      }
      // A trailing newline (Apollo Server writes one) does not make a body wrong; the body is ASCII.
      const size = body.length - (body.endsWith('\n') ? 1 : 0);
      if (size !== expectedBytes || body.includes('"errors"')) {
        wrong(
          checkFederationBody(body)[0] ?? `a ${size}-byte body where ${expectedBytes} bytes were expected`,
        );
        return false;
      }
      bodies += 1;
      if (bodies % CHECK_EVERY === 0) {
        const problem = checkFederationBody(body)[0];
        if (problem !== undefined) {
          wrong(problem);
          return false;
        }
      }
      return true;
    },
  });
  // Socket errors and timeouts (autocannon counts timeouts among its errors) get no response event.
  result.errors += summary.errors;
  if (summary.errors > 0) {
    result.errorSample ??= `${summary.errors - summary.timeouts} socket errors, ${summary.timeouts} timeouts`;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// One variant.

async function measure(
  variant: Variant,
  supergraph: string,
  options: { warmupS: number; measureS: number; gatewayCpu: string | undefined },
): Promise<Row> {
  const port = await freePort();
  const { args, env } = variant.command(supergraph, port);
  const child = startProcess(args, env, options.gatewayCpu);
  const output = tail(child);
  const url = variant.url(port);
  try {
    try {
      await waitUntilAnswering(url, child, output);
    } catch (error) {
      return { variant, failed: `did not start: ${(error as Error).message.split('\n')[0]}` };
    }
    const first = await post(url, federationQuery());
    const problems = first.status === 200 ? checkFederationBody(first.text) : [`HTTP ${first.status}`];
    if (problems.length > 0) return { variant, failed: `wrong response: ${problems[0]}` };

    await load(url, options.warmupS);
    const pid = child.pid as number;
    const cpuBefore = cpuSeconds(pid);
    const started = process.hrtime.bigint();
    const run = await load(url, options.measureS);
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAfter = cpuSeconds(pid);
    const peakKb = procStatusKb(pid, 'VmHWM');
    return {
      variant,
      rps: run.requests / run.durationS,
      requests: run.requests,
      latencies: run.latencies.sort((a, b) => a - b),
      errors: run.errors,
      ...(run.errorSample ? { errorSample: run.errorSample } : {}),
      ...(peakKb !== undefined ? { peakRssMb: peakKb / 1024 } : {}),
      ...(cpuBefore !== undefined && cpuAfter !== undefined
        ? { cpuCores: (cpuAfter - cpuBefore) / elapsedS }
        : {}),
    };
  } finally {
    await stopProcess(child);
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

function dedupeLabel(variant: Variant): string {
  return variant.dedupe === undefined ? 'n/a' : variant.dedupe ? 'on' : 'off';
}

function table(rows: readonly Row[]): string {
  const baseline = rows.find((row) => row.variant.gateway === 'stock')?.rps;
  const lines = [
    '| gateway | inbound dedup | req/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MB | gateway CPU | × stock |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const name = row.variant.gateway === 'ours' ? `**${row.variant.label}**` : row.variant.label;
    if (row.failed !== undefined || row.rps === undefined || row.latencies === undefined) {
      lines.push(
        `| ${name} | ${dedupeLabel(row.variant)} | — | — | — | — | ${row.failed ?? 'failed'} | — | — | — |`,
      );
      continue;
    }
    const ms = (p: number) => percentile(row.latencies as number[], p).toFixed(1);
    const ratio = baseline ? `${(row.rps / baseline).toFixed(1)}×` : '—';
    lines.push(
      `| ${name} | ${dedupeLabel(row.variant)} | ${row.rps.toFixed(row.rps < 10 ? 1 : 0)} | ${ms(50)} | ${ms(95)} | ${ms(99)} | ${row.errors} of ${row.requests} | ${row.peakRssMb?.toFixed(0) ?? '—'} | ${row.cpuCores !== undefined ? `${(row.cpuCores * 100).toFixed(0)}%` : '—'} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

function packageVersion(name: string): string {
  const path = join(ROOT, 'node_modules', name, 'package.json');
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
    : 'not installed';
}

function versions(): string {
  return [
    `@apollo/gateway ${packageVersion('@apollo/gateway')}`,
    `@apollo/server ${packageVersion('@apollo/server')}`,
    `@graphql-hive/gateway ${packageVersion('@graphql-hive/gateway')} (gateway-runtime ${packageVersion('@graphql-hive/gateway-runtime')})`,
    `@graphql-hive/router-runtime ${packageVersion('@graphql-hive/router-runtime')}`,
    `autocannon ${packageVersion('autocannon')}`,
    `graphql ${packageVersion('graphql')}`,
  ].join(', ');
}

function chartLabel(variant: Variant): string {
  return variant.dedupe === undefined
    ? variant.label
    : `${variant.label}, dedup ${variant.dedupe ? 'on' : 'off'}`;
}

function selectedGateways(): Set<GatewayName> {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((arg) => arg === '--gateways' || arg.startsWith('--gateways='));
  if (i === -1) return new Set(GATEWAY_NAMES);
  const arg = argv[i] as string;
  const list = (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (argv[i + 1] ?? '')).split(',');
  const unknown = list.filter((name) => !GATEWAY_NAMES.includes(name as GatewayName));
  if (unknown.length > 0 || list.length === 0) {
    throw new Error(
      `--gateways takes a comma-separated list of ${GATEWAY_NAMES.join(', ')}; got ${list.join(',')}`,
    );
  }
  return new Set(list as GatewayName[]);
}

// ---------------------------------------------------------------------------------------------

export async function runFederationBench(options: BenchOptions): Promise<Row[]> {
  const warmupS = options.full ? 10 : 3;
  const measureS = options.full ? 30 : 10;
  const selected = selectedGateways();
  if ((selected.has('hive') || selected.has('hive-router-runtime')) && !existsSync(HIVE_BIN)) {
    throw new Error('@graphql-hive/gateway is not installed: run `npm install` at the repository root');
  }
  const pin = !process.argv.includes('--no-pin') && canPin();
  const loadBefore = os.loadavg()[0] ?? 0;
  const previousAffinity = pin ? pinSelf('0') : undefined;
  const subgraphs = startProcess(
    ['--import', 'tsx', join(ROOT, 'bench', 'federation', 'subgraphs.ts'), '--port', '0', '--json'],
    {},
    pin ? '0' : undefined,
  );
  const subgraphOutput = tail(subgraphs);
  let supergraph: string | undefined;
  const rows: Row[] = [];
  try {
    const urls = await new Promise<SubgraphUrls>((resolve, reject) => {
      let buffered = '';
      subgraphs.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const line = buffered.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as SubgraphUrls);
      });
      subgraphs.once('exit', (code) =>
        reject(new Error(`The subgraphs exited with ${code}:\n${subgraphOutput()}`)),
      );
    });
    supergraph = writeFederationSupergraph(urls);
    for (const variant of VARIANTS.filter((v) => selected.has(v.gateway))) {
      process.stdout.write(`${chartLabel(variant)}: `);
      const row = await measure(variant, supergraph, {
        warmupS,
        measureS,
        gatewayCpu: pin ? '1' : undefined,
      });
      rows.push(row);
      process.stdout.write(
        row.failed ??
          `${row.rps?.toFixed(0)} req/s, ${row.errors} errors${row.errorSample ? ` (${row.errorSample})` : ''}\n`,
      );
      if (row.failed) process.stdout.write('\n');
    }
  } finally {
    await stopProcess(subgraphs);
    if (supergraph) rmSync(dirname(supergraph), { recursive: true, force: true });
    if (previousAffinity)
      execFileSync('taskset', ['-apc', previousAffinity, String(process.pid)], { stdio: 'ignore' });
  }

  const report = table(rows);
  const placement = pin
    ? 'Each gateway runs alone on core 1 (`taskset -c 1`); the load generator (autocannon, in the benchmark process) and the four subgraphs (one process) share core 0.'
    : 'Nothing is pinned (`--no-pin`, one core, or no `taskset`): the load generator and the subgraphs compete with the gateway for the cores.';
  const intro = [
    "The Guild's federation gateway benchmark ([graphql-hive/graphql-gateways-benchmark](https://github.com/graphql-hive/graphql-gateways-benchmark)) on this machine: its four subgraphs (accounts, inventory, products, reviews — same schema, data and `@key`/`@requires`/`@provides`, in `bench/federation/`) served by one Node process, and its deep query (`bench/federation/query.graphql`, an 87 KB response).",
    `Per gateway and mode: start it as its own process with \`NODE_ENV=production\`, check one response, warm up ${warmupS} s, then ${measureS} s at ${CONNECTIONS} connections (autocannon). Errors count non-2xx answers, socket errors, timeouts and wrong bodies: every body is checked for its exact size and for \`"errors"\`, and one in ${CHECK_EVERY} is compared field by field with the expected response (\`bench/federation/check.ts\`). Peak RSS is the gateway process's VmHWM; gateway CPU is its CPU time over the measurement (100% = one core).`,
    placement,
    'Stock is `@apollo/server` + `@apollo/gateway` with default settings (no inbound deduplication); ours is `createGateway` with the production settings of `gateway/src/index.ts` (access log, metrics, limits, APQ on); Hive Gateway runs from its CLI with `bench/federation/gateways/hive-*.config.mjs` (`--jit`, or `unifiedGraphHandler` from router-runtime; `inboundInflightRequestDeduplication` for dedup on).',
    `Versions: ${versions()}.`,
    `Load average (1 min) ${loadBefore.toFixed(1)} before the run and ${(os.loadavg()[0] ?? 0).toFixed(1)} after it: other work on the machine takes CPU from the gateway (see its CPU column), so absolute figures move between runs; compare the ratios within one run.`,
    '![Federation gateways: requests per second](bench-federation.png)',
  ].flatMap((paragraph, i) => (i === 0 ? [paragraph] : ['', paragraph]));
  const command =
    selected.size < GATEWAY_NAMES.length
      ? `${options.command} --gateways ${[...selected].join(',')}`
      : options.command;
  await publishSection(SECTION, report, { ...options, command }, intro);
  if (options.write) {
    const baseline = rows.find((row) => row.variant.gateway === 'stock')?.rps;
    await writeBarChartPng(CHART_PATH, {
      title: `Federation gateways: ${CONNECTIONS} connections, deep query (87 KB), gateway on one core`,
      subtitle: `Requests per second over ${measureS} s (higher is better), ${os.cpus()[0]?.model.trim() ?? ''}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
      unit: 'req/s',
      bars: rows.map((row) => ({
        label: chartLabel(row.variant),
        value: row.rps ?? Number.NaN,
        ...(row.rps !== undefined && baseline
          ? { note: `${(row.rps / baseline).toFixed(1)}×` }
          : { note: 'failed' }),
        highlight: row.variant.gateway === 'ours',
      })),
    });
    console.log(`docs/bench-federation.png written`);
  }
  return rows;
}

await runIfScript(import.meta.url, 'bench/federation.ts', runFederationBench);
