/**
 * The documents of one TTL index by date, soonest first, so the TTL monitor takes the expired ones
 * without reading the collection: MongoDB's monitor walks its TTL index in key order the same way.
 * A binary min-heap with lazy deletion: `current` holds each indexed document's earliest date, and
 * heap entries that no longer match it (the document was removed, or its date changed) are dropped
 * when they come up, or all at once when they outnumber the live ones.
 */
export class ExpiryQueue {
  private readonly current = new Map<string, number>();
  private heap: { at: number; id: string }[] = [];

  /** Schedules `id` at `at` (ms since the epoch), replacing any date it had. */
  set(id: string, at: number): void {
    this.current.set(id, at);
    this.push({ at, id });
    if (this.heap.length > 2 * this.current.size + 64) this.rebuild();
  }

  delete(id: string): void {
    this.current.delete(id);
  }

  clear(): void {
    this.current.clear();
    this.heap = [];
  }

  /**
   * Removes and returns the documents dated at or before `limitMs`, soonest first. One that is
   * not deleted after all (locked by a transaction) is put back with {@link set}.
   */
  takeDue(limitMs: number): { id: string; at: number }[] {
    const due: { id: string; at: number }[] = [];
    while (this.heap.length > 0 && this.heap[0]!.at <= limitMs) {
      const entry = this.pop();
      if (this.current.get(entry.id) !== entry.at) continue;
      this.current.delete(entry.id);
      due.push(entry);
    }
    return due;
  }

  private rebuild(): void {
    this.heap = [];
    for (const [id, at] of this.current) this.push({ at, id });
  }

  private push(entry: { at: number; id: string }): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): { at: number; id: string } {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** The earliest date among a field's values (array elements included), in ms; none: undefined. */
export function earliestDate(values: unknown[]): number | undefined {
  let min: number | undefined;
  const visit = (v: unknown): void => {
    if (v instanceof Date) {
      const t = v.getTime();
      if (min === undefined || t < min) min = t;
    } else if (Array.isArray(v)) {
      for (const el of v) visit(el);
    }
  };
  for (const v of values) visit(v);
  return min;
}
