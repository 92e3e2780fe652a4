import pg from 'pg';

/**
 * Riding out dropped PostgreSQL connections (issue 13: a terminated backend, a restarted server,
 * a database briefly refusing connections). pg's pool drops a dead client, but the statement or
 * transaction that was using it fails, and so does every checkout while the server refuses
 * connections. Auth retries those, with backoff, for a bounded time, so a short outage costs
 * callers latency rather than errors.
 *
 * Only failures that mean "the statement did not run" are retried: the server terminated the
 * backend before answering (57P0x), refused the connection (53300, 55000 "not currently accepting
 * connections", 08xxx), or the client was already dead when the statement was sent. A transaction
 * whose connection died was rolled back by the server, so running its callback again is safe.
 */

/** SQLSTATEs of a connection that was closed or refused before the statement completed. */
const CONNECTION_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const CONNECTION_MESSAGES =
  /not currently accepting connections|Connection terminated|not queryable|ECONNREFUSED|ECONNRESET|EPIPE/i;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Whether `error` (a pg error, or Prisma's wrapping of one) is a lost or refused connection. */
export function isConnectionLost(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, originalCode, message, cause, meta } = error as {
    code?: unknown;
    originalCode?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  for (const value of [code, originalCode]) {
    if (typeof value === 'string' && (CONNECTION_SQLSTATES.has(value) || SOCKET_CODES.has(value)))
      return true;
  }
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return true;
  return isConnectionLost(cause, depth + 1) || isConnectionLost(meta?.driverAdapterError, depth + 1);
}

export interface RetryPolicy {
  /** Longest a caller waits across attempts before the last error is thrown. */
  readonly budgetMs: number;
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { budgetMs: 5_000, initialDelayMs: 25, maxDelayMs: 500 };

/** Runs `attempt` again while it fails with a lost connection and the budget lasts. */
export async function retryOnConnectionLoss<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<T> {
  const deadline = Date.now() + policy.budgetMs;
  let delay = policy.initialDelayMs;
  for (let attempts = 1; ; attempts += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConnectionLost(error) || Date.now() + delay > deadline) throw error;
      onRetry?.(error, attempts);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}

type QueryArgs = Parameters<pg.Pool['query']>;

/**
 * A pg pool whose single statements (what Prisma runs outside transactions) are retried on a lost
 * or refused connection. Checkouts for transactions are not: Prisma gives up on starting one after
 * its `maxWait`, so a failed checkout must fail fast and the whole `$transaction` is retried
 * instead (data/prisma.ts). Callback-style calls are passed through untouched.
 */
export class ReconnectingPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly onRetry?: (error: unknown, attempt: number) => void,
  ) {
    super(config);
  }

  override query(...args: unknown[]): never {
    const run = super.query.bind(this) as (...a: unknown[]) => unknown;
    if (args.some((arg) => typeof arg === 'function')) return run(...args) as never;
    // A query config object is reused across attempts: pg does not consume it.
    return retryOnConnectionLoss(
      () => run(...(args as QueryArgs)) as Promise<unknown>,
      this.policy,
      this.onRetry,
    ) as never;
  }
}
