/**
 * What the soak measures while it runs: latency per operation kind, errors, resident memory of
 * every process of the stack, and the consumer groups of the event streams.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { Redis } from 'ioredis';
import { cpuSeconds, percentile } from '../../bench/report.js';
import type { StackProcess } from './stack.js';

export interface Distribution {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Latencies (ms) of acknowledged operations by kind, and every error, in full. */
export class OperationLog {
  readonly latencies = new Map<string, number[]>();
  readonly errors: string[] = [];
  /** When each acknowledged operation finished (epoch ms) and how long it took. */
  readonly timeline: Array<readonly [number, number]> = [];

  record(kind: string, ms: number): void {
    let list = this.latencies.get(kind);
    if (!list) this.latencies.set(kind, (list = []));
    list.push(ms);
    this.timeline.push([Date.now(), ms]);
  }

  /** Median latency in each of `parts` equal slices of [from, to): does the service slow down over time? */
  trend(from: number, to: number, parts: number): number[] {
    const slices = Array.from({ length: parts }, () => [] as number[]);
    for (const [at, ms] of this.timeline) {
      const index = Math.floor(((at - from) / (to - from)) * parts);
      if (index >= 0 && index < parts) slices[index]!.push(ms);
    }
    return slices.map((slice) => distribution(slice).p50);
  }

  fail(kind: string, error: unknown): void {
    const message = error instanceof Error ? error.message : JSON.stringify(error);
    this.errors.push(`${kind}: ${message.slice(0, 500)}`);
  }

  /** Times one operation; its failure is recorded and rethrown. */
  async time<T>(kind: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await run();
      this.record(kind, performance.now() - started);
      return result;
    } catch (error) {
      this.fail(kind, error);
      throw error;
    }
  }

  get total(): number {
    let total = 0;
    for (const list of this.latencies.values()) total += list.length;
    return total;
  }

  all(): number[] {
    return [...this.latencies.values()].flat();
  }
}

/** Resident set size of a process, in MB (VmRSS in /proc), or undefined when it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export interface RssSample {
  /** Seconds since the workload started. */
  readonly t: number;
  readonly mb: Readonly<Record<string, number>>;
  /** CPU seconds used so far, per process. */
  readonly cpu: Readonly<Record<string, number>>;
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two points. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface RssSummary {
  readonly process: string;
  /** Mean of the first samples after warm-up, and of the last ones (MB). */
  readonly start: number;
  readonly end: number;
  readonly max: number;
  /** end - start (MB). */
  readonly growthMb: number;
  /** Slope of a linear fit after warm-up, in MB per minute and in % of `start` per minute. */
  readonly slopeMbPerMin: number;
  readonly slopePctPerMin: number;
}

/** Per process: memory after warm-up, at the end, its peak and its trend. */
export function summarizeRss(
  samples: readonly RssSample[],
  processes: readonly string[],
  warmupSeconds: number,
): RssSummary[] {
  const measured = samples.filter((sample) => sample.t >= warmupSeconds);
  const window = Math.max(1, Math.min(3, Math.floor(measured.length / 4)));
  return processes.map((name) => {
    const points = measured
      .filter((sample) => sample.mb[name] !== undefined)
      .map((sample) => [sample.t / 60, sample.mb[name] as number] as const);
    const mean = (list: ReadonlyArray<readonly [number, number]>) =>
      list.reduce((sum, [, y]) => sum + y, 0) / Math.max(1, list.length);
    const start = mean(points.slice(0, window));
    const end = mean(points.slice(-window));
    const fit = slope(points);
    return {
      process: name,
      start,
      end,
      max: Math.max(...samples.map((s) => s.mb[name] ?? 0)),
      growthMb: end - start,
      slopeMbPerMin: fit,
      slopePctPerMin: start > 0 ? (fit / start) * 100 : 0,
    };
  });
}

