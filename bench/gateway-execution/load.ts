/**
 * A closed-loop HTTP load generator: `connections` keep-alive connections, each sending the next
 * request as soon as the previous response is read (like autocannon without pipelining). Every
 * response body is checked by `check` (sampled every `checkEvery`th to spare the load core).
 */
import { Pool } from 'undici';

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

export async function load(options: {
  readonly url: string;
  readonly body: string;
  readonly connections: number;
  readonly seconds: number;
  readonly check: (body: string) => string[];
  readonly checkEvery?: number;
  readonly headers?: (i: number) => Record<string, string>;
}): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let n = 0;
  const deadline = performance.now() + options.seconds * 1000;
  const started = performance.now();
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const i = n++;
      const t0 = performance.now();
      try {
        const response = await pool.request({
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers?.(w) },
          body: options.body,
        });
        const text = await response.body.text();
        latencies.push(performance.now() - t0);
        if (response.statusCode !== 200) {
          errors++;
          firstError ??= `HTTP ${response.statusCode}: ${text.slice(0, 200)}`;
        } else if (i % (options.checkEvery ?? 1) === 0) {
          const problems = options.check(text);
          if (problems.length > 0) {
            errors++;
            firstError ??= problems.join('; ').slice(0, 300);
          }
        }
      } catch (error) {
        errors++;
        firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    errors,
    firstError,
  };
}
