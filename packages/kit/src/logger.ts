import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  readonly name: string;
  readonly level?: string;
  /** Human-readable output for a terminal (pino-pretty); JSON lines otherwise. */
  readonly pretty?: boolean;
}

/** The root logger of a process; components take child loggers (`logger.child({ component })`). */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? 'info',
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.password',
        '*.token',
        '*.refreshToken',
      ],
      censor: '[redacted]',
    },
  };
  if (settings.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(options);
}

/** A logger that writes nothing: for tests that don't assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
