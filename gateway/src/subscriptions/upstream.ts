import type { Logger } from '@social/kit';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';

/** What a subgraph pushes for one operation. */
export interface UpstreamEvent {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

export interface UpstreamSink {
  next(event: UpstreamEvent): void;
  /** The subgraph refused or failed the operation (GraphQL errors), or is gone for good. */
  error(failure: UpstreamFailure): void;
  /** The subgraph ended the stream. */
  complete(): void;
}

export type UpstreamFailure =
  | { readonly kind: 'errors'; readonly errors: readonly GraphQLFormattedError[] }
  | { readonly kind: 'unavailable'; readonly detail: string };

export interface UpstreamOptions {
  /** graphql-ws connections per subgraph. */
  readonly connections: number;
  readonly retryAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly keepAliveMs: number;
  readonly logger: Logger;
}

interface Slot {
  readonly client: Client;
  operations: number;
  open: boolean;
}

function failureOf(error: unknown): UpstreamFailure {
  if (Array.isArray(error)) return { kind: 'errors', errors: error as GraphQLFormattedError[] };
  const { code, reason, message } = (error ?? {}) as { code?: number; reason?: string; message?: string };
  const detail =
    code !== undefined ? `closed ${code}${reason ? ` ${reason}` : ''}` : (message ?? 'connection failed');
  return { kind: 'unavailable', detail };
}

/**
 * A few graphql-ws connections to one subgraph that carry the operations of every client, each
 * with its own credentials in the subscribe payload's `extensions` (the subgraph verifies them per
 * operation). Connections open on first use and close when idle. When one drops (the subgraph
 * restarted), it reconnects with exponential backoff and graphql-ws subscribes its live operations
 * again; after the last attempt their sinks get an `unavailable` failure.
 */
export class UpstreamPool {
  private readonly slots: Slot[];

  constructor(
    readonly subgraph: string,
    readonly url: string,
    private readonly options: UpstreamOptions,
  ) {
    this.slots = Array.from({ length: Math.max(1, options.connections) }, () => this.createSlot());
  }

  private createSlot(): Slot {
    const { keepAliveMs, logger } = this.options;
    let pongTimer: NodeJS.Timeout | undefined;
    const slot: Slot = {
      operations: 0,
      open: false,
      client: createClient({
        url: this.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        // Opens with the first operation and closes with the last (no idle timer outliving a shutdown).
        lazy: true,
        lazyCloseTimeout: 0,
        keepAlive: keepAliveMs,
        retryAttempts: this.options.retryAttempts,
        // Connection refused (the subgraph is restarting) is an error event, not a close: retry both.
        shouldRetry: () => true,
        retryWait: (retries) => this.backoff(retries),
        on: {
          connected: () => {
            slot.open = true;
            logger.debug({ subgraph: this.subgraph }, 'upstream connected');
          },
          closed: (event) => {
            clearTimeout(pongTimer);
            if (slot.open) {
              const { code } = event as { code?: number };
              logger.info({ subgraph: this.subgraph, code, operations: slot.operations }, 'upstream closed');
            }
            slot.open = false;
          },
          // A subgraph that stops answering pings is cut off, which makes the client reconnect.
          ping: (received) => {
            if (received) return;
            clearTimeout(pongTimer);
            pongTimer = setTimeout(() => slot.client.terminate(), keepAliveMs);
            pongTimer.unref();
          },
          pong: (received) => {
            if (received) clearTimeout(pongTimer);
          },
        },
      }),
    };
    return slot;
  }

  private async backoff(retries: number): Promise<void> {
    const { retryBaseMs, retryMaxMs } = this.options;
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** retries);
    // Full jitter on half the delay: instances reconnecting after one restart spread out.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
  }

  /** Starts one operation on the least busy connection; the returned function ends it. */
  subscribe(payload: SubscribePayload, sink: UpstreamSink): () => void {
    const slot = this.slots.reduce((best, candidate) =>
      candidate.operations < best.operations ? candidate : best,
    );
    slot.operations += 1;
    let finished = false;
    const finish = () => {
      if (finished) return false;
      finished = true;
      slot.operations -= 1;
      return true;
    };
    const dispose = slot.client.subscribe<Record<string, unknown>>(payload, {
      next: (value) => {
        if (!finished) sink.next(value as UpstreamEvent);
      },
      error: (error) => {
        if (finish()) sink.error(failureOf(error));
      },
      complete: () => {
        if (finish()) sink.complete();
      },
    });
    return () => {
      finish();
      dispose();
    };
  }

  stats(): { connections: number; operations: number } {
    return {
      connections: this.slots.filter((slot) => slot.open).length,
      operations: this.slots.reduce((sum, slot) => sum + slot.operations, 0),
    };
  }

  async close(): Promise<void> {
    // dispose() rethrows how the last lazy connection ended (1000 "All Subscriptions Gone" once its
    // last operation finished): a connection already closed needs no closing, so that is no failure.
    await Promise.all(
      this.slots.map((slot) => Promise.resolve(slot.client.dispose()).catch(() => undefined)),
    );
  }
}

/** One pool per subgraph URL, made on first use. */
export class UpstreamPools {
  private readonly pools = new Map<string, UpstreamPool>();

  constructor(private readonly options: UpstreamOptions) {}

  get(subgraph: string, url: string): UpstreamPool {
    let pool = this.pools.get(url);
    if (!pool) {
      pool = new UpstreamPool(subgraph, url, this.options);
      this.pools.set(url, pool);
    }
    return pool;
  }

  /** Open connections and running operations per subgraph. */
  stats(): Record<string, { connections: number; operations: number }> {
    const stats: Record<string, { connections: number; operations: number }> = {};
    for (const pool of this.pools.values()) {
      const { connections, operations } = pool.stats();
      const entry = (stats[pool.subgraph] ??= { connections: 0, operations: 0 });
      entry.connections += connections;
      entry.operations += operations;
    }
    return stats;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
  }
}
