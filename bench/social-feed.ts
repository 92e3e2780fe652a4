/**
 * The social workload: a seeded network (scripts/seed.ts; short: 1k users / 20k posts, `--full`:
 * 10k users / 200k posts), then home-feed pages through the gateway at 50 connections, each request
 * as one of many seeded viewers: posts with their authors (displayName, avatarUrl), media, counts,
 * reaction summary, the viewer's reaction and the top two comments with their authors. Reports per
 * page size RPS, latency percentiles, errors and MongoDB commands per request per service.
 *
 *   npx tsx --conditions=development bench/social-feed.ts [--full] [--write] [--profile DIR]
 *     [--users N --posts M] [--cpu N] [--mongo-inline]
 *
 * The system under test (gateway, six subgraphs, in-process pub/sub and events: the test harness
 * of packages/testing, one Node process) and the embedded MongoDB (a process of its own;
 * `--mongo-inline` runs it inside the services' process instead, as the harness does in tests)
 * run as child processes pinned to core 1 with taskset; this process, the load generator, pins
 * itself to core 0. PostgreSQL (auth) is the
 * harness's. `--profile DIR` writes a CPU profile of the child for each page size's measurement.
 * `--cpu N` measures instead the CPU time of the system under test per request (N sequential
 * requests per page size after N warm-up requests): the figure to compare optimisations with on a
 * shared machine, where req/s and latencies depend on the other load.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Session } from 'node:inspector/promises';
import { writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MONGO_EMBEDDED_BIN, uriOfChild } from '@social/mongo-embedded';
import { writeBarChartPng } from './chart.js';
import { OPTIMISATIONS } from './social-feed-notes.js';
import {
  cpuSeconds,
  machineInfo,
  percentile,
  publishSection,
  runIfScript,
  type BenchOptions,
} from './report.js';

const SECTION = 'social-feed';
const CONNECTIONS = 50;
const PAGE_SIZES = [10, 20, 50] as const;
const VIEWERS = 1_000;
/** The key of the gateway's subgraph fetches among the counts (beside MongoDB commands per service). */
const SUBGRAPH_FETCHES = 'subgraph fetches';

export const FEED_QUERY = `query HomeFeed($first: Int) { feed(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id content createdAt visibility
    author { id displayName avatarUrl }
    media { id url thumbnailUrl }
    likesCount commentsCount sharesCount viewerReaction reactionsSummary { reaction count }
    topComments(first: 2) { id content likesCount createdAt author { id displayName avatarUrl } }
  } } } }`;

// -- Messages between the load generator and the system under test ------------------------------

interface Ready {
  type: 'ready';
  gatewayUrl: string;
  tokens: string[];
  counts: Record<string, number>;
  seedSeconds: number;
}
type ToServer =
  | { type: 'counts' }
  | { type: 'mongo-floor'; requests: number }
  | { type: 'cpu' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; path: string }
  | { type: 'stop' };
type FromServer =
  | Ready
  | { type: 'counts'; counts: Record<string, number> }
  | { type: 'cpu'; micros: number; gcMs: number }
  | { type: 'done' };

// -- System under test (child process) ----------------------------------------------------------

/** One GraphQL POST on `agent`: status and body, or undefined when the connection failed. */
function postGraphQL(
  url: URL | string,
  agent: http.Agent,
  body: string,
  token: string,
): Promise<{ status: number | undefined; text: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', () => resolve(undefined));
    request.end(body);
  });
}

/** The system under test's young-generation semi-space, in MB (V8's default on 64-bit: 16). */
const SEMI_SPACE_MB = Number(process.env.BENCH_SEMI_SPACE_MB ?? 64);
/** The embedded MongoDB process's heap limit, in MB: the `--full` data set needs several GB. */
const MONGO_HEAP_MB = 16_384;

