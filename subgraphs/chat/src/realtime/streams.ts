import { PubSubOverflowError } from '@social/kit';

/**
 * The sources of the chat subscriptions: a pub/sub iterator turned into the events one
 * subscriber receives, with per-subscriber rules (ordering by sequence, typing expiry, presence
 * visibility, ending when the viewer is removed).
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
 * kit's own iterators do) and the client resubscribes and resyncs by sequence.
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

  constructor(
    private readonly source: AsyncIterator<I>,
    handle: (input: I, control: PumpControl<O>) => Promise<void> | void,
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
      this.fail(new PubSubOverflowError('chat subscription', MAX_QUEUED));
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

/** What the sequencer needs to know of an event. */
export interface SequencedEvent {
  readonly kind: string;
  readonly sequence?: number;
}

/**
 * Delivers a conversation's MessageAdded events in sequence order, exactly once each, whatever
 * order pub/sub brought them in (two instances publish independently after their commits, and
 * pub/sub may lose a message). Other events keep their arrival order relative to the messages
 * that arrived before them. `missing()` names the gap to read from the database when it lasts.
 */
export class Sequencer<E extends SequencedEvent> {
  private expected: number;
  private held: E[] = [];

  /** `lastSequence`: the conversation's last sequence when the subscriber started. */
  constructor(lastSequence: number) {
    this.expected = lastSequence + 1;
  }

  get waiting(): boolean {
    return this.held.length > 0;
  }

  /** Takes an event; returns the events now deliverable, in order. */
  push(event: E): E[] {
    this.held.push(event);
    return this.drain();
  }

  /** The sequences [from, to) missing before the first held message, or null. */
  missing(): { from: number; to: number } | null {
    const pending = this.held.filter((e) => e.kind === 'MessageAdded').map((e) => e.sequence ?? 0);
    if (pending.length === 0) return null;
    return { from: this.expected, to: Math.min(...pending) };
  }

  /** Gives up on a gap that cannot be filled: continues from the first held message. */
  skipGap(): E[] {
    const gap = this.missing();
    if (gap) this.expected = gap.to;
    return this.drain();
  }

  private drain(): E[] {
    const out: E[] = [];
    for (let progressed = true; progressed;) {
      progressed = false;
      for (let index = 0; index < this.held.length; index += 1) {
        const event = this.held[index] as E;
        if (event.kind === 'MessageAdded') {
          const sequence = event.sequence ?? 0;
          if (sequence > this.expected) continue;
          if (sequence === this.expected) {
            out.push(event);
            this.expected += 1;
          }
          // Older than expected: a duplicate, or from before the subscription started.
        } else if (index === 0) {
          out.push(event);
        } else {
          // Behind a message still missing: keeps its place.
          continue;
        }
        this.held.splice(index, 1);
        progressed = true;
        break;
      }
    }
    return out;
  }
}
