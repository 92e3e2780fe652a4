/**
 * `find` projections with MongoDB 4.4+ semantics: inclusion or exclusion (never both, `_id`
 * aside), dotted and nested paths, `$slice`, `$elemMatch`, positional `field.$`,
 * `{ $meta: "textScore" }` and aggregation expressions. Output keeps the document's field order;
 * computed fields follow it in projection order.
 */
import { CommandError, Codes } from './errors.js';
import { compileFilter, evaluate } from './mingo.js';
import { fromQueryForm, toQueryForm } from './query-form.js';
import { isPlainObject, type Doc } from './values.js';

type Leaf =
  | { kind: 'include' }
  | { kind: 'exclude' }
  | { kind: 'slice'; skip: number | undefined; limit: number }
  | { kind: 'elemMatch'; test: (element: unknown) => boolean }
  | { kind: 'meta'; name: string }
  | { kind: 'expr'; expr: unknown }
  | { kind: 'positional' };

interface Tree {
  readonly children: Map<string, Tree | Leaf>;
}

function isTree(node: Tree | Leaf): node is Tree {
  return 'children' in node;
}

export interface ProjectionContext {
  /** Text score of the document, for `$meta`. */
  readonly score?: number | undefined;
  /** The query filter, for positional projections. */
  readonly filter?: Doc | undefined;
}

export interface Projection {
  apply(doc: Doc, context?: ProjectionContext): Doc;
  /** True when `{ $meta: "textScore" }` appears, so the caller must compute scores. */
  readonly needsScore: boolean;
}

function isOperatorObject(value: unknown): value is Doc {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && (keys[0] as string).startsWith('$');
}

function leafFor(path: string, value: unknown, variables: Doc | undefined): Leaf {
  if (path.endsWith('.$')) return { kind: 'positional' };
  if (typeof value === 'number' || typeof value === 'boolean')
    return value ? { kind: 'include' } : { kind: 'exclude' };
  if (isOperatorObject(value)) {
    if ('$slice' in value) {
      const arg = value.$slice;
      if (Array.isArray(arg)) {
        const [skip, limit] = arg.map(Number) as [number, number];
        if (!(limit > 0)) throw new CommandError(Codes.BadValue, '$slice limit must be positive');
        return { kind: 'slice', skip, limit };
      }
      return { kind: 'slice', skip: undefined, limit: Number(arg) };
    }
    if ('$elemMatch' in value) {
      const predicate = compileFilter(value.$elemMatch, variables);
      const wrapped = compileFilter({ x: { $elemMatch: value.$elemMatch } }, variables);
      return {
        kind: 'elemMatch',
        test: (element) =>
          isPlainObject(element) ? predicate(toQueryForm(element)) : wrapped({ x: [toQueryForm(element)] }),
      };
    }
    if ('$meta' in value) return { kind: 'meta', name: String(value.$meta) };
  }
  return { kind: 'expr', expr: value };
}

function addPath(tree: Tree, parts: string[], leaf: Leaf, full: string): void {
  let node = tree;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const existing = node.children.get(part);
    if (existing && !isTree(existing)) {
      throw new CommandError(31250, `Path collision at ${full}`);
    }
    const next = existing ?? { children: new Map() };
    node.children.set(part, next);
    node = next;
  }
  const last = parts[parts.length - 1] as string;
  if (node.children.has(last)) throw new CommandError(31250, `Path collision at ${full}`);
  node.children.set(last, leaf);
}

function flatten(spec: Doc, prefix: string, out: [string, unknown][]): void {
  for (const [key, value] of Object.entries(spec)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && !isOperatorObject(value) && Object.keys(value).length > 0)
      flatten(value, path, out);
    else out.push([path, value]);
  }
}

