/**
 * The soak: a mixed workload against the supergraph in its deployed shape (scripts/soak/stack.ts)
 * for a set duration, then the reconciliation of every acknowledged write (reconcile.ts). Used by
 * `npm run soak` (scripts/soak.ts) and test/reliability/soak.test.ts, which assert the same
 * bounds (`verdict`).
 */
import { Redis } from 'ioredis';
import type { Ledger } from './ledger.js';
import { reconcileApi, reconcileStores, tallies, type Reconciliation } from './reconcile.js';
import {
  OperationLog,
  consumerGroups,
  deadLetters,
  distribution,
  heapsAfterGc,
  sampleRss,
  summarizeHeap,
  summarizeRss,
  type ConsumerGroupState,
  type Distribution,
  type HeapSummary,
  type RssSummary,
} from './metrics.js';
import { startSoakStack } from './stack.js';
import { runMix, setUpWorld, type World } from './workload.js';

export interface SoakOptions {
  readonly durationSeconds: number;
  readonly users: number;
  readonly concurrency: number;
  /** Operations per second, all clients together; 0: as fast as the clients get answers. */
  readonly rate: number;
  /** RSS after this many seconds is the baseline (JIT, caches and pools filled). */
  readonly warmupSeconds?: number;
  readonly rssIntervalMs?: number;
  readonly progress?: (line: string) => void;
  /**
   * Runs after the reconciliation while the stack is still up, with the world and a way to
   * reconcile the stores again (the test uses it to show the reconciliation notices tampering).
   */
  readonly inspect?: (world: World, reconcile: () => Promise<Reconciliation>) => Promise<void>;
}

/**
 * The bounds of a passing run.
 *
 * RSS, of the seven services (the embedded MongoDB keeps its data set in memory, so its RSS grows
 * with what was written: reported, not bounded): after warm-up their sum may not trend upward
 * faster than 2% of its size per minute (a least-squares fit over every sample, so one garbage
 * collection cycle does not decide it), and no service may end more than 25% above its
 * post-warm-up size.
 *
 * Event lag (an acknowledged action to its notification on the recipient's live subscription):
 * p99 at most 10 s and none over 20 s. On this shared 2-core machine request latency alone reaches
 * p99 2-3 s when other suites run; a notification consumer that falls behind (as in a closed-loop
 * overload, where the lag grew linearly to ~27 s within a minute) breaks it. Every consumer group
 * must have nothing pending once the run drained, nothing dead-lettered.
 */
export const BOUNDS = {
  totalRssSlopePctPerMin: 2,
  processRssGrowthPct: 25,
  /** V8 heap in use after a full GC, end of run vs end of warm-up: what only a leak grows. */
  processHeapGrowthPct: 10,
  eventLagP99Ms: 10_000,
  eventLagMaxMs: 20_000,
  drainTimeoutMs: 60_000,
} as const;

/** Processes whose memory is data, not state a leak would grow: reported, not bounded. */
export const UNBOUNDED_RSS = new Set(['mongo']);

export interface SoakResult {
  readonly options: SoakOptions;
  readonly durationSeconds: number;
  readonly operations: Record<string, Distribution>;
  readonly totalOperations: number;
  readonly throughput: number;
  readonly latency: Distribution;
  /** Median latency of each quarter of the run (ms). */
  readonly latencyTrend: readonly number[];
  readonly errors: readonly string[];
  readonly crashes: readonly string[];
  readonly rss: readonly RssSummary[];
  readonly totalRss: RssSummary;
  /** Each service's V8 heap in use after a forced full GC, after warm-up and after the drain. */
  readonly heap: readonly HeapSummary[];
  /** Acknowledged action → notification on the recipient's subscription, by kind and overall. */
  readonly eventLag: Record<string, Distribution>;
  /** Expected live notification events that never arrived on a subscription, by kind. */
  readonly liveNotificationsMissed: Record<string, number>;
  /** sendMessage → MessageAdded on each watcher's conversationEvents. */
  readonly chatDelivery: Distribution;
  /** Consumer groups sampled during the run: the most entries pending / not yet delivered at once. */
  readonly maxPending: number;
  readonly maxStreamLag: number;
  readonly groupsAfterDrain: readonly ConsumerGroupState[];
  readonly deadLetters: number;
  readonly drainMs: number;
  readonly reconciliation: Reconciliation;
  readonly counts: Record<string, number>;
  readonly lost: number;
  readonly duplicated: number;
  readonly unexpected: number;
}

