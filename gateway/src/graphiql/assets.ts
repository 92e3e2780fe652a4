import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The files the GraphiQL page loads, all from npm packages installed with the gateway (or this
 * folder): nothing comes from a CDN, so the page works on a machine without internet.
 * React 18's UMD builds are the ones graphiql 3's UMD bundle expects as globals.
 */
const ASSET_SOURCES = {
  'react.js': { package: 'react', file: 'umd/react.production.min.js' },
  'react-dom.js': { package: 'react-dom', file: 'umd/react-dom.production.min.js' },
  'graphiql.js': { package: 'graphiql', file: 'graphiql.min.js' },
  'graphiql.css': { package: 'graphiql', file: 'graphiql.min.css' },
  'graphql-ws.js': { package: 'graphql-ws', file: 'umd/graphql-ws.min.js' },
  'app.js': { local: 'client/graphiql-app.js' },
  'app.css': { local: 'client/graphiql-app.css' },
} as const;

export type AssetName = keyof typeof ASSET_SOURCES;

interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Short content hash: part of the URL, so the files can be cached for a year. */
  readonly hash: string;
  gzipped?: Buffer;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

function sourcePath(source: (typeof ASSET_SOURCES)[AssetName]): string {
  if ('local' in source) return fileURLToPath(new URL(source.local, import.meta.url));
  return join(packageDir(source.package), source.file);
}

/** The maps are not served, so their comments go too (devtools would ask for them and get 404s). */
const SOURCE_MAP_COMMENT = /\n?\/[/*][#@] sourceMappingURL=[^\n]*\s*$/;

export class GraphiqlAssets {
  private readonly assets = new Map<string, Asset>();

  /** Reads every asset once (throws at gateway start if a package is missing). */
  constructor() {
    for (const [name, source] of Object.entries(ASSET_SOURCES)) {
      const text = readFileSync(sourcePath(source), 'utf8').replace(SOURCE_MAP_COMMENT, '\n');
      const body = Buffer.from(text);
      this.assets.set(name, {
        body,
        contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
        hash: createHash('sha256').update(body).digest('hex').slice(0, 16),
      });
    }
  }

  /** The URL path of an asset under `base` (e.g. `/graphiql/0123abcd/graphiql.js`). */
  path(base: string, name: AssetName): string {
    const asset = this.assets.get(name);
    if (!asset) throw new Error(`Unknown GraphiQL asset ${name}`);
    return `${base}/${asset.hash}/${name}`;
  }

  /** Serves `<base>/<hash>/<name>`; 404 for anything else, including an outdated hash. */
  handle(req: Request, res: Response): void {
    const { hash, name } = req.params as { hash?: string; name?: string };
    const asset = name === undefined ? undefined : this.assets.get(name);
    if (!asset || asset.hash !== hash) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.setHeader('Content-Type', asset.contentType);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.acceptsEncodings('gzip') === 'gzip') {
      asset.gzipped ??= gzipSync(asset.body);
      res.setHeader('Content-Encoding', 'gzip');
      res.end(asset.gzipped);
      return;
    }
    res.end(asset.body);
  }
}
