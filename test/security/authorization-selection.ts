/**
 * Tools of the authorization matrix: selection sets generated from the supergraph (so every
 * entity-reachable field is asked for, new ones included), the verdict of one cell, and the leak
 * scan over every response.
 */
import {
  getNamedType,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { GraphQLResponse } from '@social/testing';

/** One field (or inline fragment) of a generated selection, with its sub-selection. */
interface Node {
  readonly head: string;
  readonly children?: readonly Node[];
  /** `__typename` and `id`: repeated in every part, so each part's objects can be told apart. */
  readonly sticky?: boolean;
}

/**
 * Selections of `typeName` down to `depth` object levels: every field of the API schema without
 * required arguments (lists paged with `first: 2`), abstract types through inline fragments. The
 * gateway refuses documents over 1000 tokens, so the whole is split into as many selection sets
 * as it takes, each under `budget` tokens; together they ask for every field.
 */
export function selectionsOf(schema: GraphQLSchema, typeName: string, depth: number, budget = 900): string[] {
  const type = schema.getType(typeName);
  if (!type) throw new Error(`no type ${typeName}`);
  return pack(nodesOf(schema, type, depth), budget).map(render);
}

function nodesOf(schema: GraphQLSchema, type: GraphQLNamedType, depth: number): Node[] {
  if (isAbstractType(type)) {
    return [
      { head: '__typename', sticky: true },
      ...schema
        .getPossibleTypes(type)
        .map((possible) => ({ head: `... on ${possible.name}`, children: nodesOf(schema, possible, depth) })),
    ];
  }
  if (!isObjectType(type)) return [];
  const nodes: Node[] = [{ head: '__typename', sticky: true }];
  for (const field of Object.values(type.getFields())) {
    if (inaccessible(field.astNode)) continue;
    const args = argumentsOf(field);
    if (args === undefined) continue;
    const named = getNamedType(field.type);
    const head = `${field.name}${args}`;
    if (isLeafType(named)) nodes.push(field.name === 'id' ? { head, sticky: true } : { head });
    else if (depth > 0) nodes.push({ head, children: nodesOf(schema, named, depth - 1) });
    else if (isNonNullType(field.type) && isObjectType(named) && 'id' in named.getFields()) {
      // A required object at the depth limit: its id keeps the selection valid and cheap.
      nodes.push({ head, children: [{ head: 'id' }] });
    }
  }
  return nodes;
}

const inaccessible = (node: { directives?: readonly { name: { value: string } }[] } | null | undefined) =>
  Boolean(node?.directives?.some((directive) => directive.name.value === 'inaccessible'));

/** GraphQL tokens of a rendered piece (names, numbers, punctuators; commas are ignored). */
const tokens = (text: string) => text.match(/\.\.\.|[A-Za-z_][A-Za-z0-9_]*|\d+|[{}():!$[\]=@]/g)?.length ?? 0;
const render = (nodes: readonly Node[]): string =>
  `{ ${nodes.map((node) => (node.children ? `${node.head} ${render(node.children)}` : node.head)).join(' ')} }`;
const size = (node: Node) => tokens(node.head) + (node.children ? tokens(render(node.children)) : 0);

/** Groups siblings into selection sets under `budget` tokens, splitting a node too big alone. */
function pack(nodes: readonly Node[], budget: number): Node[][] {
  const sticky = nodes.filter((node) => node.sticky);
  const base = 2 + sticky.reduce((sum, node) => sum + size(node), 0);
  const pieces: Node[] = [];
  for (const node of nodes) {
    if (node.sticky) continue;
    if (size(node) + base <= budget || !node.children) pieces.push(node);
    else {
      for (const part of pack(node.children, budget - base - tokens(node.head) - 2)) {
        pieces.push({ head: node.head, children: part });
      }
    }
  }
  const groups: Node[][] = [];
  let current: Node[] = [];
  let used = base;
  for (const piece of pieces) {
    const cost = size(piece);
    if (current.length && used + cost > budget) {
      groups.push(current);
      current = [];
      used = base;
    }
    current.push(piece);
    used += cost;
  }
  if (current.length || !groups.length) groups.push(current);
  return groups.map((group) => [...sticky, ...group]);
}

/** `(first: 2)` for paged fields, '' without arguments, undefined when a required one is missing. */
function argumentsOf(field: GraphQLField<unknown, unknown>): string | undefined {
  const given: string[] = [];
  for (const arg of field.args) {
    if (arg.name === 'first') given.push('first: 2');
    else if (isNonNullType(arg.type) && arg.defaultValue === undefined) return undefined;
  }
  return given.length ? `(${given.join(', ')})` : '';
}

export type Viewer = 'anonymous' | 'stranger' | 'friend' | 'owner' | 'blocked' | 'admin';
export const VIEWERS: readonly Viewer[] = ['anonymous', 'stranger', 'friend', 'owner', 'blocked', 'admin'];

/**
 * allow: the root field answered (no error on it, not null); deny: UNAUTHENTICATED, FORBIDDEN or
 * NOT_FOUND, or null where the contract hides things as null; reject: refused for another reason
 * (e.g. BAD_USER_INPUT: owner befriending themself), never INTERNAL_SERVER_ERROR.
 */
export type Outcome = 'allow' | 'deny' | 'reject';
export const DENY_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']);

type Errors = GraphQLResponse['errors'];

export function verdict(
  field: string,
  response: { data?: Record<string, unknown> | null; errors?: Errors },
  emptyMeansDeny = false,
): { outcome: Outcome | 'error'; detail: string } {
  const errors = response.errors ?? [];
  const rootErrors = errors.filter((error) => !error.path || error.path.length <= 1);
  const codes = errors.map((error) => String(error.extensions?.code ?? 'NO_CODE'));
  const detail = `${codes.join(',') || 'no errors'} ${JSON.stringify(errors.map((error) => error.message)).slice(0, 300)}`;
  if (codes.some((code) => code === 'INTERNAL_SERVER_ERROR' || code === 'NO_CODE'))
    return { outcome: 'error', detail };
  const value = response.data?.[field];
  if (rootErrors.length) {
    const code = String(rootErrors[0]?.extensions?.code);
    return { outcome: DENY_CODES.has(code) ? 'deny' : 'reject', detail };
  }
  // Nested errors on an answered root: only authorization refusals of nested fields are normal.
  if (errors.some((error) => !DENY_CODES.has(String(error.extensions?.code))))
    return { outcome: 'error', detail };
  if (value === null || value === undefined || value === false) return { outcome: 'deny', detail };
  if (emptyMeansDeny && isEmpty(value)) return { outcome: 'deny', detail: 'an empty page' };
  return { outcome: 'allow', detail };
}

const isEmpty = (value: unknown) =>
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { edges?: unknown }).edges) &&
    (value as { edges: unknown[] }).edges.length === 0);

