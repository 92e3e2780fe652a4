/**
 * A steady load for fault tests: `concurrency` workers call `operation` back to back until
 * stopped, recording each outcome and when it happened, so a test can count what was acknowledged,
 * what failed and how long requests took during a window (the fault) and after it (recovery).
 */
export interface Outcome<T> {
  readonly seq: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The operation's result when it succeeded (acknowledged). */
  readonly value?: T;
  /** Why it failed (an error code or message). */
  readonly error?: string;
  /** The failure's message. */
  readonly message?: string;
}

export interface Load<T> {
  readonly outcomes: readonly Outcome<T>[];
  acknowledged(): T[];
  /** Outcomes of requests that started in [from, to). */
  between(from: number, to: number): Outcome<T>[];
  /** Resolves once `count` more operations succeeded than when called (or rejects after `timeoutMs`). */
  progress(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Resolves right when the next operation is acknowledged (in the same tick as the client got its
   * answer): to crash something an instant after it acknowledged a write.
   */
  nextAcknowledged(): Promise<T>;
  /** Stops the workers and waits for the requests in flight. */
  stop(): Promise<void>;
}

/**
 * `operation` resolves with a value when the operation was acknowledged and throws (or rejects)
 * otherwise; the error's `code` or message is kept. `pauseMs` between calls of one worker keeps
 * the load realistic on a shared machine.
 */
export function startLoad<T>(
  operation: (seq: number) => Promise<T>,
  options: { concurrency?: number; pauseMs?: number } = {},
): Load<T> {
  const outcomes: Outcome<T>[] = [];
  let stopped = false;
  let seq = 0;
  let successes = 0;
  let ackWaiters: Array<(value: T) => void> = [];
  const worker = async () => {
    while (!stopped) {
      const n = seq++;
      const startedAt = Date.now();
      try {
        const value = await operation(n);
        outcomes.push({ seq: n, startedAt, endedAt: Date.now(), value });
        successes += 1;
        const waiters = ackWaiters;
        ackWaiters = [];
        for (const resolve of waiters) resolve(value);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        outcomes.push({
          seq: n,
          startedAt,
          endedAt: Date.now(),
          error: typeof code === 'string' ? code : (error as Error).message,
          message: (error as Error).message,
        });
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 3 }, worker);
  return {
    outcomes,
    acknowledged: () => outcomes.flatMap((o) => (o.error === undefined ? [o.value as T] : [])),
    between: (from, to) => outcomes.filter((o) => o.startedAt >= from && o.startedAt < to),
    async progress(count, timeoutMs = 120_000) {
      const target = successes + count;
      const deadline = Date.now() + timeoutMs;
      while (successes < target) {
        if (Date.now() > deadline) throw new Error(`the load made no progress (${successes}/${target})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    nextAcknowledged: () => new Promise<T>((resolve) => ackWaiters.push(resolve)),
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

/** Figures of a set of outcomes for the report: count, errors by reason, latency. */
export function summarize(outcomes: readonly Outcome<unknown>[]): {
  requests: number;
  ok: number;
  errors: Record<string, number>;
  /** One message per error code. */
  samples: Record<string, string>;
  maxMs: number;
  p50Ms: number;
} {
  const errors: Record<string, number> = {};
  const samples: Record<string, string> = {};
  for (const o of outcomes) {
    if (o.error === undefined) continue;
    errors[o.error] = (errors[o.error] ?? 0) + 1;
    samples[o.error] ??= (o.message ?? '').slice(0, 160);
  }
  const times = outcomes.map((o) => o.endedAt - o.startedAt).sort((a, b) => a - b);
  return {
    requests: outcomes.length,
    ok: outcomes.filter((o) => o.error === undefined).length,
    errors,
    samples,
    maxMs: times.at(-1) ?? 0,
    p50Ms: times[Math.floor(times.length / 2)] ?? 0,
  };
}

/** Polls `probe` every 100 ms until it returns true; resolves with the milliseconds it took. */
export async function timeUntil(
  probe: () => Promise<boolean>,
  what: string,
  timeoutMs = 120_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