async function serve(users: number, posts: number): Promise<void> {
  const send = (message: FromServer) => process.send?.(message);
  const { onMongoCommand } = await import('@social/kit');
  const { startSupergraph } = await import('@social/testing');
  const { seedDataset, progressBar } = await import('../scripts/seed.js');
  const commands: Record<string, number> = {};
  // Time in garbage collection pauses (every kind), to tell GC from the rest of the CPU time.
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  onMongoCommand((event) => {
    commands[event.appName] = (commands[event.appName] ?? 0) + 1;
  });
  // The gateway's fetches from subgraphs: every undici request of this process is one.
  const { subscribe } = await import('node:diagnostics_channel');
  subscribe('undici:request:create', () => {
    commands[SUBGRAPH_FETCHES] = (commands[SUBGRAPH_FETCHES] ?? 0) + 1;
  });
  const supergraph = await startSupergraph({ env: { BCRYPT_COST: '4', LOG_LEVEL: 'warn' } });
  const bar = progressBar();
  const summary = await seedDataset(
    {
      databaseUrl: supergraph.databaseUrl,
      mongoUrl: supergraph.mongoUrl,
      mongoDbPrefix: supergraph.mongoDbPrefix,
      mediaStorageDir: supergraph.mediaStorageDir,
      mediaOrigin: new URL(supergraph.subgraphUrls.media).origin,
    },
    { users, posts, bcryptCost: 4 },
    bar,
  );
  bar.end();
  // Viewers with friends (a home feed to read), spread over the population; tokens as auth issues.
  const candidates = summary.users.filter((_, i) => summary.friendsOf[i]!.length > 0);
  const step = Math.max(1, Math.floor(candidates.length / VIEWERS));
  const viewers = candidates.filter((_, i) => i % step === 0).slice(0, VIEWERS);
  const tokens = await Promise.all(
    viewers.map((user) =>
      supergraph.signToken({ sub: user.id, username: user.username, role: 'USER' }, { ttlSeconds: 4 * 3600 }),
    ),
  );
  // A real login too: the seeded password works.
  await supergraph.login(summary.users[0]!.username, summary.options.password);
  let session: Session | undefined;
  process.on('message', (message: ToServer) => {
    void (async () => {
      if (message.type === 'counts') send({ type: 'counts', counts: { ...commands } });
      else if (message.type === 'mongo-floor') {
        await mongoRoundTrips(supergraph.mongoUrl, supergraph.mongoDbPrefix, message.requests);
        send({ type: 'done' });
      } else if (message.type === 'cpu') {
        const { user, system } = process.cpuUsage();
        send({ type: 'cpu', micros: user + system, gcMs });
      } else if (message.type === 'profile-start') {
        const { Session } = await import('node:inspector/promises');
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        send({ type: 'done' });
      } else if (message.type === 'profile-stop') {
        const result = await session?.post('Profiler.stop');
        if (result) await writeFile(message.path, JSON.stringify(result.profile));
        session?.disconnect();
        send({ type: 'done' });
      } else if (message.type === 'stop') {
        await supergraph.stop();
        send({ type: 'done' });
        process.exit(0);
      }
    })();
  });
  send({
    type: 'ready',
    gatewayUrl: supergraph.gatewayUrl,
    tokens,
    counts: summary.counts,
    seedSeconds: summary.seconds,
  });
}

/**
 * `requests` sequential MongoDB commands, each the cheapest a page makes (a post by `_id`), from a
 * client without command monitoring (as in production): the floor of a command's cost, client and
 * server. The caller reads the CPU time around it.
 */
async function mongoRoundTrips(url: string, prefix: string, requests: number): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url);
  try {
    const posts = client.db(`${prefix}social_feed`).collection('posts');
    const ids = (
      await posts
        .find({}, { projection: { _id: 1 } })
        .limit(1_000)
        .toArray()
    ).map((d) => d._id);
    for (let i = 0; i < requests; i += 1) {
      if (!(await posts.findOne({ _id: ids[i % ids.length] }))) throw new Error('a seeded post is missing');
    }
  } finally {
    await client.close();
  }
}

