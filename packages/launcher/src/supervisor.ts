/**
 * Runs several service processes as one unit (`cli.js all`): their output interleaved line by
 * line with a `[name]` prefix, and one fate for all of them. A child that exits on its own takes
 * the others down and the supervisor reports failure, so an orchestrator restarts the whole unit
 * instead of serving a supergraph with a subgraph missing; a requested stop sends SIGTERM to every
 * child, waits for their graceful shutdowns and reports success only if each one finished cleanly.
 */
import type { Logger } from '@social/kit';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ChildSpec {
  /** Short name, used as the log prefix (`[chat]`). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface ChildExit {
  readonly name: string;
  readonly pid: number | undefined;
  /** Exit code, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether it exited before anyone asked it to (a crash, or a failed start). */
  readonly unexpected: boolean;
}

export interface SupervisorOptions {
  readonly children: readonly ChildSpec[];
  readonly logger: Logger;
  /** How long a stop waits for the children's graceful shutdowns before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Where prefixed child output goes (default: this process's stdout and stderr). */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
}

export interface Supervisor {
  /** Process ids of the children, by name (undefined for one that failed to spawn). */
  readonly pids: ReadonlyMap<string, number | undefined>;
  /**
   * Stops every running child with SIGTERM (SIGKILL past the timeout); resolves with the exit code
   * the supervisor should exit with. Idempotent: a second call returns the same promise.
   */
  stop(reason: string): Promise<number>;
  /** Sends SIGKILL to every child still running (a second Ctrl-C). */
  kill(): void;
  /**
   * Resolves once every child has exited, with the supervisor's exit code: 0 after a requested stop
   * in which every child exited 0 (or was ended by the SIGTERM itself, before it could handle it);
   * 1 when a child exited on its own, exited non-zero, or had to be killed.
   */
  readonly done: Promise<number>;
  /** How each child exited, in the order they did. */
  readonly exits: readonly ChildExit[];
}

/** Copies a stream line by line to `out`, each line prefixed (a partial last line is completed). */
function pipeLines(input: Readable, out: Writable, prefix: string): void {
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => out.write(`${prefix}${line}\n`));
}

export function supervise(options: SupervisorOptions): Supervisor {
  const { logger } = options;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const width = Math.max(...options.children.map((child) => child.name.length));
  const running = new Map<string, ChildProcess>();
  const pids = new Map<string, number | undefined>();
  const exits: ChildExit[] = [];
  let stopRequested = false;
  let killed = false;
  let stopping: Promise<number> | undefined;

  let resolveAllExited!: () => void;
  const allExited = new Promise<void>((resolve) => (resolveAllExited = resolve));
  const exitCode = () => {
    const clean = exits.every(
      (exit) => !exit.unexpected && (exit.code === 0 || (exit.code === null && exit.signal === 'SIGTERM')),
    );
    return clean && !killed ? 0 : 1;
  };
  const done = allExited.then(exitCode);

  const onExit = (
    spec: ChildSpec,
    pid: number | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
  ) => {
    if (!running.has(spec.name)) return;
    running.delete(spec.name);
    const unexpected = !stopRequested;
    exits.push({ name: spec.name, pid, code, signal, unexpected });
    const fields = { service: spec.name, pid, code, signal };
    if (unexpected) {
      logger.error(fields, `${spec.name} exited unexpectedly; stopping the other services`);
      void stop(`${spec.name} exited`);
    } else if (code === 0 || signal === 'SIGTERM') {
      logger.info(fields, `${spec.name} stopped`);
    } else {
      logger.error(fields, `${spec.name} did not stop cleanly`);
    }
    if (running.size === 0) resolveAllExited();
  };

  for (const spec of options.children) {
    const child = spawn(spec.command, [...spec.args], { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.set(spec.name, child);
    pids.set(spec.name, child.pid);
    const prefix = `[${spec.name.padEnd(width)}] `;
    pipeLines(child.stdout, stdout, prefix);
    pipeLines(child.stderr, stderr, prefix);
    // 'close' comes after the child's output has been read to the end, so no log line is lost.
    child.on('close', (code, signal) => onExit(spec, child.pid, code, signal));
    child.on('error', (error) => {
      logger.error({ err: error, service: spec.name }, `cannot run ${spec.name}`);
      // A process that never spawned emits no 'close'.
      if (child.pid === undefined) onExit(spec, undefined, null, null);
    });
    logger.info(
      { service: spec.name, pid: child.pid, command: [spec.command, ...spec.args].join(' ') },
      'started',
    );
  }

  const stop = (reason: string): Promise<number> => {
    stopping ??= (async () => {
      stopRequested = true;
      if (running.size > 0) logger.info({ reason, services: [...running.keys()] }, 'stopping services');
      for (const child of running.values()) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: options.stopTimeoutMs, services: [...running.keys()] }, 'stop timed out');
        kill();
      }, options.stopTimeoutMs);
      timer.unref();
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  const kill = () => {
    if (running.size === 0) return;
    killed = true;
    for (const child of running.values()) child.kill('SIGKILL');
  };

  if (options.children.length === 0) resolveAllExited();
  return { pids, stop, kill, done, exits };
}