/** What fails a run, one line each; empty when it passed. */
export function verdict(result: SoakResult): string[] {
  const failures: string[] = [];
  if (result.errors.length > 0) failures.push(`${result.errors.length} errors`);
  if (result.crashes.length > 0) failures.push(`crashes: ${result.crashes.join('; ')}`);
  if (result.lost > 0) failures.push(`${result.lost} records lost`);
  if (result.duplicated > 0) failures.push(`${result.duplicated} records duplicated`);
  if (result.unexpected > 0) failures.push(`${result.unexpected} unexpected records`);
  if (result.reconciliation.counterMismatches > 0) {
    failures.push(`${result.reconciliation.counterMismatches} post counters wrong`);
  }
  if (result.reconciliation.notificationsApiMismatches > 0) {
    failures.push(
      `${result.reconciliation.notificationsApiMismatches} users' notifications differ via the API`,
    );
  }
  if (result.totalRss.slopePctPerMin > BOUNDS.totalRssSlopePctPerMin) {
    failures.push(`total RSS grows ${result.totalRss.slopePctPerMin.toFixed(2)}%/min`);
  }
  for (const heap of result.heap) {
    if (heap.growthPct > BOUNDS.processHeapGrowthPct) {
      failures.push(`${heap.process} heap after GC grew ${heap.growthPct.toFixed(1)}%`);
    }
  }
  if (result.heap.length === 0) failures.push('no heap after GC measured');
  for (const rss of result.rss.filter((r) => !UNBOUNDED_RSS.has(r.process))) {
    const pct = rss.start > 0 ? (rss.growthMb / rss.start) * 100 : 0;
    if (pct > BOUNDS.processRssGrowthPct) failures.push(`${rss.process} RSS grew ${pct.toFixed(1)}%`);
  }
  const lag = result.eventLag.all;
  if (!lag || lag.count === 0) failures.push('no event lag measured');
  else {
    if (lag.p99 > BOUNDS.eventLagP99Ms) failures.push(`event lag p99 ${lag.p99.toFixed(0)} ms`);
    if (lag.max > BOUNDS.eventLagMaxMs) failures.push(`event lag max ${lag.max.toFixed(0)} ms`);
  }
  // A message notification is re-delivered per message, but a subscriber reading it after a second
  // message was absorbed sees the newer one: message events may coalesce, the others may not.
  const { post = 0, like = 0, comment = 0 } = result.liveNotificationsMissed;
  const missed = post + like + comment;
  if (missed > 0) failures.push(`${missed} live notifications never arrived`);
  const pending = result.groupsAfterDrain.filter((g) => g.pending > 0 || g.lag > 0);
  if (pending.length > 0) failures.push(`consumer groups not drained: ${JSON.stringify(pending)}`);
  if (result.deadLetters > 0) failures.push(`${result.deadLetters} events dead-lettered`);
  return failures;
}

