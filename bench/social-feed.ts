/**
 * The social workload: a seeded network (scripts/seed.ts; short: 1k users / 20k posts, `--full`:
 * 10k users / 200k posts), then home-feed pages through the gateway at 50 connections, each request
 * as one of many seeded viewers: posts with their authors (displayName, avatarUrl), media, counts,
 * reaction summary, the viewer's reaction and the top two comments with their authors. Reports per
 * page size RPS, latency percentiles, errors and MongoDB commands per request per service.
 *
 *   npx tsx --conditions=development bench/social-feed.ts [--full] [--write] [--profile DIR]
 *     [--users N --posts M]
 *
 * The system under test (gateway, six subgraphs, embedded MongoDB, in-process pub/sub and events:
 * the test harness of packages/testing, one Node process) runs as a child process pinned to core 1
 * with taskset; this process, the load generator, pins itself to core 0. PostgreSQL (auth) is the
 * harness's. `--profile DIR` writes a CPU profile of the child for each page size's measurement.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Session } from 'node:inspector/promises';
import { writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBarChartPng } from './chart.js';
import { machineInfo, percentile, publishSection, runIfScript, type BenchOptions } from './report.js';

const SECTION = 'social-feed';
const CONNECTIONS = 50;
const PAGE_SIZES = [10, 20, 50] as const;
const VIEWERS = 1_000;

export const FEED_QUERY = `query HomeFeed($first: Int) { feed(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id content createdAt visibility
    author { id displayName avatarUrl }
    media { id url thumbnailUrl }
    likesCount commentsCount sharesCount viewerReaction reactionsSummary { reaction count }
    topComments(first: 2) { id content likesCount createdAt author { id displayName avatarUrl } }
  } } } }`;

/**
 * What profiling this workload changed (CPU profiles of the system under test: `--profile DIR`),
 * with the gain measured on the same machine: sequential home-feed requests (one at a time, 40
 * viewers, 300 users / 1,500 posts), mean ms per request for 10 / 20 / 50 posts per page.
 */
const OPTIMISATIONS = [
  'Optimisations found by profiling this workload (`--profile DIR` writes CPU profiles of the system',
  'under test), each measured with sequential requests (one at a time, 300 users / 1,500 posts, same',
  'machine and load), mean ms per request for 10 / 20 / 50 posts per page:',
  '',
  '| step | 10 | 20 | 50 | CPU profile |',
  '| --- | ---: | ---: | ---: | --- |',
  "| before | 545 | 1,006 | 1,979 | 32% in mingo's `$lookup`: profile's `User` entity aggregate joins `blocks` and `friendships`, and the embedded server copied and scanned the whole foreign collection for every profile of the page |",
  "| mongo-embedded: equality `$lookup` (`localField`/`foreignField`, with or without `pipeline`) looks the foreign documents up through the foreign collection's indexes | 329 | 305 | 692 | top: the social replica's `audience` and `relations` queries (`{ active: true, $or: [...] }`) scanned every `social_edges` document |",
  "| mongo-embedded: a top-level `$or` beside other conditions is planned branch by branch on indexes (MongoDB's contained-`$or` planning) when that yields fewer candidates | 155 | 133 | 309 | flat: GraphQL execution, BSON, HTTP; no single hot spot |",
];

// -- Messages between the load generator and the system under test ------------------------------

interface Ready {
  type: 'ready';
  gatewayUrl: string;
  tokens: string[];
  counts: Record<string, number>;
  seedSeconds: number;
}
type ToServer =
  { type: 'counts' } | { type: 'profile-start' } | { type: 'profile-stop'; path: string } | { type: 'stop' };
type FromServer = Ready | { type: 'counts'; counts: Record<string, number> } | { type: 'done' };

// -- System under test (child process) ----------------------------------------------------------

async function serve(users: number, posts: number): Promise<void> {
  const send = (message: FromServer) => process.send?.(message);
  const { onMongoCommand } = await import('@social/kit');
  const { startSupergraph } = await import('@social/testing');
  const { seedDataset, progressBar } = await import('../scripts/seed.js');
  const commands: Record<string, number> = {};
  onMongoCommand((event) => {
    commands[event.appName] = (commands[event.appName] ?? 0) + 1;
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
      else if (message.type === 'profile-start') {
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

// -- Load generator -----------------------------------------------------------------------------

interface Measurement {
  requests: number;
  errors: number;
  shortPages: number;
  seconds: number;
  latencies: number[];
}

/** `CONNECTIONS` keep-alive connections, each sending the next request as soon as one returns. */
async function load(
  url: URL,
  tokens: readonly string[],
  first: number,
  ms: number,
  check: (body: string) => boolean,
): Promise<Measurement> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const body = JSON.stringify({ query: FEED_QUERY, variables: { first } });
  const result: Measurement = { requests: 0, errors: 0, shortPages: 0, seconds: 0, latencies: [] };
  let next = 0;
  const started = performance.now();
  const deadline = started + ms;
  const one = (token: string) =>
    new Promise<void>((resolve) => {
      const sent = performance.now();
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
          response.on('end', () => {
            result.latencies.push(performance.now() - sent);
            result.requests += 1;
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200 || text.includes('"errors"')) result.errors += 1;
            else if (!check(text)) result.shortPages += 1;
            resolve();
          });
        },
      );
      request.on('error', () => {
        result.requests += 1;
        result.errors += 1;
        resolve();
      });
      request.end(body);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) await one(tokens[next++ % tokens.length]!);
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}

class Server {
  private readonly waiting: ((message: FromServer) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromServer) => this.waiting.shift()?.(message));
  }
  next(): Promise<FromServer> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.child.once('exit', (code) => reject(new Error(`the system under test exited (${code})`)));
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
  options: BenchOptions & { profileDir?: string; users?: number; posts?: number },
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
    script,
    '--serve',
    String(users),
    String(posts),
  ];
  const pinned = os.cpus().length >= 2;
  const child = spawn(
    pinned ? 'taskset' : process.execPath,
    pinned ? ['-c', '1', process.execPath, ...nodeArgs] : nodeArgs,
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const server = new Server(child);
  const loadPinned = pinned && pin(process.pid, 0);
  try {
    const ready = await server.next();
    if (ready.type !== 'ready') throw new Error('the system under test did not start');
    console.log(
      `seeded in ${ready.seedSeconds.toFixed(1)} s: ${JSON.stringify(ready.counts)}; ${ready.tokens.length} viewers`,
    );
    const url = new URL(ready.gatewayUrl);
    const rows: Row[] = [];
    for (const first of PAGE_SIZES) {
      const full = (text: string) => {
        const edges = (JSON.parse(text) as { data?: { feed?: { edges?: unknown[] } } }).data?.feed?.edges;
        return Array.isArray(edges) && edges.length === first;
      };
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
    let report = table(rows);
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
      `The system under test (gateway, the six subgraphs and the embedded MongoDB in one Node process)` +
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
  const sizes = [...(users ? ['--users', users] : []), ...(posts ? ['--posts', posts] : [])];
  await runIfScript(import.meta.url, 'bench/social-feed.ts', (options) =>
    runSocialFeedBench({
      ...options,
      command: [options.command, ...sizes].join(' '),
      ...(profileDir ? { profileDir } : {}),
      ...(users ? { users: Number(users) } : {}),
      ...(posts ? { posts: Number(posts) } : {}),
    }),
  );
}
