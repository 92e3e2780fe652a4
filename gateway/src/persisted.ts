import type { NextFunction, Request, Response } from 'express';
import { parse } from 'graphql';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const PERSISTED_QUERY_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The operations an allowlisted gateway runs, by the APQ hash of their text (sha256, hex).
 * Manifest files are either a JSON object `{ "<sha256>": "<document>" }` or Apollo's persisted
 * query manifest (`{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`).
 */
export class PersistedOperations {
  private constructor(private readonly byHash: ReadonlyMap<string, string>) {}

  /** Checks every entry: the key must be the document's sha256 and the document must parse. */
  static fromManifest(manifest: unknown, origin = 'manifest'): PersistedOperations {
    let entries: Array<[string, unknown]>;
    const apollo = manifest as { format?: unknown; operations?: unknown };
    if (apollo && typeof apollo === 'object' && Array.isArray(apollo.operations)) {
      entries = apollo.operations.map((op: { id?: unknown; body?: unknown }) => [String(op.id), op.body]);
    } else if (manifest && typeof manifest === 'object' && !Array.isArray(manifest)) {
      entries = Object.entries(manifest);
    } else {
      throw new Error(`${origin}: expected an object of sha256 → document`);
    }
    const byHash = new Map<string, string>();
    for (const [hash, document] of entries) {
      if (typeof document !== 'string') throw new Error(`${origin}: the operation ${hash} is not a string`);
      if (sha256Hex(document) !== hash.toLowerCase()) {
        throw new Error(
          `${origin}: ${hash} is not the sha256 of its document (it is ${sha256Hex(document)})`,
        );
      }
      try {
        parse(document);
      } catch (error) {
        throw new Error(`${origin}: the operation ${hash} does not parse: ${(error as Error).message}`);
      }
      byHash.set(hash.toLowerCase(), document);
    }
    return new PersistedOperations(byHash);
  }

  static fromFile(path: string): PersistedOperations {
    return PersistedOperations.fromManifest(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
  }

  get size(): number {
    return this.byHash.size;
  }

  /**
   * The document to run for a request in allowlist mode: its own text when that is in the list,
   * the listed document for a hash-only (APQ) request; otherwise an error message for the client.
   */
  resolve(query: unknown, sha256Hash: unknown): { query?: string } | { error: string } {
    if (typeof query === 'string' && query !== '') {
      return this.byHash.has(sha256Hex(query))
        ? { query }
        : { error: 'This gateway only runs persisted operations, and this operation is not one of them' };
    }
    if (typeof sha256Hash === 'string') {
      const listed = this.byHash.get(sha256Hash.toLowerCase());
      return listed ? { query: listed } : { error: `No persisted operation has the hash ${sha256Hash}` };
    }
    return {};
  }
}

function notInList(message: string) {
  return { message, extensions: { code: PERSISTED_QUERY_NOT_IN_LIST } };
}

function hashOf(extensions: unknown): unknown {
  return (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery
    ?.sha256Hash;
}

/**
 * Allowlist mode on `/graphql`, before parsing: a POST body (or each operation of a batch) or a
 * GET query string must carry a listed document or the hash of one (the document is filled in);
 * anything else is refused with 400 PERSISTED_QUERY_NOT_IN_LIST.
 */
export function allowlistMiddleware(operations: PersistedOperations) {
  return (req: Request, res: Response, next: NextFunction) => {
    const refuse = (message: string) => {
      res.status(400).json({ errors: [notInList(message)] });
    };
    if (req.method === 'GET') {
      const [path, search = ''] = req.url.split('?', 2) as [string, string | undefined];
      const params = new URLSearchParams(search);
      if (!params.has('query') && !params.has('extensions')) return next();
      let extensions: unknown;
      try {
        extensions = params.has('extensions') ? JSON.parse(params.get('extensions') ?? '') : undefined;
      } catch {
        return next();
      }
      const resolved = operations.resolve(params.get('query'), hashOf(extensions));
      if ('error' in resolved) return refuse(resolved.error);
      if (resolved.query !== undefined && params.get('query') !== resolved.query) {
        params.set('query', resolved.query);
        req.url = `${path}?${params.toString()}`;
      }
      return next();
    }
    const items: unknown[] = Array.isArray(req.body) ? (req.body as unknown[]) : [req.body];
    for (const item of items) {
      if (!item || typeof item !== 'object') continue;
      const request = item as { query?: unknown; extensions?: unknown };
      const resolved = operations.resolve(request.query, hashOf(request.extensions));
      if ('error' in resolved) return refuse(resolved.error);
      if (resolved.query !== undefined) request.query = resolved.query;
    }
    return next();
  };
}
