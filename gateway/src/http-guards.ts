import type { Logger } from '@social/kit';
import type { NextFunction, Request, Response } from 'express';
import { OPERATION_LIMIT_EXCEEDED } from './limits.js';

function graphqlErrors(res: Response, status: number, message: string, extensions: Record<string, unknown>) {
  res.status(status).json({ errors: [{ message, extensions }] });
}

/**
 * HTTP batching (a JSON array of operations): refused when `maxBatchSize` is 0, else bounded.
 * Each operation of an accepted batch still goes through every per-operation limit.
 */
export function batchGuard(maxBatchSize: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!Array.isArray(req.body)) return next();
    const size = (req.body as unknown[]).length;
    if (maxBatchSize === 0) {
      graphqlErrors(
        res,
        400,
        'Batched requests are disabled on this gateway: send one operation per request',
        {
          code: 'BAD_REQUEST',
          limit: 'batchSize',
        },
      );
      return;
    }
    if (size > maxBatchSize) {
      graphqlErrors(res, 400, `Batch of ${size} operations exceeds the limit of ${maxBatchSize}`, {
        code: OPERATION_LIMIT_EXCEEDED,
        limit: 'batchSize',
        value: size,
        max: maxBatchSize,
      });
      return;
    }
    next();
  };
}

/**
 * Errors raised before GraphQL runs (body parsing) as GraphQL-shaped JSON with the right status:
 * 413 for a body over the limit, 400 for malformed JSON; anything else is a logged 500.
 */
export function httpErrorHandler(logger: Logger, bodyLimit: string) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      graphqlErrors(res, 413, `Request body is larger than the ${bodyLimit} limit`, {
        code: 'PAYLOAD_TOO_LARGE',
        limit: 'bodySize',
        max: bodyLimit,
      });
      return;
    }
    if (type === 'entity.parse.failed') {
      graphqlErrors(res, 400, 'Request body is not valid JSON', { code: 'BAD_REQUEST' });
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      graphqlErrors(res, status, (error as Error).message, { code: 'BAD_REQUEST' });
      return;
    }
    logger.error({ err: error }, 'unhandled HTTP error');
    graphqlErrors(res, 500, 'Internal server error', { code: 'INTERNAL_SERVER_ERROR' });
  };
}