// -- Load generator -----------------------------------------------------------------------------

interface Measurement {
  requests: number;
  errors: number;
  shortPages: number;
  seconds: number;
  latencies: number[];
}

/** Counts one answer into `result`: its latency since `since`, and whether it failed or fell short. */
function record(
  result: Measurement,
  answer: { status: number | undefined; text: string } | undefined,
  since: number,
  check: (body: string) => boolean,
): void {
  result.requests += 1;
  if (!answer) {
    result.errors += 1;
    return;
  }
  result.latencies.push(performance.now() - since);
  if (answer.status !== 200 || answer.text.includes('"errors"')) result.errors += 1;
  else if (!check(answer.text)) result.shortPages += 1;
}

/**
 * Home-feed pages over `CONNECTIONS` keep-alive connections for `ms`. Closed loop (no `rate`): each
 * connection sends the next request as soon as one returns. Open loop (`rate` requests per second):
 * requests leave on a fixed schedule, each one's latency counted from when it was due, so time
 * spent waiting for a free connection counts (no coordinated omission): what a page costs a user
 * while the system is not saturated, where the closed loop only shows the queue at saturation.
 */
async function load(
  url: URL,
  tokens: readonly string[],
  first: number,
  ms: number,
  check: (body: string) => boolean,
  rate?: number,
): Promise<Measurement> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const body = JSON.stringify({ query: FEED_QUERY, variables: { first } });
  const result: Measurement = { requests: 0, errors: 0, shortPages: 0, seconds: 0, latencies: [] };
  const started = performance.now();
  if (rate === undefined) {
    let next = 0;
    const deadline = started + ms;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          record(result, await postGraphQL(url, agent, body, tokens[next++ % tokens.length]!), sent, check);
        }
      }),
    );
  } else {
    const inFlight: Promise<void>[] = [];
    const total = Math.max(1, Math.round((rate * ms) / 1000));
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(
        postGraphQL(url, agent, body, tokens[i % tokens.length]!).then((answer) =>
          record(result, answer, due, check),
        ),
      );
    }
    await Promise.all(inFlight);
  }
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}

class Server {
  private readonly waiting: { resolve: (message: FromServer) => void; reject: (error: Error) => void }[] = [];
  /** `mongoPid`: the embedded MongoDB's own process, when it has one (its CPU time counts too). */
  constructor(
    readonly child: ChildProcess,
    private readonly mongoPid?: number,
  ) {
    child.on('message', (message: FromServer) => this.waiting.shift()?.resolve(message));
    child.once('exit', (code) => {
      for (const waiter of this.waiting.splice(0)) {
        waiter.reject(new Error(`the system under test exited (${code})`));
      }
    });
  }
  next(): Promise<FromServer> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null)
        reject(new Error(`the system under test exited (${this.child.exitCode})`));
      else this.waiting.push({ resolve, reject });
    });
  }
  async ask(message: ToServer): Promise<FromServer> {
    const reply = this.next();
    this.child.send(message);
    return reply;
  }
  async counts(): Promise<Record<string, number>> {
    const reply = await this.ask({ type: 'counts' });
    if (reply.type !== 'counts') throw new Error(`unexpected reply ${reply.type}`);
    return reply.counts;
  }
  /** CPU time used so far, in µs: the services' process and the embedded MongoDB's (0 if inline). */
  async cpu(): Promise<{ servicesMicros: number; mongoMicros: number; gcMs: number }> {
    const reply = await this.ask({ type: 'cpu' });
    if (reply.type !== 'cpu') throw new Error(`unexpected reply ${reply.type}`);
    const mongoSeconds = this.mongoPid === undefined ? 0 : cpuSeconds(this.mongoPid);
    if (mongoSeconds === undefined) throw new Error('the embedded MongoDB process is gone');
    return { servicesMicros: reply.micros, mongoMicros: mongoSeconds * 1e6, gcMs: reply.gcMs };
  }
}