const clean = (r: Reconciliation) =>
  [r.messagesStore, r.reactionsStore, r.commentsStore, r.notificationsStore, r.messagesLive].every(
    (t) => t.lost === 0 && t.duplicated === 0 && t.unexpected === 0,
  ) && r.counterMismatches === 0;

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const progress = options.progress ?? (() => undefined);
  const warmupSeconds = options.warmupSeconds ?? Math.min(60, Math.max(20, options.durationSeconds / 4));
  const log = new OperationLog();
  progress('starting the stack (7 service processes + embedded MongoDB)');
  const stack = await startSoakStack();
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 2 });
  try {
    progress(
      `stack up: ${stack.gatewayUrl}; creating ${options.users} users, friendships, groups, subscriptions`,
    );
    const world = await setUpWorld(stack, options, log, redis);
    const setupErrors = log.errors.length;
    const ledger = world.ledger;
    try {
      const startedAt = Date.now();
      const sampler = sampleRss(stack.processes, options.rssIntervalMs ?? 3_000, () => startedAt);
      let heapAfterWarmup: Promise<Record<string, number>> | undefined;
      const heapTimer = setTimeout(() => {
        heapAfterWarmup = heapsAfterGc(stack.processes);
      }, warmupSeconds * 1000);
      let maxPending = 0;
      let maxStreamLag = 0;
      let behind = '';
      const groupTimer = setInterval(() => {
        consumerGroups(redis, stack.redisKeyPrefix)
          .then((groups) => {
            for (const g of groups) {
              maxPending = Math.max(maxPending, g.pending);
              maxStreamLag = Math.max(maxStreamLag, g.lag);
            }
            behind = groups
              .filter((g) => g.lag + g.pending > 0)
              .map((g) => `${g.group}@${g.stream}:${g.pending}+${g.lag}`)
              .join(' ');
          })
          .catch(() => undefined);
      }, 2_000);
      const ticker = setInterval(() => {
        const t = Math.round((Date.now() - startedAt) / 1000);
        const last = sampler.samples.at(-1);
        const first = sampler.samples[0];
        const rss = last?.mb ?? {};
        const cpu = Object.entries(last?.cpu ?? {})
          .map(
            ([name, used]) =>
              `${name} ${(((used - (first?.cpu[name] ?? 0)) / Math.max(1, last!.t)) * 100).toFixed(0)}%`,
          )
          .join(' ');
        const total = Object.entries(rss)
          .filter(([name]) => name !== 'runner')
          .reduce((sum, [, mb]) => sum + mb, 0);
        progress(
          `${t}s: ${log.total} ops, ${log.errors.length} errors, stack RSS ${total.toFixed(0)} MB; behind: ${behind || 'none'}; CPU ${cpu}`,
        );
      }, 15_000);
      progress(
        `running the mix for ${options.durationSeconds}s: ${options.concurrency} clients, ${options.rate ? `${options.rate} ops/s` : 'closed loop'}`,
      );
      const deadline = startedAt + options.durationSeconds * 1000;
      await runMix(world, log, { concurrency: options.concurrency, deadline, rate: options.rate });
      const ranSeconds = (Date.now() - startedAt) / 1000;
      const latencyTrend = log.trend(startedAt, deadline, 4);
      clearInterval(ticker);

      progress('draining: waiting for every acknowledged write to reach every store');
      const drainStarted = Date.now();
      let reconciliation = await reconcileStores(world);
      while (!clean(reconciliation) && Date.now() - drainStarted < BOUNDS.drainTimeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        reconciliation = await reconcileStores(world);
      }
      const drainMs = Date.now() - drainStarted;
      clearTimeout(heapTimer);
      const heapStart = (await heapAfterWarmup) ?? {};
      const heapEnd = await heapsAfterGc(stack.processes);
      const heap = summarizeHeap(heapStart, heapEnd);
      clearInterval(groupTimer);
      sampler.stop();
      const groupsAfterDrain = await consumerGroups(redis, stack.redisKeyPrefix);
      const dead = await deadLetters(redis, stack.redisKeyPrefix);
      progress(`drained in ${drainMs} ms; reconciling through the API`);
      await reconcileApi(world, reconciliation);

      const lag = eventLag(world);
      const operations: Record<string, Distribution> = {};
      for (const [kind, samples] of log.latencies) operations[kind] = distribution(samples);
      const names = stack.processes.map((p) => p.name);
      const rss = summarizeRss(sampler.samples, names, warmupSeconds);
      const totals = sampler.samples.map((s) => ({
        t: s.t,
        mb: {
          total: names.filter((n) => !UNBOUNDED_RSS.has(n)).reduce((sum, name) => sum + (s.mb[name] ?? 0), 0),
        },
        cpu: {},
      }));
      const ledgers = tallies(reconciliation);
      const result: SoakResult = {
        options,
        durationSeconds: ranSeconds,
        operations,
        totalOperations: log.total,
        throughput: log.total / ranSeconds,
        latency: distribution(log.all()),
        latencyTrend,
        errors: [...log.errors],
        crashes: [...stack.crashes],
        rss,
        totalRss: summarizeRss(totals, ['total'], warmupSeconds)[0]!,
        heap,
        eventLag: lag.lag,
        liveNotificationsMissed: lag.missed,
        chatDelivery: lag.chat,
        maxPending,
        maxStreamLag,
        groupsAfterDrain,
        deadLetters: dead,
        drainMs,
        reconciliation,
        counts: {
          users: ledger.users.size,
          friendships: ledger.friendships.length,
          posts: ledger.posts.size,
          reactions: ledger.reactions.size,
          comments: ledger.comments.size,
          messages: ledger.messages.size,
          conversations: ledger.conversations.length,
          notificationEvents: ledger.notificationEvents,
          setupErrors,
          unacknowledged: ledger.unacknowledged.length,
        },
        lost: ledgers.reduce((sum, t) => sum + t.lost, 0),
        duplicated: ledgers.reduce((sum, t) => sum + t.duplicated, 0),
        unexpected: ledgers.reduce((sum, t) => sum + t.unexpected, 0),
      };
      await options.inspect?.(world, () => reconcileStores(world));
      return result;
    } finally {
      await world.close();
    }
  } finally {
    redis.disconnect();
    progress('stopping the stack');
    await stack.stop();
  }
}

