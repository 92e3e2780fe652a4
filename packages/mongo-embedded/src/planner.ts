/**
 * Query planning: which index (if any) answers a filter's equality / `$in` conditions, and the
 * candidate records it yields. Candidates are a superset of the matches; the full filter is
 * always applied afterwards, so a plan only ever changes cost, never results.
 */
import type { Collection, Rec } from './collection.js';
import { encodeEquality, type Index } from './indexes.js';
import { toQueryForm } from './query-form.js';
import { bsonTag, formatValue, isPlainObject, valueKey, type Doc } from './values.js';
import type { CollectionView } from './view.js';

export type Plan =
  | { readonly kind: 'COLLSCAN' }
  | { readonly kind: 'IDHACK'; readonly keys: string[]; readonly values: unknown[] }
  | {
      readonly kind: 'IXSCAN';
      readonly index: Index;
      /** Encoded keys to look up. */
      readonly keys: string[];
      /** Whether `keys` are full compound keys (else leading-field keys). */
      readonly full: boolean;
      /** Equality values per field, for explain's index bounds. */
      readonly bounds: Record<string, unknown[]>;
    }
  | { readonly kind: 'OR'; readonly plans: Plan[] };

/** Values a field is constrained to equal (`{f: v}`, `{f: {$eq: v}}`, `{f: {$in: [...]}}`). */
type Equalities = Map<string, unknown[]>;

/** Values safe to look up by hash: scalars whose index key and query semantics agree. */
function indexable(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value) || value instanceof RegExp) return false;
  if (typeof value === 'object') {
    if (value instanceof Date) return true;
    const tag = bsonTag(value);
    if (tag === 'MinKey' || tag === 'MaxKey' || tag === 'BSONRegExp') return false;
    return !isPlainObject(value);
  }
  return typeof value !== 'number' || !Number.isNaN(value);
}

function addEquality(eq: Equalities, path: string, values: unknown[]): void {
  const existing = eq.get(path);
  if (!existing) {
    eq.set(path, values);
    return;
  }
  // Two constraints on the same field: only values allowed by both remain.
  const allowed = new Set(values.map(valueKey));
  eq.set(
    path,
    existing.filter((v) => allowed.has(valueKey(v))),
  );
}

function collectEqualities(filter: Doc, eq: Equalities): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const clause of cond) if (isPlainObject(clause)) collectEqualities(clause, eq);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (isPlainObject(cond)) {
      const ops = Object.keys(cond);
      if (ops.length === 0 || !(ops[0] as string).startsWith('$')) continue;
      if ('$eq' in cond && indexable(cond.$eq)) addEquality(eq, key, [cond.$eq]);
      if ('$in' in cond && Array.isArray(cond.$in) && cond.$in.length > 0 && cond.$in.every(indexable)) {
        addEquality(eq, key, cond.$in as unknown[]);
      }
      continue;
    }
    if (indexable(cond)) addEquality(eq, key, [cond]);
  }
}

function candidateCount(index: Index, keys: string[], full: boolean): number {
  let n = 0;
  for (const k of keys) n += (full ? index.lookupFull(k) : index.lookupLeading(k))?.size ?? 0;
  return n;
}

function cartesianKeys(lists: unknown[][]): string[] {
  let out: string[][] = [[]];
  for (const list of lists) {
    const next: string[][] = [];
    for (const prefix of out) for (const v of list) next.push([...prefix, encodeEquality(v)]);
    out = next;
    if (out.length > 10_000) return [];
  }
  return out.map((parts) => parts.join('|'));
}

function planAnd(filter: Doc, coll: Collection | undefined): Plan {
  const eq: Equalities = new Map();
  collectEqualities(filter, eq);
  if (eq.size === 0 || !coll) return { kind: 'COLLSCAN' };
  const ids = eq.get('_id');
  if (ids) return { kind: 'IDHACK', keys: ids.map(encodeEquality), values: ids };
  const candidates: { plan: Plan & { kind: 'IXSCAN' }; uniqueFull: boolean }[] = [];
  for (const index of coll.indexes.values()) {
    if (!index.usableForEquality) continue;
    const lead = index.fields[0];
    if (lead === undefined) continue;
    const leadValues = eq.get(lead);
    if (!leadValues) continue;
    const allFields = index.fields.every((f) => eq.has(f));
    const full = allFields && index.fields.length > 1;
    const keys = full
      ? cartesianKeys(index.fields.map((f) => eq.get(f) ?? []))
      : leadValues.map(encodeEquality);
    if (full && keys.length === 0) continue;
    const bounds: Record<string, unknown[]> = {};
    for (const f of index.fields) bounds[f] = eq.get(f) ?? [];
    candidates.push({
      plan: { kind: 'IXSCAN', index, keys, full, bounds },
      uniqueFull: index.unique && allFields,
    });
  }
  // Costing looks every key up; with a single usable index there is nothing to choose.
  if (candidates.length <= 1) return candidates[0]?.plan ?? { kind: 'COLLSCAN' };
  let best: { plan: Plan; cost: number } | undefined;
  for (const { plan: p, uniqueFull } of candidates) {
    const cost = candidateCount(p.index, p.keys, p.full) - (uniqueFull ? 0.5 : 0);
    if (!best || cost < best.cost) best = { plan: p, cost };
  }
  return best?.plan ?? { kind: 'COLLSCAN' };
}

