import { PubSubOverflowError, type PubSub } from './pubsub.js';

/**
 * The source of a subscription with per-subscriber rules: a pub/sub iterator turned into the
 * events one subscriber receives (reordered, filtered, looked up, emitted on timers), handled one
 * at a time. Chat's conversation streams and notification's counts are built on it.
 */

export interface PumpControl<O> {
  /** Queues an event for the subscriber. */
  emit(value: O): void;
  /** Ends the stream once the queued events are delivered. */
  end(): void;
  /** Runs `task` after the handling in progress (timers), one task at a time. */
  run(task: () => Promise<void> | void): void;
}

/**
 * Events a subscriber may fall behind by before its stream fails (PubSubOverflowError, as the
 * pub/sub iterators do) and the client resubscribes and resyncs.
 */
const MAX_QUEUED = 5_000;

/**
 * An async iterator fed by a loop over `source`: each input goes through `handle` (one at a time,
 * with timer tasks serialised between them), which emits zero or more outputs. `return()` ends it
 * at once and unsubscribes the source, whatever the loop is waiting for, so a client leaving
 * never waits for the next event to free its subscription.
 */
export class Pump<I, O> implements AsyncIterableIterator<O> {
  private queue: O[] = [];
  private readonly waiters: Array<{ resolve(r: IteratorResult<O>): void; reject(e: unknown): void }> = [];
  private ending = false;
  private closed = false;
  private failure: unknown = undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly cleanups: Array<() => unknown> = [];
  readonly control: PumpControl<O>;

  /** `name` labels the stream in the overflow error (e.g. `chat subscription`). */
  constructor(
    private readonly source: AsyncIterator<I>,
    handle: (input: I, control: PumpControl<O>) => Promise<void> | void,
    private readonly name = 'subscription',
  ) {
    this.control = {
      emit: (value) => this.emit(value),
      end: () => this.finish(),
      run: (task) => {
        this.serial(task).catch((error: unknown) => this.fail(error));
      },
    };
    void this.loop(handle);
  }

  /** Runs `cleanup` once, when the stream ends for any reason. */
  onEnd(cleanup: () => unknown): void {
    if (this.closed) void cleanup();
    else this.cleanups.push(cleanup);
  }

  next(): Promise<IteratorResult<O>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as O, done: false });
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ending || this.closed) {
      this.close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<O>> {
    this.queue = [];
    this.failure = undefined;
    this.close();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<O>> {
    this.close();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async loop(handle: (input: I, control: PumpControl<O>) => Promise<void> | void): Promise<void> {
    try {
      for (;;) {
        const result = await this.source.next();
        if (result.done || this.ending || this.closed) break;
        await this.serial(() => handle(result.value, this.control));
      }
      this.finish();
    } catch (error) {
      this.fail(error);
    }
  }

  private serial(task: () => Promise<void> | void): Promise<void> {
    const next = this.chain.then(() => (this.ending || this.closed ? undefined : task()));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private emit(value: O): void {
    if (this.ending || this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value, done: false });
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.fail(new PubSubOverflowError(this.name, MAX_QUEUED));
      return;
    }
    this.queue.push(value);
  }

  /** Ends after the queued events: pending pulls resolve done, the source is released. */
  private finish(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    void this.source.return?.();
    if (this.queue.length === 0) this.close();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.reject(error);
    else this.failure = error;
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ending = true;
    void this.source.return?.();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        void Promise.resolve(cleanup()).catch(() => undefined);
      } catch {
        // A cleanup failing must not keep the others from running.
      }
    }
  }
}

/**
 * `source` (a pub/sub iterator) once its registration is live, so nothing published after this
 * resolves is missed; the iterator is released when registering fails.
 */
export async function liveSource<T>(
  pubsub: Pick<PubSub, 'ready'>,
  source: AsyncIterableIterator<T>,
): Promise<AsyncIterableIterator<T>> {
  try {
    await pubsub.ready(source);
    return source;
  } catch (error) {
    await source.return?.();
    throw error;
  }
}
