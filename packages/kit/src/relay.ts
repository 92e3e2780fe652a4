import type { Logger } from './logger.js';

/** A background loop that runs passes on demand (kick) and on a timer, one pass at a time. */
export interface RelayLoop {
  /** Runs a pass soon (coalesced with the one running, if any). */
  kick(): void;
  /** Runs passes until one finds nothing new to do; resolves with the summed pass results. */
  drain(): Promise<number>;
  /** Stops the timer and waits for the pass in flight. */
  stop(): Promise<void>;
  /** Whether stop() was called (a long pass checks it between batches). */
  readonly stopped: boolean;
}

/**
 * The engine of a transactional outbox relay (auth's on PostgreSQL, the Mongo services' in
 * mongo-store.ts): `pass` publishes what is pending and returns how much it did. A kick during a
 * pass schedules one more pass, so work enqueued meanwhile is never left waiting for the timer;
 * the timer covers crash recovery (work committed while no relay ran).
 */
export function startRelayLoop(options: {
  pass: () => Promise<number>;
  pollMs: number;
  logger: Logger;
}): RelayLoop {
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = false;

  function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await options.pass();
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const kick = () => {
    if (stopped) return;
    drain().catch((error: unknown) => options.logger.error({ err: error }, 'relay pass failed'));
  };
  const timer = setInterval(kick, options.pollMs);
  timer.unref();
  kick();

  return {
    kick,
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
    get stopped() {
      return stopped;
    },
  };
}
