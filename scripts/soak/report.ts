/** The soak's figures as the `soak` section of docs/RELIABILITY.md (and the console). */
import { BOUNDS, verdict, type SoakResult } from './index.js';
import type { Distribution } from './metrics.js';
import { tallies, type Tally } from './reconcile.js';

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}` : '–');
const mb = (value: number) => value.toFixed(1);
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const latencyRow = (name: string, d: Distribution) =>
  row([name, d.count, ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max)]);
const tallyRow = (name: string, t: Tally) => row([name, t.expected, t.lost, t.duplicated, t.unexpected]);

export function soakReport(result: SoakResult): string {
  const failures = verdict(result);
  const r = result.reconciliation;
  const c = result.counts;
  const minutes = result.durationSeconds / 60;
  const lines = [
    `**${failures.length === 0 ? 'Passed' : `FAILED: ${failures.join('; ')}`}.** ${minutes.toFixed(1)} min of mixed load,` +
      ` ${result.options.users} users, ${result.options.concurrency} concurrent clients` +
      ` ${result.options.rate ? `at ${result.options.rate} operations/s` : 'in a closed loop'},` +
      ` ${result.totalOperations} operations (${result.throughput.toFixed(1)} ops/s), ${result.errors.length} errors,` +
      ` lost ${result.lost}, duplicated ${result.duplicated}.`,
    '',
    `Acknowledged writes: ${c.posts} posts, ${c.reactions} reactions, ${c.comments} comments, ${c.messages} chat messages` +
      ` in ${c.conversations} groups; ${c.friendships} friendships at setup; ${c.notificationEvents} notification` +
      ` events received live. Drained ${(result.drainMs / 1000).toFixed(1)} s after the load stopped.`,
    '',
    '### Latency by operation (ms, through the gateway)',
    '',
    row(['operation', 'count', 'p50', 'p95', 'p99', 'max']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...Object.entries(result.operations)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, d]) => latencyRow(kind, d)),
    latencyRow('**all**', result.latency),
    '',
    `Median latency by quarter of the run: ${result.latencyTrend.map((v) => `${ms(v)} ms`).join(', ')}.`,
    '',
    '### Event lag (ms)',
    '',
    'From the acknowledgement of an action to its notification on the recipient’s live',
    '`notificationAdded` subscription (through Redis Streams, the notification consumer and Redis',
    'pub/sub); chat delivery is from `sendMessage` to `MessageAdded` on each watcher’s',
    '`conversationEvents`.',
    '',
    row(['event', 'count', 'p50', 'p95', 'p99', 'max', 'missed live']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...['post', 'like', 'comment', 'message'].map((kind) => {
      const d = result.eventLag[kind]!;
      return row([
        `${kind} → notification`,
        d.count,
        ms(d.p50),
        ms(d.p95),
        ms(d.p99),
        ms(d.max),
        result.liveNotificationsMissed[kind] ?? 0,
      ]);
    }),
    latencyRow('**all notifications**', result.eventLag.all!) + ' |',
    latencyRow('chat message → watchers', result.chatDelivery) + ' |',
    '',
    `Consumer groups (XINFO GROUPS every 2 s): at most ${result.maxPending} entries pending and ${result.maxStreamLag}` +
      ` undelivered at once; after the drain ${result.groupsAfterDrain.filter((g) => g.pending + g.lag > 0).length}` +
      ` of ${result.groupsAfterDrain.length} groups with anything pending; ${result.deadLetters} dead-lettered events.`,
    '',
    '### Resident memory (MB)',
    '',
    `Sampled every few seconds from /proc; start is the mean of the first samples after a warm-up, end of the last`,
    'ones; the trend is a least-squares fit over every sample after the warm-up.',
    '',
    row(['process', 'after warm-up', 'end', 'max', 'growth', 'trend MB/min', 'trend %/min']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...[...result.rss, result.totalRss].map((s) =>
      row([
        s.process === 'total' ? '**all services** (without mongo)' : s.process,
        mb(s.start),
        mb(s.end),
        mb(s.max),
        `${s.growthMb >= 0 ? '+' : ''}${mb(s.growthMb)}`,
        s.slopeMbPerMin.toFixed(2),
        s.slopePctPerMin.toFixed(2),
      ]),
    ),
    '',
    '### V8 heap after a full GC (MB)',
    '',
    'RSS also moves with V8’s heap sizing and the allocator’s fragmentation; what a leak grows is the heap',
    'still in use after a full garbage collection, forced through each service’s inspector at the end of',
    'the warm-up and again after the drain.',
    '',
    row(['process', 'after warm-up', 'after the drain', 'growth', 'growth %']),
    row(['---', '---:', '---:', '---:', '---:']),
    ...result.heap.map((h) =>
      row([
        h.process,
        mb(h.start),
        mb(h.end),
        `${h.growthMb >= 0 ? '+' : ''}${mb(h.growthMb)}`,
        `${h.growthPct >= 0 ? '+' : ''}${h.growthPct.toFixed(1)}`,
      ]),
    ),
    '',
    '### No data loss (reconciled after the run)',
    '',
    row(['records', 'expected', 'lost', 'duplicated', 'unexpected']),
    row(['---', '---:', '---:', '---:', '---:']),
    tallyRow('chat messages in the store (by idempotency key)', r.messagesStore),
    tallyRow('chat messages in each member’s history (API)', r.messagesApi),
    tallyRow('chat messages received live by each watcher', r.messagesLive),
    tallyRow('reactions in the store', r.reactionsStore),
    tallyRow('comments in the store', r.commentsStore),
    tallyRow('notification events in the store (groups by count)', r.notificationsStore),
    '',
    `Post counters (likesCount, commentsCount; stored and via the API) differing from the real counts:` +
      ` ${r.counterMismatches}. Users whose notifications or unread count via the API differ from the store:` +
      ` ${r.notificationsApiMismatches}.`,
    '',
    `Bounds: no error, no crash, nothing lost, duplicated or unexpected; total RSS trend ≤` +
      ` ${BOUNDS.totalRssSlopePctPerMin}%/min and no service more than ${BOUNDS.processRssGrowthPct}% above its` +
      ` post-warm-up size (the embedded MongoDB holds its data in memory: reported, not bounded); no service's heap after GC more than ${BOUNDS.processHeapGrowthPct}% above its post-warm-up size; event lag p99 ≤ ${BOUNDS.eventLagP99Ms / 1000} s and max ≤ ${BOUNDS.eventLagMaxMs / 1000} s;` +
      ` every consumer group drained, nothing dead-lettered.`,
  ];
  if (result.errors.length > 0)
    lines.push('', 'Errors:', '', ...result.errors.slice(0, 20).map((e) => `- ${e}`));
  const examples = [...r.examples, ...tallies(r).flatMap((t) => t.examples)];
  if (examples.length > 0)
    lines.push('', 'Discrepancies:', '', ...examples.slice(0, 20).map((e) => `- ${e}`));
  return lines.join('\n');
}
