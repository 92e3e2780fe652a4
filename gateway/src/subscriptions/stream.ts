import type { ExecutionResult } from 'graphql';
import type { UpstreamEvent, UpstreamFailure, UpstreamSink } from './upstream.js';

export interface EventStreamOptions {
  /** Turns one upstream event into the client's result (runs the rest of the plan). */
  readonly resolve: (event: UpstreamEvent) => Promise<ExecutionResult>;
  /** The last result before the stream ends because the upstream failed. */
  readonly failure: (failure: UpstreamFailure) => ExecutionResult;
  /** Events waiting to be resolved and taken by the client before `onOverflow`. */
  readonly maxQueued: number;
  /** Called once when the client falls more than `maxQueued` events behind. */
  readonly onOverflow: () => void;
}

/**
 * The client's side of one federated subscription: upstream events are queued (bounded) and each
 * is resolved when the client's socket takes the previous one, so results stay in order and a slow
 * client cannot make the gateway buffer without bound. Ending it (client unsubscribed or left)
 * ends the upstream operation.
 */
export class EventStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queued: UpstreamEvent[] = [];
  private ending: ExecutionResult | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private stopUpstream: (() => void) | undefined;
  private overflowed = false;

  constructor(private readonly options: EventStreamOptions) {}

  /** Attaches the upstream operation this stream ends when the client leaves. */
  attach(stopUpstream: () => void): void {
    if (this.ended) stopUpstream();
    else this.stopUpstream = stopUpstream;
  }

  /** Where the upstream operation delivers. */
  readonly sink: UpstreamSink = {
    next: (event) => {
      if (this.ended) return;
      this.queued.push(event);
      if (this.queued.length > this.options.maxQueued && !this.overflowed) {
        this.overflowed = true;
        this.options.onOverflow();
      }
      this.signal();
    },
    error: (failure) => {
      if (this.ended) return;
      this.ending = this.options.failure(failure);
      this.ended = true;
      this.stopUpstream = undefined;
      this.signal();
    },
    complete: () => {
      if (this.ended) return;
      this.ended = true;
      this.stopUpstream = undefined;
      this.signal();
    },
  };

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      const event = this.queued.shift();
      if (event) return { done: false, value: await this.options.resolve(event) };
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
    const stop = this.stopUpstream;
    this.stopUpstream = undefined;
    stop?.();
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
