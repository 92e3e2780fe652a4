/**
 * Broadcast through the gateway's federated subscriptions (issue 12, workload 3): 1,000 and 5,000
 * graphql-ws clients, each subscribed to `conversationEvents` of one group, on a gateway running in
 * its own process. Per size and selection (chat fields only; with the sender's profile fields):
 *
 * - one message at a time: latency of every (message, subscriber) pair from the `sendMessage`
 *   request to the event's arrival, and when the last subscriber got it;
 * - sustained: messages sent at a fixed rate for a while (not waiting for delivery); delivered
 *   events/s, the latency percentiles, and whether the latency stays bounded (p99 of the last third
 *   of the messages against the first third);
 * - memory per connection: the gateway's RSS and V8 heap growth (its /metrics) over the clients'
 *   connections and subscriptions, divided by their number.
 *
 *   npx tsx --conditions=development bench/gateway-subscriptions.ts [--full] [--write] [--cpu-prof]
 *
 * The gateway is started as `node gateway/src/index.ts`, pinned with `taskset -c 1`; this process
 * (clients, the six subgraphs, embedded MongoDB) is pinned to core 0. `--cpu-prof` writes the
 * gateway's V8 CPU profile to .data/bench-profiles/ (open it in Chrome DevTools or speedscope).
 */
import type { TestAccount } from '@social/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { repoRoot, subgraphs } from '../scripts/subgraphs.js';
import { startChatTestbed, type ChatTestbed } from '../subgraphs/chat/test/helpers.js';
import { chatClient } from '../subgraphs/chat/test/operations.js';
import { writeBarChartPng } from './chart.js';
import { percentile, publishSection, runIfScript, type BenchOptions } from './report.js';
import { freePort } from '@social/stack';

const SECTION = 'gateway-subscriptions';
const CHART_PATH = join(repoRoot, 'docs', 'bench-gateway-subscriptions.png');
/** The issue's target: p99 broadcast latency under 200 ms with 5,000 subscribers. */
const TARGET_P99_MS = 200;
const DEVICES_PER_MEMBER = 20;
const WARMUP = 2;

const SELECTIONS = [
  { label: 'chat fields', selection: 'message { content }' },
  { label: 'with sender profile', selection: 'message { content sender { displayName avatarUrl } }' },
] as const;

interface Plan {
  readonly subscribers: number;
  /** Messages sent one at a time, after the warm-up. */
  readonly sequential: number;
  /** Messages per second and seconds of the sustained run. */
  readonly rate: number;
  readonly seconds: number;
}

const plans = (full: boolean): Plan[] =>
  full
    ? [
        { subscribers: 1000, sequential: 30, rate: 5, seconds: 20 },
        { subscribers: 5000, sequential: 20, rate: 2, seconds: 20 },
      ]
    : [
        { subscribers: 1000, sequential: 10, rate: 5, seconds: 6 },
        { subscribers: 5000, sequential: 5, rate: 2, seconds: 6 },
      ];

interface Row {
  subscribers: number;
  label: string;
  mode: string;
  messages: number;
  latencies: number[];
  lastArrivals: number[];
  deliveriesPerSecond: number;
  /** p99 of the first and last third of the messages (sustained runs). */
  drift?: { first: number; last: number };
  /** The gateway process's CPU time (user + system, /proc) over the row's messages, ms. */
  gatewayCpuMs?: number;
}

interface Memory {
  subscribers: number;
  rssPerConnection: number;
  heapPerConnection: number;
}

const f = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');