/** Compiles a projection document; `undefined`/empty means the whole document. */
export function compileProjection(spec: unknown, variables?: Doc): Projection | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isPlainObject(spec)) throw new CommandError(Codes.TypeMismatch, 'projection must be an object');
  const entries: [string, unknown][] = [];
  flatten(spec, '', entries);
  if (entries.length === 0) return undefined;

  const tree: Tree = { children: new Map() };
  let inclusion = false;
  let exclusion = false;
  let idLeaf: Leaf | undefined;
  let needsScore = false;
  const positional: string[] = [];
  for (const [path, value] of entries) {
    const leaf = leafFor(path, value, variables);
    if (leaf.kind === 'meta' && leaf.name === 'textScore') needsScore = true;
    if (path === '_id') {
      idLeaf = leaf;
      continue;
    }
    if (
      leaf.kind === 'include' ||
      leaf.kind === 'expr' ||
      leaf.kind === 'elemMatch' ||
      leaf.kind === 'positional'
    ) {
      if (exclusion)
        throw new CommandError(
          Codes.Location31253,
          `Cannot do inclusion on field ${path} in exclusion projection`,
        );
      inclusion = true;
    } else if (leaf.kind === 'exclude') {
      if (inclusion)
        throw new CommandError(
          Codes.Location31254,
          `Cannot do exclusion on field ${path} in inclusion projection`,
        );
      exclusion = true;
    }
    if (leaf.kind === 'positional') {
      const base = path.slice(0, -2);
      positional.push(base);
      addPath(tree, base.split('.'), leaf, path);
    } else {
      addPath(tree, path.split('.'), leaf, path);
    }
  }
  if (positional.length > 1)
    throw new CommandError(Codes.BadValue, 'Cannot specify more than one positional proj. per query.');
  const includeId = idLeaf === undefined || idLeaf.kind !== 'exclude';

  return {
    needsScore,
    apply(doc, context = {}) {
      const positionalIndex = positional[0]
        ? findPositional(doc, positional[0], context.filter, variables)
        : undefined;
      const state: State = { context, positionalIndex, variables, root: doc };
      const body = inclusion ? includeNode(doc, tree, state) : excludeNode(doc, tree, state);
      const out: Doc = {};
      if ('_id' in doc || idLeaf?.kind === 'expr' || idLeaf?.kind === 'meta') {
        if (idLeaf && idLeaf.kind !== 'include' && idLeaf.kind !== 'exclude') {
          const value = leafValue(doc._id, idLeaf, state, true);
          if (value !== undefined) out._id = value;
        } else if (includeId && '_id' in doc) {
          out._id = doc._id;
        }
      }
      for (const [key, value] of Object.entries(body)) if (key !== '_id') out[key] = value;
      return out;
    },
  };
}

interface State {
  readonly context: ProjectionContext;
  readonly positionalIndex: number | undefined;
  readonly variables: Doc | undefined;
  readonly root: Doc;
}

function leafValue(value: unknown, leaf: Leaf, state: State, present: boolean): unknown {
  switch (leaf.kind) {
    case 'include':
      return present ? value : undefined;
    case 'exclude':
      return undefined;
    case 'slice':
      if (!Array.isArray(value)) return present ? value : undefined;
      return slice(value, leaf.skip, leaf.limit);
    case 'elemMatch': {
      if (!Array.isArray(value)) return undefined;
      const found = value.find((el) => leaf.test(el));
      return found === undefined ? undefined : [found];
    }
    case 'meta':
      return leaf.name === 'textScore' ? (state.context.score ?? 0) : undefined;
    case 'expr':
      if (typeof leaf.expr === 'string' && !leaf.expr.startsWith('$')) return leaf.expr;
      return fromQueryForm(evaluate(toQueryForm(state.root), leaf.expr, state.variables));
    case 'positional': {
      if (!Array.isArray(value) || state.positionalIndex === undefined) return undefined;
      const el: unknown = value[state.positionalIndex];
      return el === undefined ? undefined : [el];
    }
  }
}

function slice(arr: unknown[], skip: number | undefined, limit: number): unknown[] {
  if (skip === undefined)
    return limit >= 0 ? arr.slice(0, limit) : arr.slice(Math.max(arr.length + limit, 0));
  const start = skip < 0 ? Math.max(arr.length + skip, 0) : Math.min(skip, arr.length);
  return arr.slice(start, start + limit);
}

