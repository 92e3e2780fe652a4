import { requestIdOf, type Logger } from '@social/kit';
import type { NextFunction, Request, Response } from 'express';

/** What one HTTP request did, filled in by the GraphQL plugin and logged when the response ends. */
export interface RequestRecord {
  readonly requestId: string;
  /** One entry per GraphQL operation (a batch has several). */
  readonly operations: Array<{ readonly name: string | null; readonly type: string | undefined }>;
  errorCount: number;
}

const RECORD = Symbol('gateway request record');

/** The record of a request, created by `accessLog` (which runs first for every request). */
export function requestRecordOf(res: Response): RequestRecord {
  const locals = res.locals as { [RECORD]?: RequestRecord };
  let record = locals[RECORD];
  if (!record) {
    record = { requestId: requestIdOf(res.req, res), operations: [], errorCount: 0 };
    locals[RECORD] = record;
  }
  return record;
}

// Probes and scrapes every few seconds would drown the access log; they log at debug level.
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * One structured log line per HTTP request when its response ends: request id (the client's sane
 * `x-request-id` or a new one, echoed in the response), operation names and types, HTTP status,
 * GraphQL error count, duration, client IP and user agent.
 */
export function accessLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const record = requestRecordOf(res);
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const names = record.operations.map((o) => o.name ?? 'anonymous');
      const types = record.operations.map((o) => o.type ?? 'unknown');
      // originalUrl: mounted routers rewrite req.url (and so req.path) while they run.
      const path = req.originalUrl.split('?', 1)[0] ?? req.originalUrl;
      const line = {
        requestId: record.requestId,
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 100) / 100,
        operationName: names.length > 0 ? names.join(',') : undefined,
        operationType: types.length > 0 ? types.join(',') : undefined,
        errorCount: record.errorCount,
        clientIp: req.ip,
        userAgent: req.get('user-agent'),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (QUIET_PATHS.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    };
    res.on('finish', log);
    res.on('close', log);
    next();
  };
}