/** Event lag and live misses from the ledger's acknowledgements and arrivals. */
function eventLag(world: { ledger: Ledger }): {
  lag: Record<string, Distribution>;
  missed: Record<string, number>;
  chat: Distribution;
} {
  const { ledger } = world;
  const samples: Record<string, number[]> = { post: [], like: [], comment: [], message: [] };
  const missed: Record<string, number> = { post: 0, like: 0, comment: 0, message: 0 };
  const measure = (kind: string, key: string, ackAt: number) => {
    const arrived = ledger.notificationArrivals.get(key);
    if (arrived === undefined) missed[kind]! += 1;
    else samples[kind]!.push(Math.max(0, arrived - ackAt));
  };
  for (const post of ledger.posts.values()) {
    for (const friend of ledger.users.get(post.authorId)!.friends)
      measure('post', `post|${friend}|${post.id}`, post.ackAt);
  }
  for (const [key, ackAt] of ledger.reactions) {
    const [postId, userId] = key.split(':') as [string, string];
    const author = ledger.posts.get(postId)!.authorId;
    if (author !== userId) measure('like', `like|${author}|${postId}|${userId}`, ackAt);
  }
  const firstComment = new Map<string, number>();
  for (const comment of ledger.comments.values()) {
    const author = ledger.posts.get(comment.postId)!.authorId;
    if (author === comment.authorId) continue;
    const key = `comment|${author}|${comment.postId}|${comment.authorId}`;
    firstComment.set(key, Math.min(firstComment.get(key) ?? Infinity, comment.ackAt));
  }
  for (const [key, ackAt] of firstComment) measure('comment', key, ackAt);
  const chat: number[] = [];
  for (const conversation of ledger.conversations) {
    const others = conversation.members.filter((m) => !conversation.viewers.includes(m));
    for (const message of ledger.messages.values()) {
      if (message.conversationId !== conversation.id) continue;
      for (const member of others) {
        if (member !== message.senderId) measure('message', `message|${member}|${message.id}`, message.ackAt);
      }
      for (const viewer of conversation.viewers) {
        const arrived = ledger.messageArrivals.get(`${viewer}|${message.id}`)?.[0];
        if (arrived !== undefined) chat.push(Math.max(0, arrived - message.sentAt));
      }
    }
  }
  const lag: Record<string, Distribution> = {};
  for (const [kind, list] of Object.entries(samples)) lag[kind] = distribution(list);
  lag.all = distribution(Object.values(samples).flat());
  return { lag, missed, chat: distribution(chat) };
}
