import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * After refusing an upload, the rest of its body is read and thrown away for at most this long
 * once the answer is sent ("lingering close", as nginx does): closing a connection the client is
 * still writing to resets it, and the reset can destroy the answer before the client read it.
 */
const LINGER_MS = 2_000;

/**
 * Pull-based reading of a request body, one chunk at a time with backpressure (the socket is
 * paused between pulls), so a body is never held in memory beyond the chunk being handled.
 * `discard()` stops reading for good: the rest is drained so the client can read the response
 * (a client still sending when the connection closes may never see it), but only up to a limit;
 * a client that keeps sending past it is disconnected.
 */
export class RequestBody {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private waiter: { resolve: () => void } | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.queue.push(chunk);
    this.request.pause();
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };
  private readonly onError = (error: Error) => {
    this.failure = error;
    this.wake();
  };
  private readonly onAborted = () => {
    this.failure ??= new Error('the client aborted the upload');
    this.wake();
  };

  constructor(private readonly request: IncomingMessage) {
    request.on('data', this.onData);
    request.on('end', this.onEnd);
    request.on('error', this.onError);
    request.on('aborted', this.onAborted);
    request.pause();
  }

  private wake() {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve();
  }

  /** The next chunk, or null at the end of the body; rejects when the client went away. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) return chunk;
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.waiter = { resolve };
        this.request.resume();
      });
    }
  }

  /** Stops reading: what the client still sends is discarded until shortly after `response` went out. */
  discard(response: ServerResponse): void {
    this.request.off('data', this.onData);
    this.queue.length = 0;
    if (this.ended || this.failure) return;
    this.request.on('data', () => undefined);
    this.request.resume();
    const cutOff = () => {
      const timer = setTimeout(() => {
        if (!this.request.complete) this.request.destroy();
      }, LINGER_MS);
      timer.unref();
      this.request.once('end', () => clearTimeout(timer));
    };
    if (response.writableFinished) cutOff();
    else response.once('finish', cutOff);
  }
}