/**
 * CPU time of the system under test per request, for comparing optimisations on a loaded machine:
 * `requests` sequential home-feed requests (one at a time, viewers in turn) after as many warm-up
 * requests, CPU time (user + system) of the services' process and the embedded MongoDB's divided
 * by the requests.
 */
async function cpuPerRequest(
  server: Server,
  url: URL,
  tokens: readonly string[],
  first: number,
  requests: number,
  profileDir: string | undefined,
): Promise<{
  cpuMs: number;
  /** Of `cpuMs`, the embedded MongoDB's process (0 when it runs inside the services'). */
  mongoCpuMs: number;
  gcMs: number;
  wallMs: number;
  commands: Record<string, number>;
  errors: number;
}> {
  const body = JSON.stringify({ query: FEED_QUERY, variables: { first } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let errors = 0;
  const one = async (token: string) => {
    const answer = await postGraphQL(url, agent, body, token);
    const edges = answer
      ? (JSON.parse(answer.text) as { data?: { feed?: { edges?: unknown[] } } }).data?.feed?.edges
      : undefined;
    if (!answer || answer.status !== 200 || answer.text.includes('"errors"') || edges?.length !== first)
      errors += 1;
  };
  for (let i = 0; i < requests; i += 1) await one(tokens[i % tokens.length]!);
  errors = 0;
  if (profileDir) await server.ask({ type: 'profile-start' });
  const countsBefore = await server.counts();
  const before = await server.cpu();
  const started = performance.now();
  for (let i = 0; i < requests; i += 1) await one(tokens[(i * 7) % tokens.length]!);
  const wallMs = performance.now() - started;
  const after = await server.cpu();
  const countsAfter = await server.counts();
  if (profileDir) {
    await mkdir(profileDir, { recursive: true });
    await server.ask({ type: 'profile-stop', path: join(profileDir, `social-feed-cpu-${first}.cpuprofile`) });
  }
  agent.destroy();
  const commands = Object.fromEntries(
    Object.keys(countsAfter).map((service) => [
      service,
      (countsAfter[service] ?? 0) - (countsBefore[service] ?? 0),
    ]),
  );
  const perRequestMs = (micros: number) => micros / 1000 / requests;
  return {
    cpuMs: perRequestMs(
      after.servicesMicros + after.mongoMicros - before.servicesMicros - before.mongoMicros,
    ),
    mongoCpuMs: perRequestMs(after.mongoMicros - before.mongoMicros),
    gcMs: (after.gcMs - before.gcMs) / requests,
    wallMs: wallMs / requests,
    commands,
    errors,
  };
}

/**
 * The cheapest parts a home-feed page is made of, as CPU time of the system under test (sequential
 * requests, so the figures hold on a shared machine): the gateway answering a request with no
 * subgraph fetch (`{ __typename }`), one subgraph fetch more (`{ jwks }`: auth answers from memory),
 * and one MongoDB command (a post by `_id`, client and server). A page costs at least its inbound
 * request, its fetches and its commands at these prices, whatever the code around them does.
 */
interface Floor {
  inboundMs: number;
  fetchMs: number;
  commandMs: number;
}

async function cpuPerOperation(
  server: Server,
  operations: number,
  run: () => Promise<void>,
): Promise<number> {
  const before = await server.cpu();
  await run();
  const after = await server.cpu();
  return (
    (after.servicesMicros + after.mongoMicros - before.servicesMicros - before.mongoMicros) /
    1000 /
    operations
  );
}

async function measureFloor(server: Server, url: URL, token: string, requests: number): Promise<Floor> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sequential = (query: string, expect: (data: Record<string, unknown>) => boolean) => async () => {
    const body = JSON.stringify({ query });
    for (let i = 0; i < requests; i += 1) {
      const answer = await postGraphQL(url, agent, body, token);
      const data =
        answer?.status === 200
          ? (JSON.parse(answer.text) as { data?: Record<string, unknown> }).data
          : undefined;
      if (!data || !expect(data)) throw new Error(`${query} failed: ${answer?.text}`);
    }
  };
  const typename = sequential('{ __typename }', (data) => data.__typename === 'Query');
  const jwks = sequential('{ jwks }', (data) => Array.isArray((data.jwks as { keys?: unknown })?.keys));
  await typename();
  await jwks();
  // Three rounds in alternation, medians: other work on the machine moves single figures.
  const rounds: Floor[] = [];
  const commands = requests * 4;
  for (let round = 0; round < 3; round += 1) {
    const inboundMs = await cpuPerOperation(server, requests, typename);
    const withFetchMs = await cpuPerOperation(server, requests, jwks);
    const commandMs = await cpuPerOperation(server, commands, async () => {
      await server.ask({ type: 'mongo-floor', requests: commands });
    });
    rounds.push({ inboundMs, fetchMs: withFetchMs - inboundMs, commandMs });
  }
  agent.destroy();
  const median = (key: keyof Floor) => rounds.map((round) => round[key]).sort((a, b) => a - b)[1]!;
  return { inboundMs: median('inboundMs'), fetchMs: median('fetchMs'), commandMs: median('commandMs') };
}

/** MongoDB commands of the page's services and the gateway's subgraph fetches, per request. */
function perPage(commands: Record<string, number>, requests: number): { commands: number; fetches: number } {
  const of = (key: string) => (commands[key] ?? 0) / Math.max(1, requests);
  return { commands: of('feed') + of('profile') + of('media'), fetches: of(SUBGRAPH_FETCHES) };
}

interface Row {
  first: number;
  measurement: Measurement;
  commands: Record<string, number>;
}

function table(rows: readonly Row[]): string {
  const f1 = (n: number) => n.toFixed(1);
  const lines = [
    '| page size | requests | RPS | p50 ms | p95 ms | p99 ms | max ms | errors | feed / profile / media MongoDB commands per request |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { first, measurement: m, commands } of rows) {
    const sorted = [...m.latencies].sort((a, b) => a - b);
    const per = (service: string) => ((commands[service] ?? 0) / Math.max(1, m.requests)).toFixed(2);
    lines.push(
      `| ${first} | ${m.requests} | ${Math.round(m.requests / m.seconds)} | ${f1(percentile(sorted, 50))} | ${f1(percentile(sorted, 95))} | ${f1(percentile(sorted, 99))} | ${f1(sorted.at(-1) ?? Number.NaN)} | ${m.errors + m.shortPages} | ${per('feed')} / ${per('profile')} / ${per('media')} |`,
    );
  }
  return lines.join('\n');
}

/** Whether a response body holds a page of `first` posts. */
const fullPage = (first: number) => (text: string) => {
  const edges = (JSON.parse(text) as { data?: { feed?: { edges?: unknown[] } } }).data?.feed?.edges;
  return Array.isArray(edges) && edges.length === first;
};

function floorLine(floor: Floor): string {
  return (
    `floor: an inbound request ${floor.inboundMs.toFixed(3)} CPU ms, a subgraph fetch ${floor.fetchMs.toFixed(3)} ms more, ` +
    `a MongoDB command ${floor.commandMs.toFixed(3)} ms`
  );
}

/**
 * What the page's parts cost at their cheapest (`Floor`), against what p95 < 50 ms at
 * `CONNECTIONS` connections needs: a closed loop's latency is connections / throughput, so at
 * least 1,000 pages a second on the system under test's one core, 1 ms of CPU per page.
 */
function floorTable(floor: Floor, rows: readonly Row[]): string {
  const f = (n: number, digits = 2) => n.toFixed(digits);
  const budgetMs = 50 / CONNECTIONS;
  const lines = [
    `The floor: on the system under test's core, the gateway answers \`{ __typename }\` for ${f(floor.inboundMs)} ms of CPU, a query with one subgraph fetch (\`{ jwks }\`, answered from memory) costs ${f(floor.fetchMs)} ms more, and one MongoDB command (a post by \`_id\`, driver without command monitoring, client and server) ${f(floor.commandMs)} ms. A page costs at least its request, its fetches and its commands at those prices. p95 under 50 ms at ${CONNECTIONS} connections needs at least ${Math.round(CONNECTIONS / 0.05).toLocaleString('en-US')} pages a second (a closed loop's latency is connections / throughput), ${f(budgetMs)} ms of CPU per page:`,
    '',
    '| page size | subgraph fetches / MongoDB commands per page | floor, CPU ms per page | at most pages/s on one core | closed-loop latency at ' +
      `${CONNECTIONS} connections, at least (ms) |`,
    '| ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { first, measurement, commands } of rows) {
    const page = perPage(commands, measurement.requests);
    const ms = floor.inboundMs + page.fetches * floor.fetchMs + page.commands * floor.commandMs;
    lines.push(
      `| ${first} | ${f(page.fetches)} / ${f(page.commands)} | ${f(ms)} | ${Math.round(1000 / ms).toLocaleString('en-US')} | ${Math.round(CONNECTIONS * ms)} |`,
    );
  }
  return lines.join('\n');
}

function pin(pid: number, core: number): boolean {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function runSocialFeedBench(
  options: BenchOptions & {
    profileDir?: string;
    users?: number;
    posts?: number;
    cpuRequests?: number;
    /** Where the embedded MongoDB runs: a process of its own (default) or inside the services'. */
    mongo?: 'process' | 'inline';
  },
): Promise<Row[]> {
  const users = options.users ?? (options.full ? 10_000 : 1_000);
  const posts = options.posts ?? (options.full ? 200_000 : 20_000);
  const warmMs = options.full ? 5_000 : 2_000;
  const measureMs = options.full ? 30_000 : 8_000;
  const script = fileURLToPath(import.meta.url);
  const nodeArgs = [
    '--conditions=development',
    '--import',
    'tsx',
    '--max-old-space-size=8192',
    // The young generation's semi-space at 64 MB instead of V8's 16: fewer short-lived objects
    // promoted into an old generation that holds the whole embedded data set, so fewer full
    // collections of it: CPU per request -23% to -40%, GC pauses 3x shorter (docs/BENCHMARKS.md).
    `--max-semi-space-size=${SEMI_SPACE_MB}`,
    script,
    '--serve',
    String(users),
    String(posts),
  ];
  const pinned = os.cpus().length >= 2;
  const onCore1 = (args: readonly string[]) =>
    pinned
      ? (['taskset', ['-c', '1', process.execPath, ...args]] as const)
      : ([process.execPath, args] as const);
  const mongo = options.mongo === 'inline' ? undefined : await startMongoProcess(onCore1);
  const [command, args] = onCore1(nodeArgs);
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...(mongo ? { MONGO_URL: mongo.url } : {}) },
  });
  const server = new Server(child, mongo?.process.pid);
  const loadPinned = pinned && pin(process.pid, 0);
  try {
    const ready = await server.next();
    if (ready.type !== 'ready') throw new Error('the system under test did not start');
    console.log(
      `seeded in ${ready.seedSeconds.toFixed(1)} s: ${JSON.stringify(ready.counts)}; ${ready.tokens.length} viewers`,
    );
    const url = new URL(ready.gatewayUrl);
    const rows: Row[] = [];
    if (options.cpuRequests) {
      // `--cpu N`: CPU time per request of the system under test, sequential requests; no load.
      for (const first of PAGE_SIZES) {
        const r = await cpuPerRequest(
          server,
          url,
          ready.tokens,
          first,
          options.cpuRequests,
          options.profileDir,
        );
        const per = (service: string) => ((r.commands[service] ?? 0) / options.cpuRequests!).toFixed(2);
        const page = perPage(r.commands, options.cpuRequests);
        console.log(
          `page ${first}: ${page.fetches.toFixed(2)} subgraph fetches/request; ${r.cpuMs.toFixed(2)} CPU ms/request (${options.mongo === 'inline' ? 'MongoDB inline' : `MongoDB process ${r.mongoCpuMs.toFixed(2)} ms`}; ` +
            `services' GC pauses ${r.gcMs.toFixed(2)} ms), ${r.wallMs.toFixed(2)} wall ms/request, ` +
            `${r.errors} errors; feed / profile / media MongoDB commands per request ${per('feed')} / ${per('profile')} / ${per('media')}`,
        );
      }
      const floor = await measureFloor(server, url, ready.tokens[0]!, options.cpuRequests * 5);
      console.log(floorLine(floor));
      return rows;
    }
    for (const first of PAGE_SIZES) {
      const full = fullPage(first);
      await load(url, ready.tokens, first, warmMs, () => true);
      if (options.profileDir) await server.ask({ type: 'profile-start' });
      const before = await server.counts();
      const measurement = await load(url, ready.tokens, first, measureMs, full);
      const after = await server.counts();
      if (options.profileDir) {
        await mkdir(options.profileDir, { recursive: true });
        await server.ask({
          type: 'profile-stop',
          path: join(options.profileDir, `social-feed-${first}.cpuprofile`),
        });
      }
      const commands = Object.fromEntries(
        Object.keys(after).map((service) => [service, (after[service] ?? 0) - (before[service] ?? 0)]),
      );
      rows.push({ first, measurement, commands });
      console.log(table(rows.slice(-1)).split('\n').at(-1));
    }
    // The same loads at half the closed loop's rate, open loop: latency below saturation.
    const pacedRows: Row[] = [];
    for (const { first, measurement } of rows) {
      const rate = Math.max(1, Math.round(measurement.requests / measurement.seconds / 2));
      const before = await server.counts();
      const m = await load(url, ready.tokens, first, measureMs, fullPage(first), rate);
      const after = await server.counts();
      const commands = Object.fromEntries(
        Object.keys(after).map((service) => [service, (after[service] ?? 0) - (before[service] ?? 0)]),
      );
      pacedRows.push({ first, measurement: m, commands });
      console.log(`paced at ${rate} req/s: ${table(pacedRows.slice(-1)).split('\n').at(-1)}`);
    }
    const floor = await measureFloor(server, url, ready.tokens[0]!, options.full ? 2_000 : 500);
    console.log(floorLine(floor));
    let report = [
      table(rows),
      '',
      `The same page sizes at a fixed rate, half of the closed loop's (open loop over ${CONNECTIONS} connections; latency from when each request was due):`,
      '',
      table(pacedRows),
      '',
      floorTable(floor, rows),
    ].join('\n');
    if (options.write) {
      const bars = rows.flatMap(({ first, measurement }) => {
        const sorted = [...measurement.latencies].sort((a, b) => a - b);
        const rps = Math.round(measurement.requests / measurement.seconds);
        return ([50, 95, 99] as const).map((p) => ({
          label: `${first} posts per page, p${p}`,
          value: percentile(sorted, p),
          ...(p === 50 ? { note: `${rps} RPS` } : {}),
          highlight: p === 95,
        }));
      });
      await writeBarChartPng(fileURLToPath(new URL('../docs/bench-social-feed.png', import.meta.url)), {
        title: `Home feed through the gateway, ${CONNECTIONS} connections: latency`,
        subtitle: `${users.toLocaleString('en-US')} users, ${posts.toLocaleString('en-US')} posts. ${machineInfo()}`,
        unit: 'ms',
        bars,
      });
      report += '\n\n![Home-feed latency per page size](bench-social-feed.png)';
    }
    await publishSection(SECTION, report, options, [
      `Home-feed pages through the gateway at ${CONNECTIONS} connections (keep-alive HTTP/1.1, each request`,
      `signed in as one of ${ready.tokens.length.toLocaleString('en-US')} seeded viewers in turn) over a data set from`,
      `\`npm run seed\`: ${Object.entries(ready.counts)
        .map(([name, count]) => `${count.toLocaleString('en-US')} ${name}`)
        .join(', ')}. Each page: posts with`,
      'author (`displayName`, `avatarUrl`), media (`url`, `thumbnailUrl`), counts, `reactionsSummary`, the',
      "viewer's reaction and `topComments(first: 2)` with their authors. " +
        `${(warmMs / 1000).toFixed(0)} s warm-up, then ${(measureMs / 1000).toFixed(0)} s per row.`,
      `Errors: non-200 responses, responses with \`errors\`, and pages shorter than asked. MongoDB commands`,
      'are counted with driver command monitoring (kit `onMongoCommand`, per service `appName`) over the',
      'row, background pollers included.',
      `The system under test (gateway and the six subgraphs in one Node process, ${
        options.mongo === 'inline' ? 'the embedded MongoDB inside it)' : 'the embedded MongoDB in a second)'
      }` +
        (pinned ? ' is pinned to core 1 with `taskset`' : ' is not pinned (one core)') +
        `; the load generator${loadPinned ? ' to core 0' : ''}. Load average when the rows ran: ${os
          .loadavg()
          .map((n) => n.toFixed(1))
          .join(
            ' / ',
          )} (1 / 5 / 15 min; other work shared the machine, so absolute figures are pessimistic).`,
      '',
      ...OPTIMISATIONS,
    ]);
    return rows;
  } finally {
    if (child.exitCode === null) {
      await server.ask({ type: 'stop' }).catch(() => undefined);
    }
    await mongo?.stop();
  }
}