function includeNode(value: Doc, tree: Tree, state: State): Doc {
  const out: Doc = {};
  for (const key of Object.keys(value)) {
    const node = tree.children.get(key);
    if (!node) continue;
    if (isTree(node)) {
      const child = value[key];
      const projected = includeValue(child, node, state);
      if (projected !== undefined) out[key] = projected;
    } else if (node.kind !== 'expr' && node.kind !== 'meta') {
      const projected = leafValue(value[key], node, state, true);
      if (projected !== undefined) out[key] = projected;
    }
  }
  appendComputed(out, tree, state, value);
  return out;
}

function includeValue(value: unknown, tree: Tree, state: State): unknown {
  if (Array.isArray(value)) {
    return value
      .filter((el) => isPlainObject(el) || Array.isArray(el))
      .map((el) => includeValue(el, tree, state));
  }
  if (isPlainObject(value)) return includeNode(value, tree, state);
  return hasComputed(tree) ? computedOnly(tree, state) : undefined;
}

function hasComputed(tree: Tree): boolean {
  for (const node of tree.children.values()) {
    if (isTree(node) ? hasComputed(node) : node.kind === 'expr' || node.kind === 'meta') return true;
  }
  return false;
}

function computedOnly(tree: Tree, state: State): Doc {
  const out: Doc = {};
  appendComputed(out, tree, state, {});
  return out;
}

function appendComputed(out: Doc, tree: Tree, state: State, source: Doc): void {
  for (const [key, node] of tree.children) {
    if (isTree(node)) {
      if (!(key in source) && hasComputed(node)) out[key] = computedOnly(node, state);
      continue;
    }
    if (node.kind === 'expr' || node.kind === 'meta') {
      const value = leafValue(undefined, node, state, false);
      if (value !== undefined) out[key] = value;
    }
  }
}

function excludeNode(value: Doc, tree: Tree, state: State): Doc {
  const out: Doc = {};
  for (const key of Object.keys(value)) {
    const node = tree.children.get(key);
    const child = value[key];
    if (!node) {
      out[key] = child;
    } else if (isTree(node)) {
      out[key] = excludeValue(child, node, state);
    } else if (node.kind === 'meta') {
      continue;
    } else {
      const projected = leafValue(child, node, state, true);
      if (projected !== undefined) out[key] = projected;
    }
  }
  for (const [key, node] of tree.children) {
    if (!isTree(node) && node.kind === 'meta') out[key] = leafValue(undefined, node, state, false);
  }
  return out;
}

function excludeValue(value: unknown, tree: Tree, state: State): unknown {
  if (Array.isArray(value)) return value.map((el) => excludeValue(el, tree, state));
  if (isPlainObject(value)) return excludeNode(value, tree, state);
  return value;
}

/** Index of the first element of the array at `path` that satisfies the filter's conditions on it. */
export function findPositional(
  doc: Doc,
  path: string,
  filter: Doc | undefined,
  variables: Doc | undefined,
): number | undefined {
  const arr = path.split('.').reduce<unknown>((v, part) => (isPlainObject(v) ? v[part] : undefined), doc);
  if (!Array.isArray(arr) || !filter) return undefined;
  const related = relatedConditions(filter, path);
  if (Object.keys(related).length === 0) return undefined;
  const predicate = compileFilter(related, variables);
  for (let i = 0; i < arr.length; i++) {
    const probe = replaceAt(doc, path, [arr[i]]);
    if (predicate(toQueryForm(probe))) return i;
  }
  return undefined;
}

function relatedConditions(filter: Doc, path: string): Doc {
  const out: Doc = {};
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) {
      const parts = cond
        .map((c) => (isPlainObject(c) ? relatedConditions(c, path) : {}))
        .filter((c) => Object.keys(c).length > 0);
      if (parts.length > 0) out.$and = parts;
    } else if (key === path || key.startsWith(`${path}.`)) {
      out[key] = cond;
    }
  }
  return out;
}

function replaceAt(doc: Doc, path: string, value: unknown): Doc {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const copy: Doc = { ...doc };
  copy[head] =
    rest.length === 0
      ? value
      : isPlainObject(doc[head])
        ? replaceAt(doc[head], rest.join('.'), value)
        : value;
  return copy;
}