/** Every string anywhere in a JSON value (keys included). */
export function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      stringsOf(item, into);
    }
  }
  return into;
}

/** A private marker and who may see it. */
export interface Marker {
  readonly value: string;
  readonly what: string;
  readonly seenBy: readonly Viewer[];
  /** Paged out of the owner's own answers (pages of two): not required to show up there. */
  readonly pagedOut?: boolean;
}

/**
 * The markers a viewer's response must not contain. What the viewer sent (`sent`: the cell's
 * variables, e.g. the owner's notification id in an attempt to mark it read) may be echoed back
 * in an error: it is not the owner's data reaching them.
 */
export function leaks(
  markers: readonly Marker[],
  viewer: Viewer,
  response: unknown,
  sent: unknown = {},
): string[] {
  const text = stringsOf(response).join('\n');
  const given = JSON.stringify(sent);
  return markers
    .filter(
      (marker) =>
        !marker.seenBy.includes(viewer) && !given.includes(marker.value) && text.includes(marker.value),
    )
    .map((marker) => marker.what);
}

/** What a viewer may see of the owner's objects, field by field (from the classification). */
export interface FieldRules {
  readonly classification: Readonly<Record<string, { access: string; note?: string }>>;
  readonly ownerId: string;
  /** Ids of the owner's posts, files, messages, ...: objects whose owner-only fields are the owner's. */
  readonly ownerObjects: ReadonlySet<string>;
  /** User fields the fixture's privacy settings hide even from friends. */
  readonly hiddenFromFriends: ReadonlySet<string>;
}

const absent = (value: unknown) => value === null || value === undefined;

/**
 * Field-level checks on every object of the owner in a response (found by `__typename` and id,
 * which every generated selection asks for): owner-only fields null for anyone but the owner and
 * staff; the owner's FRIENDS-only profile fields null for non-friends; fields the owner's privacy
 * settings hide null even for friends; and what is "hidden only from blocked viewers" null for them.
 */
export function fieldViolations(rules: FieldRules, viewer: Viewer, response: unknown): string[] {
  if (viewer === 'owner' || viewer === 'admin') return [];
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    const type = typeof object.__typename === 'string' ? object.__typename : undefined;
    const id = typeof object.id === 'string' ? object.id : undefined;
    const ownersUser = type === 'User' && id === rules.ownerId;
    const ownersObject =
      type !== undefined && type !== 'User' && id !== undefined && rules.ownerObjects.has(id);
    if (type && (ownersUser || ownersObject)) {
      for (const [key, field] of Object.entries(object)) {
        if (absent(field)) continue;
        const rule = rules.classification[`${type}.${key}`];
        if (!rule) continue;
        const strangerLike = viewer !== 'friend';
        const hidden =
          rule.access === 'owner' ||
          (ownersUser && rule.access === 'friend-visible' && strangerLike) ||
          (ownersUser && viewer === 'friend' && rules.hiddenFromFriends.has(key)) ||
          (ownersUser && viewer === 'blocked' && (rule.note ?? '').includes('from blocked viewers'));
        if (hidden) found.push(`${type}.${key}`);
      }
    }
    for (const field of Object.values(object)) walk(field);
  };
  walk(response);
  return [...new Set(found)];
}