/**
 * The embedded MongoDB as a process of its own, beside the services on their core: its data set
 * (every document and index, in V8's heap) then neither shares the services' heap limit nor makes
 * their garbage collections walk it. The `--full` data set needs a larger heap than the services.
 */
async function startMongoProcess(
  onCore1: (args: readonly string[]) => readonly [string, readonly string[]],
): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const [command, args] = onCore1([
    `--max-old-space-size=${MONGO_HEAP_MB}`,
    `--max-semi-space-size=${SEMI_SPACE_MB}`,
    MONGO_EMBEDDED_BIN,
    '--port',
    '0',
    '--quiet',
  ]);
  const mongo = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => mongo.once('exit', () => resolve()));
  const stop = async () => {
    if (mongo.exitCode !== null || mongo.signalCode !== null) return;
    mongo.kill('SIGTERM');
    await exited;
  };
  try {
    return { url: await uriOfChild(mongo), process: mongo, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[2] === '--serve') {
  await serve(Number(process.argv[3]), Number(process.argv[4]));
} else {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const profileDir = flag('--profile');
  const users = flag('--users');
  const posts = flag('--posts');
  const cpu = flag('--cpu');
  const sizes = [
    ...(users ? ['--users', users] : []),
    ...(posts ? ['--posts', posts] : []),
    ...(process.argv.includes('--mongo-inline') ? ['--mongo-inline'] : []),
  ];
  await runIfScript(import.meta.url, 'bench/social-feed.ts', (options) =>
    runSocialFeedBench({
      ...options,
      command: [options.command, ...sizes].join(' '),
      ...(profileDir ? { profileDir } : {}),
      ...(users ? { users: Number(users) } : {}),
      ...(posts ? { posts: Number(posts) } : {}),
      ...(cpu ? { cpuRequests: Number(cpu) } : {}),
      mongo: process.argv.includes('--mongo-inline') ? 'inline' : 'process',
    }),
  );
}