function table(rows: readonly Row[]): string {
  const lines = [
    '| subscribers | selection | mode | messages | deliveries | p50 ms | p99 ms | max ms | last subscriber p50 ms | delivered events/s | p99 first → last third | gateway CPU µs / delivery |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const row of rows) {
    const sorted = [...row.latencies].sort((a, b) => a - b);
    const last = [...row.lastArrivals].sort((a, b) => a - b);
    const drift = row.drift ? `${f(row.drift.first)} → ${f(row.drift.last)}` : '';
    lines.push(
      `| ${row.subscribers.toLocaleString('en')} | ${row.label} | ${row.mode} | ${row.messages} | ${sorted.length} | ${f(percentile(sorted, 50))} | ${f(percentile(sorted, 99))} | ${f(sorted.at(-1) ?? Number.NaN)} | ${f(percentile(last, 50))} | ${f(row.deliveriesPerSecond)} | ${drift} | ${row.gatewayCpuMs === undefined ? '-' : ((row.gatewayCpuMs * 1000) / Math.max(1, sorted.length)).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

function memoryTable(memory: readonly Memory[]): string {
  const lines = [
    '| subscribers | gateway RSS per connection, KiB | gateway V8 heap per connection, KiB |',
    '| ---: | ---: | ---: |',
  ];
  for (const m of memory) {
    lines.push(
      `| ${m.subscribers.toLocaleString('en')} | ${(m.rssPerConnection / 1024).toFixed(1)} | ${(m.heapPerConnection / 1024).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

const hasTaskset = () => spawnSync('taskset', ['--version']).status === 0;

/** Pins this process (all its threads) to `cpus`, when taskset exists and the machine has 2+ cores. */
function pinSelf(cpus: string): boolean {
  if (os.cpus().length < 2 || !hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)]).status === 0;
}

interface GatewayProcess {
  readonly url: string;
  readonly pinned: boolean;
  /** CPU time (user + system) the gateway process has used, ms (NaN off Linux). */
  cpuMs(): number;
  /** Its /metrics sample of `name` (first series), or NaN. */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

/** The gateway as its own process, pinned to core 1, over the testbed's subgraphs. */
async function startGatewayProcess(bed: ChatTestbed, cpuProfile: boolean): Promise<GatewayProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // `SUBSCRIPTIONS_EVENT_EXECUTOR=apollo` measures events resolved by @apollo/gateway's executor.
    ...(process.env.SUBSCRIPTIONS_EVENT_EXECUTOR
      ? { SUBSCRIPTIONS_EVENT_EXECUTOR: process.env.SUBSCRIPTIONS_EVENT_EXECUTOR }
      : {}),
  };
  for (const key of ['JWT_PUBLIC_KEY', 'JWT_ISSUER', 'JWT_AUDIENCE']) {
    const value = bed.supergraph.stack.resources.env[key];
    if (value) env[key] = value;
  }
  for (const { name } of subgraphs) {
    env[`${name.toUpperCase()}_URL`] = bed.supergraph.subgraphUrls[name];
  }
  const profileDir = join(repoRoot, '.data', 'bench-profiles');
  if (cpuProfile) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = [
    '--conditions=development',
    '--import',
    'tsx',
    ...(cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    join(repoRoot, 'gateway/src/index.ts'),
  ];
  const pinned = os.cpus().length >= 2 && hasTaskset();
  const child: ChildProcess = pinned
    ? spawn('taskset', ['-c', '1', process.execPath, ...nodeArgs], { cwd: repoRoot, env, stdio: 'inherit' })
    : spawn(process.execPath, nodeArgs, { cwd: repoRoot, env, stdio: 'inherit' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  let lastAnswer = 'no answer';
  for (;;) {
    try {
      const response = await fetch(`${url}/ready`);
      if (response.ok) break;
      lastAnswer = `${response.status} ${await response.text()}`;
    } catch (error) {
      lastAnswer = String(error); // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the gateway did not become ready: ${lastAnswer}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url: `${url}/graphql`,
    pinned,
    cpuMs() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
      } catch {
        return Number.NaN;
      }
    },
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
    },
    async stop() {
      // SIGINT: the gateway drains and exits normally, which is when V8 writes the CPU profile.
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** The clients of one size: `subscribers` graphql-ws connections, `DEVICES_PER_MEMBER` per member. */
class Subscribers {
  private readonly clients: Client[] = [];
  private disposers: Array<() => void> = [];
  private readonly sentAt = new Map<string, number>();
  private readonly arrivals = new Map<string, number[]>();
  private readonly complete = new Map<string, () => void>();
  failures = 0;

  constructor(
    private readonly url: string,
    private readonly members: readonly TestAccount[],
  ) {}

  /** Opens the connections a batch at a time (a storm of handshakes would measure the handshake). */
  async connect(batch = 100): Promise<void> {
    const tokens = this.members.flatMap((member) =>
      Array.from({ length: DEVICES_PER_MEMBER }, () => member.token),
    );
    for (let from = 0; from < tokens.length; from += batch) {
      await Promise.all(
        tokens.slice(from, from + batch).map(
          (token) =>
            new Promise<void>((resolve, reject) => {
              this.clients.push(
                createClient({
                  url: this.url.replace(/^http/, 'ws'),
                  webSocketImpl: WebSocket,
                  connectionParams: { authorization: `Bearer ${token}` },
                  retryAttempts: 0,
                  lazy: false,
                  onNonLazyError: (error) => {
                    this.failures += 1;
                    reject(new Error(`a client could not connect: ${JSON.stringify(error)}`));
                  },
                  on: { connected: () => resolve() },
                }),
              );
            }),
        ),
      );
    }
  }

  get count(): number {
    return this.clients.length;
  }

  subscribe(groupId: string, selection: string): void {
    const query = `subscription ($id: ID!) { conversationEvents(conversationId: $id) {
      ... on MessageAddedEvent { ${selection} } } }`;
    this.disposers = this.clients.map((client) =>
      client.subscribe<{ conversationEvents: { message?: { content: string } } }>(
        { query, variables: { id: groupId } },
        {
          next: (value) => {
            const content = value.data?.conversationEvents.message?.content;
            const sent = content === undefined ? undefined : this.sentAt.get(content);
            if (content === undefined || sent === undefined) return;
            const list = this.arrivals.get(content) ?? [];
            list.push(performance.now() - sent);
            this.arrivals.set(content, list);
            if (list.length === this.clients.length) this.complete.get(content)?.();
          },
          error: () => (this.failures += 1),
          complete: () => undefined,
        },
      ),
    );
  }

  unsubscribe(): void {
    for (const dispose of this.disposers) dispose();
    this.disposers = [];
  }

  /** Marks `content` as sent now; resolves with its latencies once every subscriber got it. */
  expect(content: string, timeoutMs: number): Promise<number[]> {
    this.sentAt.set(content, performance.now());
    return new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `"${content}" reached ${this.arrivals.get(content)?.length ?? 0} of ${this.clients.length} subscribers`,
            ),
          ),
        timeoutMs,
      );
      this.complete.set(content, () => {
        clearTimeout(timer);
        resolve(this.arrivals.get(content) ?? []);
      });
    });
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.clients.map((client) => client.dispose()));
  }
}

