import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/** Reconnect backoff: 100 ms doubling to this cap, with jitter so a fleet does not reconnect in lockstep. */
const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * A command issued while the connection is down waits for this many reconnect attempts (≈ 1.5 s with
 * the backoff above) before it fails. A request handler then gets an error it can report instead of
 * hanging until Redis comes back; long-running loops (event consumers) catch it and retry.
 */
const MAX_RETRIES_PER_REQUEST = 3;

const DISCONNECT_TIMEOUT_MS = 200;

/** Delay before reconnect attempt `times` (1-based): capped exponential backoff with ±20 % jitter. */
export function reconnectDelay(times: number): number {
  const base = Math.min(100 * 2 ** Math.max(0, times - 1), MAX_RECONNECT_DELAY_MS);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Options every long-lived connection of a service uses. `lazyConnect` so building a client has no
 * side effect (the first command, or an explicit `connect()`, opens it); reconnects forever because
 * a service outlives Redis restarts and failovers; `READONLY` (a replica promoted away under us)
 * forces a reconnect so the next command reaches the new primary.
 */
function serviceOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    lazyConnect: true,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: reconnectDelay,
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    enableOfflineQueue: true,
    // How long disconnect() lets a socket drain before destroying it. ioredis arms this timer even on
    // a socket that is already dead (during reconnect backoff), where the 2 s default delays exit.
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
}

/**
 * Logs a client's connection lifecycle through `logger`, once per state change: the first error of
 * an outage is a warning, the retries that follow are debug-level, and the recovery is one info line.
 * Also guarantees an `error` listener exists, without which ioredis prints every failed attempt.
 */
function watchConnection(client: Redis, logger: Logger, name: string): Redis {
  const log = logger.child({ component: 'redis', connection: name });
  let down = false;
  let attempts = 0;
  client.on('ready', () => {
    if (down) log.info({ attempts }, 'redis connection restored');
    else log.debug('redis connection ready');
    down = false;
    attempts = 0;
  });
  client.on('error', (err: Error) => {
    if (down) {
      log.debug({ err }, 'redis connection still failing');
      return;
    }
    down = true;
    log.warn({ err }, 'redis connection error; reconnecting in the background');
  });
  client.on('reconnecting', (delay: number) => {
    attempts += 1;
    if (down) {
      log.debug({ delay, attempts }, 'redis reconnecting');
      return;
    }
    // A server-side close (restart, failover, CLIENT KILL) arrives without an error event.
    down = true;
    log.warn({ delay }, 'redis connection lost; reconnecting in the background');
  });
  client.on('end', () => log.debug('redis connection closed'));
  return client;
}

/**
 * A long-lived Redis connection for a service (STYLE 6: create once per process, pass it in).
 * Nothing happens until the first command or an explicit `await client.connect()`.
 * `name` is set as the CLIENT SETNAME so `CLIENT LIST` shows which component owns the connection.
 */
export function createRedisClient(url: string, logger: Logger, name: string): Redis {
  return watchConnection(new Redis(url, serviceOptions(name)), logger, name);
}

/**
 * Another connection with the same server and options as `source`, for work that cannot share a
 * connection: SUBSCRIBE mode, or blocking reads (XREADGROUP BLOCK) that would stall every command
 * queued behind them.
 *
 * `subscriber`: a connection for SUBSCRIBE only, without ioredis's ready check. ioredis 5 (since
 * 5.8.2, ioredis#2037) writes the check's INFO only once the other handshake commands answered,
 * while a command issued during the handshake (status `connect`) goes out at once: a SUBSCRIBE
 * sent then puts the connection in subscriber mode first, ioredis refuses the INFO, fails the
 * connection and rejects the SUBSCRIBE. The check only waits for a server still loading its data,
 * which SUBSCRIBE does not need.
 */
export function duplicateRedisClient(
  source: Redis,
  logger: Logger,
  name: string,
  options: { subscriber?: boolean } = {},
): Redis {
  const overrides: RedisOptions = { connectionName: name };
  if (options.subscriber) overrides.enableReadyCheck = false;
  return watchConnection(source.duplicate(overrides), logger, name);
}

/**
 * Closes a connection: QUIT (pending replies are delivered first) when it is up, bounded by
 * `timeoutMs`; an immediate disconnect when it is down, so shutdown never waits on a dead server.
 */
export async function closeRedisClient(client: Redis, timeoutMs = 1_000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    disconnectNow(client);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([client.quit().then(() => undefined), timedOut]);
  } catch {
    // QUIT failing means the connection is already gone; disconnect below makes it final.
  } finally {
    clearTimeout(timer);
    disconnectNow(client);
  }
}

/**
 * Drops the connection without waiting for replies. Skipped when it is already closed: ioredis would
 * otherwise arm its "force destroy" timer on the dead socket, keeping the process alive meanwhile.
 */
export function disconnectNow(client: Redis): void {
  if (client.status !== 'end') client.disconnect();
}

/**
 * Whether a Redis server answers PING at `url` within `timeoutMs`. One attempt, no retries, no log
 * output: for readiness probes and for tests deciding whether the Redis half of a suite can run.
 */
export async function isRedisReachable(url: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectionName: 'reachability-probe',
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {
    // The result is the answer; connection errors are expected here and not worth a log line.
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const probe = (async () => {
    await client.connect();
    return (await client.ping()) === 'PONG';
  })().catch(() => false);
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
    disconnectNow(client);
  }
}