/** Samples every process's RSS every `intervalMs` until stopped. */
export function sampleRss(
  processes: readonly StackProcess[],
  intervalMs: number,
  startedAt: () => number,
): { samples: RssSample[]; stop(): void } {
  const samples: RssSample[] = [];
  const take = () => {
    const mb: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    for (const { name, pid } of processes) {
      const value = rssMb(pid);
      if (value !== undefined) mb[name] = value;
      const used = cpuSeconds(pid);
      if (used !== undefined) cpu[name] = used;
    }
    mb.runner = process.memoryUsage().rss / 1024 / 1024;
    cpu.runner = cpuSeconds(process.pid) ?? 0;
    samples.push({ t: (Date.now() - startedAt()) / 1000, mb, cpu });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
    },
  };
}

export interface ConsumerGroupState {
  readonly stream: string;
  readonly group: string;
  /** Delivered to a consumer, not acknowledged yet. */
  readonly pending: number;
  /** Entries in the stream the group has not been delivered yet (Redis 7's XINFO GROUPS lag). */
  readonly lag: number;
}

/** Every consumer group of the deployment's event streams (`<prefix>events:<producer>`). */
export async function consumerGroups(redis: Redis, prefix: string): Promise<ConsumerGroupState[]> {
  const states: ConsumerGroupState[] = [];
  let cursor = '0';
  const streams: string[] = [];
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}events:*`, 'COUNT', 500);
    for (const key of keys)
      if ((await redis.type(key)) === 'stream' && !key.endsWith(':dead')) streams.push(key);
    cursor = next;
  } while (cursor !== '0');
  for (const stream of streams) {
    const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    for (const fields of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
      states.push({
        stream: stream.slice(prefix.length),
        group: String(info.get('name')),
        pending: Number(info.get('pending') ?? 0),
        lag: Number(info.get('lag') ?? 0),
      });
    }
  }
  return states;
}

/** Length of the dead-letter streams (`<prefix>events:<producer>:dead`): events given up on. */
export async function deadLetters(redis: Redis, prefix: string): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}events:*:dead`, 'COUNT', 500);
    for (const key of keys) total += await redis.xlen(key);
    cursor = next;
  } while (cursor !== '0');
  return total;
}

/**
 * V8 heap in use in a service right after a full garbage collection, in MB, through its inspector
 * (DevTools protocol: `HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`); undefined when
 * the inspector cannot be reached. Unlike RSS, which also moves with V8's heap sizing and the
 * allocator's fragmentation, this grows only with what the program keeps reachable: a leak.
 */
export async function heapAfterGcMb(inspectorUrl: string, timeoutMs = 30_000): Promise<number | undefined> {
  const socket = new WebSocket(inspectorUrl);
  const replies = new Map<number, (result: Record<string, unknown>) => void>();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown> };
    if (message.id !== undefined) replies.get(message.id)?.(message.result ?? {});
  });
  let nextId = 0;
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      nextId += 1;
      replies.set(nextId, resolve);
      socket.send(JSON.stringify({ id: nextId, method }));
    });
  const work = (async () => {
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return typeof usage.usedSize === 'number' ? usage.usedSize / 1024 / 1024 : undefined;
  })();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
    socket.terminate();
  }
}

/** Heap after GC of every service with an inspector, by process name (MB; absent when unreachable). */
export async function heapsAfterGc(processes: readonly StackProcess[]): Promise<Record<string, number>> {
  const heaps: Record<string, number> = {};
  // One at a time: each forced GC pauses its service briefly; not all of them at once.
  for (const { name, inspectorUrl } of processes) {
    if (!inspectorUrl) continue;
    const mb = await heapAfterGcMb(inspectorUrl);
    if (mb !== undefined) heaps[name] = mb;
  }
  return heaps;
}

export interface HeapSummary {
  readonly process: string;
  /** V8 heap in use after a full GC at the end of the warm-up, and after the drain (MB). */
  readonly start: number;
  readonly end: number;
  readonly growthMb: number;
  readonly growthPct: number;
}

/** Heap after GC per process measured at both ends (a process missing either is left out). */
export function summarizeHeap(
  start: Readonly<Record<string, number>>,
  end: Readonly<Record<string, number>>,
): HeapSummary[] {
  return Object.keys(start)
    .filter((name) => end[name] !== undefined)
    .map((name) => {
      const growthMb = end[name]! - start[name]!;
      return {
        process: name,
        start: start[name]!,
        end: end[name]!,
        growthMb,
        growthPct: (growthMb / start[name]!) * 100,
      };
    });
}