export async function runGatewaySubscriptionsBench(options: BenchOptions): Promise<string> {
  const cpuProfile = process.argv.includes('--cpu-prof');
  // `--subscribers=1000` runs one size only.
  const only = process.argv.find((arg) => arg.startsWith('--subscribers='))?.split('=')[1];
  const sizes = plans(options.full).filter((plan) => !only || plan.subscribers === Number(only));
  const largest = Math.max(...sizes.map((plan) => plan.subscribers));
  const bed = await startChatTestbed({ env: { CHAT_SEND_RATE_POINTS: '1000000' } });
  const rows: Row[] = [];
  const memory: Memory[] = [];
  let gateway: GatewayProcess | undefined;
  let selfPinned = false;
  try {
    gateway = await startGatewayProcess(bed, cpuProfile);
    const sender = await bed.member();
    await bed.run(
      'mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { displayName } }',
      { input: { displayName: 'Announcer' } },
      sender,
    );
    // A few at a time, retried: registration runs bcrypt and a Prisma transaction per account.
    const member = async (): Promise<TestAccount> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await bed.member();
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
    };
    const members: TestAccount[] = [];
    while (members.length < largest / DEVICES_PER_MEMBER) {
      members.push(...(await Promise.all(Array.from({ length: 4 }, member))));
    }
    console.log(`${members.length} members ready`);
    selfPinned = pinSelf('0');
    const send = async (groupId: string, content: string) => {
      const response = await fetch(gateway!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sender.token}` },
        body: JSON.stringify({
          query: 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
          variables: { input: { conversationId: groupId, clientMessageId: randomUUID(), content } },
        }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`sendMessage failed: ${JSON.stringify(body.errors)}`);
    };

    for (const plan of sizes) {
      const groupMembers = members.slice(0, plan.subscribers / DEVICES_PER_MEMBER);
      const group = await chatClient(bed).group(sender, groupMembers, `Broadcast ${plan.subscribers}`);
      const channel = `chat:conversation:${group.id}`;
      const rssBefore = await gateway.metric('gateway_process_resident_memory_bytes');
      const heapBefore = await gateway.metric('gateway_nodejs_heap_size_used_bytes');
      const activeBefore = await gateway.metric('gateway_subscriptions_active');
      const clients = new Subscribers(gateway.url, groupMembers);
      try {
        const connecting = performance.now();
        await clients.connect();
        console.log(
          `${plan.subscribers} connected in ${((performance.now() - connecting) / 1000).toFixed(1)} s`,
        );
        for (const [index, { label, selection }] of SELECTIONS.entries()) {
          const subscribing = performance.now();
          clients.subscribe(group.id, selection);
          await bed.eventually(
            async () => ({
              active: (await gateway!.metric('gateway_subscriptions_active')) - activeBefore,
              listeners: bed.supergraph.stack.resources.pubsub.listenerCount(channel),
            }),
            ({ active, listeners }) => {
              if (clients.failures > 0) throw new Error(`${clients.failures} subscriber(s) failed`);
              return active === clients.count && listeners >= groupMembers.length;
            },
            300_000,
          );
          console.log(
            `${plan.subscribers} × ${label}: subscribed in ${((performance.now() - subscribing) / 1000).toFixed(1)} s`,
          );
          if (index === 0) {
            memory.push({
              subscribers: clients.count,
              rssPerConnection:
                ((await gateway.metric('gateway_process_resident_memory_bytes')) - rssBefore) / clients.count,
              heapPerConnection:
                ((await gateway.metric('gateway_nodejs_heap_size_used_bytes')) - heapBefore) / clients.count,
            });
          }
          const base = { subscribers: plan.subscribers, label };

          // One message at a time.
          const sequential: Row = {
            ...base,
            mode: 'one at a time',
            messages: plan.sequential,
            latencies: [],
            lastArrivals: [],
            deliveriesPerSecond: 0,
          };
          let deliveringMs = 0;
          let cpuStart = Number.NaN;
          for (let i = 0; i < WARMUP + plan.sequential; i += 1) {
            if (i === WARMUP) cpuStart = gateway.cpuMs();
            const content = `${label} ${plan.subscribers} ${i} ${randomUUID()}`;
            const delivered = clients.expect(content, 120_000);
            await send(group.id, content);
            const latencies = await delivered;
            if (clients.failures > 0) throw new Error(`${clients.failures} subscriber(s) failed`);
            if (i < WARMUP) continue;
            sequential.latencies.push(...latencies);
            const last = Math.max(...latencies);
            sequential.lastArrivals.push(last);
            deliveringMs += last;
          }
          sequential.deliveriesPerSecond = (clients.count * plan.sequential) / (deliveringMs / 1000);
          sequential.gatewayCpuMs = gateway.cpuMs() - cpuStart;
          rows.push(sequential);
          console.log(table([sequential]));

          // Sustained: a fixed rate, not waiting for deliveries.
          const total = plan.rate * plan.seconds;
          const sustainedCpuStart = gateway.cpuMs();
          const started = performance.now();
          const perMessage: Array<Promise<number[]>> = [];
          for (let i = 0; i < total; i += 1) {
            const due = started + (i * 1000) / plan.rate;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            const content = `${label} ${plan.subscribers} sustained ${i} ${randomUUID()}`;
            perMessage.push(clients.expect(content, 180_000));
            void send(group.id, content).catch(() => (clients.failures += 1));
          }
          const all = await Promise.all(perMessage);
          const elapsed = performance.now() - started;
          if (clients.failures > 0) throw new Error(`${clients.failures} subscriber(s) or sends failed`);
          const third = Math.max(1, Math.floor(total / 3));
          const p99Of = (list: number[][]) =>
            percentile(
              list.flat().sort((a, b) => a - b),
              99,
            );
          const sustained: Row = {
            ...base,
            mode: `${plan.rate}/s for ${plan.seconds} s`,
            messages: total,
            latencies: all.flat(),
            lastArrivals: all.map((latencies) => Math.max(...latencies)),
            deliveriesPerSecond: (clients.count * total) / (elapsed / 1000),
            drift: { first: p99Of(all.slice(0, third)), last: p99Of(all.slice(-third)) },
            gatewayCpuMs: gateway.cpuMs() - sustainedCpuStart,
          };
          rows.push(sustained);
          console.log(table([sustained]));

          clients.unsubscribe();
          await bed.eventually(
            async () => bed.supergraph.stack.resources.pubsub.listenerCount(channel),
            (listeners) => listeners === 0,
            60_000,
          );
        }
      } finally {
        await clients.close();
      }
    }
  } finally {
    await gateway?.stop();
    await bed.stop();
  }

  const report = `${table(rows)}\n\n${memoryTable(memory)}\n\n![p99 broadcast latency per row](bench-gateway-subscriptions.png)`;
  await publishSection(SECTION, report, options, [
    'graphql-ws clients subscribed to `conversationEvents` of one group through a gateway running in its',
    `own process; ${DEVICES_PER_MEMBER} connections per member (one member's devices, same token): 1,000 subscribers are`,
    `${1000 / DEVICES_PER_MEMBER} members, 5,000 are ${5000 / DEVICES_PER_MEMBER}. \`sendMessage\` goes through the same gateway. "One at a time"`,
    `sends the next message once every subscriber got the previous one (after ${WARMUP} warm-up messages);`,
    'the sustained rows send at the fixed rate without waiting and report delivered events/s over the',
    'run and the p99 of its first and last third of messages (equal: the latency stays bounded).',
    'Latency is from the client sending the mutation to the event arriving, over every (message,',
    'subscriber) pair. "Gateway CPU µs / delivery" is the gateway process\'s CPU time (/proc) over the',
    "row's messages (the sendMessage requests included) per delivered event: unlike latency, it stays",
    'comparable when other work shares the machine.',
    "Memory is the growth of the gateway's RSS and V8 heap (its /metrics, no GC",
    'forced) over connecting and subscribing the clients, per connection.',
    '',
    `Placement: the gateway ${gateway?.pinned ? 'pinned to core 1 (`taskset -c 1`)' : 'not pinned (no taskset or one core)'}; the clients, the six`,
    `subgraphs and the embedded MongoDB in the benchmark's process${selfPinned ? ', pinned to core 0' : ''}. The gateway merges`,
    'identical subscriptions (same document, variables and token: one upstream operation and one',
    "execution per event for a member's 20 devices, `gateway/src/subscriptions/groups.ts`); different",
    "users never share, because chat and profile answer per viewer (blocks, privacy): with the sender's",
    'profile fields each member costs one profile entity fetch per message, with its own token.',
  ]);
  if (options.write) {
    await writeBarChartPng(CHART_PATH, {
      title: 'Gateway subscriptions: p99 latency from sendMessage to every subscriber',
      subtitle: `Lower is better; target ${TARGET_P99_MS} ms. ${os.cpus()[0]?.model.trim() ?? ''}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
      unit: 'ms',
      bars: rows.map((row) => {
        const p99 = percentile(
          [...row.latencies].sort((a, b) => a - b),
          99,
        );
        return {
          label: `${row.subscribers.toLocaleString('en')}, ${row.label}, ${row.mode}`,
          value: p99,
          highlight: p99 < TARGET_P99_MS,
        };
      }),
    });
    console.log('docs/bench-gateway-subscriptions.png written');
  }
  return report;
}

await runIfScript(import.meta.url, 'bench/gateway-subscriptions.ts', runGatewaySubscriptionsBench);
