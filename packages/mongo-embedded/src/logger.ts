/** The logging interface the server writes to: a subset of pino's, silent by default. */
export interface LogFn {
  (message: string): void;
  (fields: object, message?: string): void;
}

export interface Logger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}

const noop: LogFn = () => undefined;

export const silentLogger: Logger = { info: noop, warn: noop, error: noop, debug: noop };
