import type { Response } from 'express';

/** The JSON error of the media HTTP routes: `{ error: { code, message } }`. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json({ error: { code, message } });
}
