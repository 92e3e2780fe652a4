import type { Logger } from 'pino';

export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<unknown>;
}

export interface GracefulShutdownOptions {
  readonly logger: Logger;
  /** Whole shutdown budget; past it the process exits 1 with what was still running logged. */
  readonly timeoutMs: number;
  /** Run in order: first stop accepting and drain servers, then close clients they used. */
  readonly steps: readonly ShutdownStep[];
  readonly signals?: readonly NodeJS.Signals[];
  /** Injected for tests; defaults to process.exit. */
  readonly exit?: (code: number) => void;
}

/** Runs the steps in order within a time budget; resolves true when all finished cleanly. */
export async function runShutdown(
  steps: readonly ShutdownStep[],
  logger: Logger,
  timeoutMs: number,
): Promise<boolean> {
  let current = '(none)';
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      logger.error({ step: current, timeoutMs }, 'shutdown timed out');
      resolve(false);
    }, timeoutMs);
    timer.unref();
  });
  const sequence = (async () => {
    let clean = true;
    for (const step of steps) {
      current = step.name;
      try {
        await step.run();
        logger.debug({ step: step.name }, 'shutdown step done');
      } catch (error) {
        clean = false;
        logger.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    return clean;
  })();
  try {
    return await Promise.race([sequence, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Installs SIGTERM/SIGINT handlers: the first signal starts an orderly shutdown (exit 0 when every
 * step finished in time, 1 otherwise); a second signal, a second or more later, exits at once. Returns the trigger so a
 * process can also shut itself down (e.g. after a fatal error).
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): (reason: string) => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started: Promise<void> | undefined;
  let startedAt = 0;
  const shutdown = (reason: string): Promise<void> => {
    if (started) return started;
    startedAt = Date.now();
    options.logger.info({ reason }, 'shutting down');
    started = runShutdown(options.steps, options.logger, options.timeoutMs).then((clean) => {
      options.logger.info({ clean }, 'shutdown complete');
      exit(clean ? 0 : 1);
    });
    return started;
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      // A terminal's Ctrl-C reaches every process of the group, and runners such as tsx relay it
      // too: the same keypress can arrive twice. Only a later signal means "stop now".
      if (started && Date.now() - startedAt < 1_000) return;
      if (started) {
        options.logger.warn({ signal }, 'second signal, exiting now');
        exit(1);
        return;
      }
      void shutdown(signal);
    });
  }
  return shutdown;
}
