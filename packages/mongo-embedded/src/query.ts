/**
 * Query execution shared by find, count, distinct, updates, deletes and aggregation's leading
 * `$match`: plan, scan candidates, filter with mingo on the query form, `$text`, sort, skip, limit.
 */
import type { Rec } from './collection.js';
import { CommandError, Codes } from './errors.js';
import type { Index } from './indexes.js';
import { compileFilter } from './mingo.js';
import { plan, scan, type Plan } from './planner.js';
import { parseSort, sortBy } from './sort.js';
import { parseSearch, type TextSearch } from './text.js';
import { isPlainObject, type Doc } from './values.js';
import type { CollectionView } from './view.js';

export interface QueryOptions {
  readonly sort?: unknown;
  readonly skip?: number | undefined;
  readonly limit?: number | undefined;
  readonly variables?: Doc | undefined;
}

export interface ExecStats {
  keysExamined: number;
  docsExamined: number;
  nReturned: number;
  timeMs: number;
}

export interface QueryResult {
  readonly recs: Rec[];
  /** Text scores, when the filter had `$text`. */
  readonly scores: Map<Rec, number> | undefined;
  readonly plan: Plan | { readonly kind: 'TEXT'; readonly index: Index };
  readonly stats: ExecStats;
  /** The filter without `$text`. */
  readonly residual: Doc;
}

/** Splits a top-level `$text` (also inside a top-level `$and`) from the rest of the filter. */
export function extractText(filter: Doc): { search: Doc | undefined; rest: Doc } {
  let search: Doc | undefined;
  const rest: Doc = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$text') {
      if (!isPlainObject(value) || typeof value.$search !== 'string') {
        throw new CommandError(Codes.BadValue, '$text requires a $search string');
      }
      search = value;
    } else if (key === '$and' && Array.isArray(value)) {
      const kept: unknown[] = [];
      for (const clause of value) {
        if (isPlainObject(clause) && '$text' in clause) {
          const inner = extractText(clause);
          search = inner.search;
          if (Object.keys(inner.rest).length > 0) kept.push(inner.rest);
        } else {
          kept.push(clause);
        }
      }
      if (kept.length > 0) rest.$and = kept;
    } else {
      rest[key] = value;
    }
  }
  return { search, rest };
}

export function textIndexOf(view: CollectionView): Index | undefined {
  for (const index of view.coll?.indexes.values() ?? []) if (index.kind === 'text') return index;
  return undefined;
}

function requireTextIndex(view: CollectionView): Index {
  const index = textIndexOf(view);
  if (!index?.text) throw new CommandError(Codes.IndexNotFound, 'text index required for $text query');
  return index;
}

const EXPRESSION_OPERATORS = new Set(['$expr', '$where', '$function', '$jsonSchema']);

/** Whether a filter evaluates aggregation expressions or schemas anywhere in it. */
function evaluatesExpressions(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(evaluatesExpressions);
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).some(
    ([key, value]) => EXPRESSION_OPERATORS.has(key) || evaluatesExpressions(value),
  );
}

/** Runs a filter with sort/skip/limit against a view. */
export function runQuery(view: CollectionView, filter: unknown, options: QueryOptions = {}): QueryResult {
  const started = performance.now();
  if (filter !== undefined && filter !== null && !isPlainObject(filter)) {
    throw new CommandError(
      Codes.TypeMismatch,
      "BSON field 'filter' is the wrong type, expected type 'object'",
    );
  }
  const { search, rest } = extractText((filter as Doc | undefined) ?? {});
  const predicate = compileFilter(rest, options.variables);
  const sortKeys = parseSort(options.sort);
  const skip = Math.max(0, options.skip ?? 0);
  const limit = options.limit !== undefined && options.limit > 0 ? options.limit : undefined;
  const stats: ExecStats = { keysExamined: 0, docsExamined: 0, nReturned: 0, timeMs: 0 };

  let matched: Rec[] = [];
  /** Whether the candidates were sorted before filtering (so `matched` is in order already). */
  let sorted = false;
  let scores: Map<Rec, number> | undefined;
  let chosen: QueryResult['plan'];
  if (search) {
    const index = requireTextIndex(view);
    const parsed: TextSearch = parseSearch(String(search.$search));
    const text = index.text;
    scores = new Map();
    chosen = { kind: 'TEXT', index };
    if (text) {
      for (const rec of view.textCandidates(index, parsed)) {
        stats.keysExamined++;
        stats.docsExamined++;
        const score = text.score(rec.doc, parsed);
        if (score === undefined || !predicate(rec.q)) continue;
        scores.set(rec, score);
        matched.push(rec);
      }
    }
  } else {
    const p = plan(rest, view.coll);
    chosen = p;
    const candidates = scan(view, p);
    stats.keysExamined = candidates.keysExamined;
    const wanted = limit !== undefined ? skip + limit : Number.POSITIVE_INFINITY;
    let recs = candidates.recs;
    if (
      sortKeys.length > 0 &&
      p.kind !== 'COLLSCAN' &&
      Array.isArray(recs) &&
      (recs as Rec[]).length > 4 * wanted &&
      !evaluatesExpressions(rest)
    ) {
      // An index narrowed the candidates and few are wanted: sort them first (stable, so ties
      // keep natural order as before), then filter only until enough matched. The filter is the
      // costly part; MongoDB's blocking sort would have fetched every candidate too. Filters
      // with expressions are left to filter everything (an expression may fail on any document).
      recs = sortBy(recs as Rec[], sortKeys, (r) => r.q);
      sorted = true;
      stats.docsExamined = (recs as Rec[]).length;
    }
    // Without a sort (or sorted already), stop as soon as skip + limit documents matched.
    const stopAt = sortKeys.length === 0 || sorted ? wanted : Number.POSITIVE_INFINITY;
    for (const rec of recs) {
      if (!sorted) stats.docsExamined++;
      if (predicate(rec.q)) {
        matched.push(rec);
        if (matched.length >= stopAt) break;
      }
    }
  }
  if (sortKeys.length > 0 && !sorted) {
    const s = scores;
    matched = sortBy(
      matched,
      sortKeys,
      (r) => r.q,
      (r) => s?.get(r) ?? 0,
    );
  }
  if (skip > 0 || limit !== undefined)
    matched = matched.slice(skip, limit !== undefined ? skip + limit : undefined);
  stats.nReturned = matched.length;
  stats.timeMs = Math.round(performance.now() - started);
  return { recs: matched, scores, plan: chosen, stats, residual: rest };
}
