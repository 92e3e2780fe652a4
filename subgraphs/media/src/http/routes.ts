import type { SubgraphServer } from '@social/kit';
import type { Express, NextFunction, Request, Response } from 'express';
import type { MediaDeps } from '../deps.js';
import { downloadHandler } from './download.js';
import { uploadHandler } from './upload.js';

/**
 * Browsers upload and fetch straight from the media service (uploads do not pass through the
 * gateway), so its routes answer cross-origin requests. No cookies are involved: the bearer token
 * travels in `Authorization`, which `*` origins may send when it is listed as allowed.
 */
function cors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader(
    'access-control-expose-headers',
    'ETag, Content-Range, Content-Length, Accept-Ranges, Retry-After',
  );
  if (req.method === 'OPTIONS') {
    res.setHeader('access-control-allow-methods', 'GET, HEAD, PUT');
    res.setHeader(
      'access-control-allow-headers',
      'Authorization, Content-Type, Range, If-None-Match, If-Range',
    );
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
    return;
  }
  next();
}

/** The upload and download routes, and the origin in URLs once the server listens. */
export function mountMediaRoutes(app: Express, deps: MediaDeps, server: SubgraphServer): void {
  server.httpServer.on('listening', () => deps.origin.listening(server.httpServer.address()));
  app.use('/media', cors);
  app.put('/media/upload/:token', uploadHandler(deps));
  app.get('/media/:id/:variant', downloadHandler(deps));
}
