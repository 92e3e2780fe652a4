import type { ExecutionResult } from 'graphql';

export interface EventStreamOptions {
  /** Results waiting to be taken by the client before `onOverflow`. */
  readonly maxQueued: number;
  /** Called once when the client falls more than `maxQueued` results behind. */
  readonly onOverflow: () => void;
}

/**
 * The client's side of one federated subscription: the results of its upstream's events, queued
 * (bounded) in the order the events came, each handed over when the client's socket took the
 * previous one. Results are promises: an event is resolved once for every client sharing its
 * upstream (groups.ts), while each client is served at its own pace.
 * Ending it (client unsubscribed or left) calls the function given to `onEnd`.
 */
export class EventStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queued: Array<Promise<ExecutionResult>> = [];
  private ending: ExecutionResult | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private leave: (() => void) | undefined;
  private overflowed = false;

  constructor(private readonly options: EventStreamOptions) {}

  /** What to do when the client leaves before the upstream ended (leave its group). */
  onEnd(leave: () => void): void {
    if (this.ended) leave();
    else this.leave = leave;
  }

  /** The result of the upstream's next event. */
  push(result: Promise<ExecutionResult>): void {
    if (this.ended) return;
    this.queued.push(result);
    if (this.queued.length > this.options.maxQueued && !this.overflowed) {
      this.overflowed = true;
      this.options.onOverflow();
    }
    this.signal();
  }

  /** The upstream ended: after the queued results, `last` (if any), then the end of the stream. */
  finish(last?: ExecutionResult): void {
    if (this.ended) return;
    this.ending = last;
    this.ended = true;
    this.leave = undefined;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      const result = this.queued.shift();
      if (result) return { done: false, value: await result };
      if (this.ending) {
        const value = this.ending;
        this.ending = undefined;
        return { done: false, value };
      }
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.ended = true;
    this.ending = undefined;
    this.queued.length = 0;
    const leave = this.leave;
    this.leave = undefined;
    leave?.();
    this.signal();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
