/**
 * Server-side cursors: results are materialised when the query runs and handed out in batches
 * (101 documents first by default, then `batchSize`, never more than ~16 MB per batch). Idle
 * cursors expire after `cursorTimeoutMs`; unknown, killed or expired ids give CursorNotFound (43).
 */
import { calculateObjectSize, Long } from 'bson';
import { CommandError, Codes } from './errors.js';
import type { Doc } from './values.js';

export const DEFAULT_FIRST_BATCH = 101;
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;

interface Cursor {
  readonly id: Long;
  readonly ns: string;
  readonly docs: Doc[];
  pos: number;
  lastUse: number;
  readonly sessionKey: string | undefined;
}

export interface Batch {
  readonly batch: Doc[];
  /** 0 when the cursor is exhausted (and closed). */
  readonly id: Long;
}

function takeBatch(docs: Doc[], pos: number, limit: number | undefined): Doc[] {
  const out: Doc[] = [];
  let bytes = 0;
  for (let i = pos; i < docs.length; i++) {
    if (limit !== undefined && out.length >= limit) break;
    const doc = docs[i] as Doc;
    // The first document always goes in; its size only matters when another one may follow.
    const last = i === docs.length - 1 || (limit !== undefined && limit <= 1);
    if (out.length === 0 && last) {
      out.push(doc);
      break;
    }
    const size = calculateObjectSize(doc);
    if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    out.push(doc);
  }
  return out;
}

function randomId(): Long {
  const high = Math.floor(Math.random() * 0x7fffffff);
  const low = Math.floor(Math.random() * 0x100000000) | 0;
  const id = Long.fromBits(low, high);
  return id.isZero() ? Long.ONE : id;
}

export class CursorManager {
  private readonly cursors = new Map<string, Cursor>();
  private readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.cursors.size;
  }

  /**
   * Serves the first batch of `docs`; keeps a cursor open only when documents remain and the
   * caller did not ask for a single batch.
   */
  open(
    ns: string,
    docs: Doc[],
    batchSize: number | undefined,
    singleBatch: boolean,
    sessionKey?: string,
  ): Batch {
    const batch = takeBatch(docs, 0, batchSize ?? DEFAULT_FIRST_BATCH);
    if (batch.length >= docs.length || singleBatch) return { batch, id: Long.ZERO };
    let id = randomId();
    while (this.cursors.has(id.toString())) id = randomId();
    this.cursors.set(id.toString(), { id, ns, docs, pos: batch.length, lastUse: Date.now(), sessionKey });
    return { batch, id };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): Batch {
    const cursor = this.cursors.get(id.toString());
    if (!cursor) throw new CommandError(Codes.CursorNotFound, `cursor id ${id.toString()} not found`);
    if (cursor.ns !== ns) {
      throw new CommandError(
        Codes.Unauthorized,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    const batch = takeBatch(cursor.docs, cursor.pos, batchSize && batchSize > 0 ? batchSize : undefined);
    cursor.pos += batch.length;
    cursor.lastUse = Date.now();
    if (cursor.pos >= cursor.docs.length) {
      this.cursors.delete(id.toString());
      return { batch, id: Long.ZERO };
    }
    return { batch, id: cursor.id };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) {
      if (this.cursors.delete(id.toString())) killed.push(id);
      else notFound.push(id);
    }
    return { killed, notFound };
  }

  killSession(sessionKey: string): void {
    for (const [key, cursor] of this.cursors) if (cursor.sessionKey === sessionKey) this.cursors.delete(key);
  }

  sweep(now = Date.now()): void {
    for (const [key, cursor] of this.cursors)
      if (now - cursor.lastUse > this.timeoutMs) this.cursors.delete(key);
  }

  clear(): void {
    this.cursors.clear();
  }
}