/** Documents a plan yields at most (index entries looked up; the whole collection for a scan). */
function planCost(p: Plan, coll: Collection): number {
  switch (p.kind) {
    case 'COLLSCAN':
      return coll.records.size;
    case 'IDHACK':
      return p.keys.length;
    case 'IXSCAN':
      return candidateCount(p.index, p.keys, p.full);
    case 'OR':
      return p.plans.reduce((sum, branch) => sum + planCost(branch, coll), 0);
  }
}

/** One plan per `$or` branch (each with `shared` conditions), or undefined if one would scan. */
function planBranches(branches: unknown[], shared: Doc | undefined, coll: Collection): Plan | undefined {
  if (branches.length === 0) return undefined;
  const plans: Plan[] = [];
  for (const branch of branches) {
    if (!isPlainObject(branch)) return undefined;
    const p = planAnd(shared ? { $and: [shared, branch] } : branch, coll);
    if (p.kind === 'COLLSCAN') return undefined;
    plans.push(p);
  }
  return { kind: 'OR', plans };
}

/**
 * Picks a plan for a filter (the filter as the client sent it). A top-level `$or` is answered
 * branch by branch, each branch with the filter's other conditions (`{ active: true, $or: [{ from:
 * x }, { to: x }] }` looks up `from` and `to`, as MongoDB's contained-$or planning does), when
 * every branch has an index and that yields fewer candidates than the other conditions alone.
 */
export function plan(filter: Doc, coll: Collection | undefined): Plan {
  const q = toQueryForm(filter);
  const keys = Object.keys(q);
  if (!coll || !Array.isArray(q.$or)) return planAnd(q, coll);
  if (keys.length === 1) return planBranches(q.$or as unknown[], undefined, coll) ?? planAnd(q, coll);
  const { $or: branches, ...shared } = q;
  const base = planAnd(q, coll);
  const byBranch = planBranches(branches as unknown[], shared, coll);
  if (!byBranch) return base;
  if (base.kind === 'COLLSCAN') return byBranch;
  return planCost(byBranch, coll) < planCost(base, coll) ? byBranch : base;
}

export interface Scan {
  readonly recs: Iterable<Rec>;
  /** Index keys examined (0 for a collection scan). */
  readonly keysExamined: number;
}

/** The candidate records of a plan, in natural order. */
export function scan(view: CollectionView, p: Plan): Scan {
  switch (p.kind) {
    case 'COLLSCAN':
      return { recs: view.all(), keysExamined: 0 };
    case 'IDHACK': {
      const recs: Rec[] = [];
      const seen = new Set<string>();
      for (const id of p.keys) {
        if (seen.has(id)) continue;
        seen.add(id);
        const rec = view.get(id);
        if (rec) recs.push(rec);
      }
      return { recs: recs.sort((a, b) => a.seq - b.seq), keysExamined: recs.length };
    }
    case 'IXSCAN': {
      const recs = view.lookup(p.index, p.keys, p.full);
      return { recs, keysExamined: recs.length };
    }
    case 'OR': {
      const byId = new Map<string, Rec>();
      let keysExamined = 0;
      for (const branch of p.plans) {
        const part = scan(view, branch);
        keysExamined += part.keysExamined;
        for (const rec of part.recs) byId.set(rec.id, rec);
      }
      return { recs: [...byId.values()].sort((a, b) => a.seq - b.seq), keysExamined };
    }
  }
}

/** The plan as explain's `winningPlan` shows it (without the stages above the fetch). */
export function describePlan(p: Plan, filter: Doc, ns: string): Doc {
  const residual = Object.keys(filter).length > 0 ? { filter } : {};
  switch (p.kind) {
    case 'COLLSCAN':
      return { stage: 'COLLSCAN', ...residual, direction: 'forward' };
    case 'IDHACK':
      if (p.keys.length === 1 && Object.keys(filter).length === 0) return { stage: 'IDHACK' };
      return describeIndexScan('_id_', { _id: 1 }, ['_id'], { _id: p.values }, { unique: true }, residual);
    case 'IXSCAN':
      return describeIndexScan(p.index.name, p.index.spec.key, p.index.fields, p.bounds, p.index, residual);
    case 'OR':
      return {
        stage: 'FETCH',
        ...residual,
        inputStage: {
          stage: 'OR',
          inputStages: p.plans.map(
            (b) => (describePlan(b, {}, ns).inputStage as Doc | undefined) ?? describePlan(b, {}, ns),
          ),
        },
      };
  }
}

function describeIndexScan(
  indexName: string,
  keyPattern: Doc,
  fields: readonly string[],
  bounds: Record<string, unknown[]>,
  index: { unique: boolean; sparse?: boolean; multikey?: boolean; isPartial?: boolean },
  residual: Doc,
): Doc {
  const indexBounds: Doc = {};
  for (const [field, values] of Object.entries(bounds)) {
    indexBounds[field] =
      values.length > 0 ? values.map((v) => `[${formatValue(v)}, ${formatValue(v)}]`) : ['[MinKey, MaxKey]'];
  }
  return {
    stage: 'FETCH',
    ...residual,
    inputStage: {
      stage: 'IXSCAN',
      keyPattern,
      indexName,
      isMultiKey: index.multikey === true,
      multiKeyPaths: Object.fromEntries(fields.map((f) => [f, index.multikey ? [f] : []])),
      isUnique: index.unique,
      isSparse: index.sparse === true,
      isPartial: index.isPartial === true,
      indexVersion: 2,
      direction: 'forward',
      indexBounds,
    },
  };
}
