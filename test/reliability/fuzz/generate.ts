import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isRequiredArgument,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { Random } from './random.js';
import {
  EnumValue,
  HOSTILE_DATES,
  HOSTILE_FLOATS,
  HOSTILE_IDS,
  HOSTILE_INTS,
  HOSTILE_JSON,
  HOSTILE_STRINGS,
  fuzzCursor,
  plausibleId,
  plausibleString,
  type FuzzFixtures,
} from './values.js';

export type RootKind = 'query' | 'mutation' | 'subscription';

export interface FuzzOperation {
  readonly index: number;
  readonly kind: RootKind;
  readonly field: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** What was hostile about it (`input.content: string`, `first: int`, ...), for the report. */
  readonly hostile: readonly string[];
}

/**
 * Fields whose real arguments would end the viewer's session or account (logout, revoking a
 * session, deleting the account, changing credentials or roles): fuzzed with hostile values only.
 */
export const HOSTILE_ONLY_FIELDS = new Set([
  'logout',
  'revokeSession',
  'deleteAccount',
  'changePassword',
  'changeEmail',
  'setAccountStatus',
  'setUserRole',
  'resetPassword',
]);

/** Fields that destroy what they are given: fed the disposable fixtures, not the shared ones. */
export const DESTRUCTIVE_FIELDS = new Set([
  'block',
  'removeFriend',
  'unfollow',
  'leaveConversation',
  'removeParticipant',
  'deleteMessage',
  'deletePost',
  'deleteComment',
  'deleteMedia',
  'deleteNotification',
  'archivePost',
  'archiveConversation',
  'setParticipantRole',
  'cancelFriendRequest',
  'respondToFriendRequest',
]);

interface ValueContext {
  readonly random: Random;
  readonly fixtures: FuzzFixtures;
  /** Probability that a leaf gets a hostile value. */
  readonly hostility: number;
  readonly hostile: string[];
}

const isCursorName = (name: string) => /^(after|before|cursor)$/i.test(name);

function leafValue(type: GraphQLNamedType, name: string, path: string, ctx: ValueContext): unknown {
  const { random } = ctx;
  const hostile = random.chance(ctx.hostility);
  const note = (what: string) => {
    if (hostile) ctx.hostile.push(`${path}: ${what}`);
  };
  if (isEnumType(type)) {
    note('enum');
    if (!hostile) return new EnumValue(random.pick(type.getValues()).name);
    const real = random.pick(type.getValues()).name;
    return random.pick([new EnumValue('NOT_A_VALUE'), new EnumValue(real.toLowerCase()), real, 42, '']);
  }
  switch (type.name) {
    case 'ID':
      note('id');
      if (hostile) return random.pick(HOSTILE_IDS);
      return plausibleId(name, ctx.fixtures, random);
    case 'String':
      if (isCursorName(name)) {
        note('cursor');
        return hostile
          ? fuzzCursor({ ...ctx.fixtures, cursors: [] }, random)
          : fuzzCursor(ctx.fixtures, random);
      }
      note('string');
      return hostile ? random.pick(HOSTILE_STRINGS) : plausibleString(name, random);
    case 'Int':
      note('int');
      if (hostile) return random.pick(HOSTILE_INTS);
      return /^(first|last|limit)$/.test(name) ? 1 + random.int(10) : random.int(5);
    case 'Float':
      note('float');
      if (hostile) return random.pick(HOSTILE_FLOATS);
      return /lat/i.test(name) ? 52.5 : /lng|lon/i.test(name) ? 13.4 : 1.5;
    case 'Boolean':
      note('boolean');
      if (hostile) return random.pick(['true', 1, 0, 'yes', []]);
      return random.chance(0.5);
    case 'DateTime':
      note('datetime');
      if (hostile) return random.pick(HOSTILE_DATES);
      return random.pick(['2020-01-01T00:00:00.000Z', '2026-11-21T08:30:00.000Z']);
    case 'JSON':
      note('json');
      if (hostile) return random.pick(HOSTILE_JSON);
      return { a: 1, b: ['x'] };
    default:
      note(`scalar ${type.name}`);
      return hostile ? random.pick(HOSTILE_STRINGS) : 'x';
  }
}

/** A value for an input type: mostly plausible, with hostile leaves, lists and shapes mixed in. */
export function inputValue(
  type: GraphQLInputType,
  name: string,
  path: string,
  ctx: ValueContext,
  depth = 0,
): unknown {
  const { random } = ctx;
  if (isNonNullType(type)) {
    if (random.chance(ctx.hostility * 0.05)) {
      ctx.hostile.push(`${path}: null for non-null`);
      return null;
    }
    return inputValue(type.ofType, name, path, ctx, depth);
  }
  if (isListType(type)) {
    if (random.chance(ctx.hostility * 0.2)) {
      const shape = random.int(4);
      ctx.hostile.push(`${path}: list ${['empty', 'huge', 'nested', 'scalar'][shape]}`);
      if (shape === 0) return [];
      if (shape === 1) {
        const one = inputValue(type.ofType, name, `${path}[]`, { ...ctx, hostility: 0 }, depth + 1);
        return Array.from({ length: 2000 }, () => one);
      }
      if (shape === 2) return [[[inputValue(type.ofType, name, `${path}[]`, ctx, depth + 1)]]];
      return inputValue(type.ofType, name, `${path}[]`, ctx, depth + 1);
    }
    const count = 1 + random.int(2);
    return Array.from({ length: count }, (_, i) =>
      inputValue(type.ofType, name, `${path}[${i}]`, ctx, depth + 1),
    );
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return {};
    const object: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required && random.chance(ctx.hostility * 0.05)) {
        ctx.hostile.push(`${path}.${field.name}: missing`);
        continue;
      }
      if (!required && !random.chance(0.5)) continue;
      object[field.name] = inputValue(field.type, field.name, `${path}.${field.name}`, ctx, depth + 1);
    }
    if (random.chance(ctx.hostility * 0.05)) {
      ctx.hostile.push(`${path}: extra field`);
      object[random.pick(['hacker', '__proto__', 'role', 'userId', 'id'])] = random.pick([
        'Admin',
        { $gt: '' },
        1,
      ]);
    }
    return object;
  }
  return leafValue(type, name, path, ctx);
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Whether a value can be written inline (object keys must be GraphQL names). */
function inlinable(value: unknown): boolean {
  if (Array.isArray(value)) return value.length <= 200 && value.every(inlinable);
  if (value instanceof EnumValue) return GRAPHQL_NAME.test(value.name);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, v]) => GRAPHQL_NAME.test(key) && inlinable(v));
  }
  return true;
}

/** A GraphQL literal for a value (strings escaped as JSON strings, which GraphQL shares). */
export function literal(value: unknown): string {
  if (value instanceof EnumValue) return value.name;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '1e999';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([key, v]) => `${key}: ${literal(v)}`)
    .join(', ')}}`;
}

interface SelectionContext {
  readonly random: Random;
  readonly maxDepth: number;
  /** Arguments for a nested field (`(first: -1)`), or '' for none. */
  readonly argsFor?: (field: GraphQLField<unknown, unknown>) => string;
}

/** A valid selection set of scalar leaves and a few nested objects, to a bounded depth. */
export function selectionSet(type: GraphQLOutputType, ctx: SelectionContext, depth = 1): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isInterfaceType(named) || isUnionType(named)) {
    return `{ __typename }`;
  }
  const object = named as GraphQLObjectType;
  const fields = Object.values(object.getFields()).filter(
    (f) => !f.args.some(isRequiredArgument) || (ctx.argsFor !== undefined && ctx.random.chance(0.3)),
  );
  const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)));
  const nested = fields.filter((f) => !isLeafType(getNamedType(f.type)));
  const call = (field: GraphQLField<unknown, unknown>) =>
    `${field.name}${field.args.length > 0 && ctx.argsFor ? ctx.argsFor(field) : ''}`;
  const chosen = ctx.random.sample(leaves, 1 + ctx.random.int(6)).map(call);
  if (leaves.some((f) => f.name === 'id') && !chosen.includes('id')) chosen.unshift('id');
  if (depth < ctx.maxDepth) {
    for (const field of ctx.random.sample(nested, ctx.random.int(3))) {
      chosen.push(`${call(field)} ${selectionSet(field.type, ctx, depth + 1)}`);
    }
  }
  if (chosen.length === 0) chosen.push('__typename');
  return `{ ${chosen.join(' ')} }`;
}

function typeString(type: GraphQLInputType): string {
  return String(type);
}

export interface GenerateOptions {
  readonly schema: GraphQLSchema;
  readonly random: Random;
  readonly fixtures: FuzzFixtures;
  /** Fixtures a destructive field may destroy. */
  readonly disposable: FuzzFixtures;
}

/** One operation on `field` of the root `kind`, arguments inline or as variables. */
export function generateOperation(
  options: GenerateOptions,
  kind: RootKind,
  field: GraphQLField<unknown, unknown>,
  index: number,
): FuzzOperation {
  const { random } = options;
  const hostileOnly = HOSTILE_ONLY_FIELDS.has(field.name);
  const hostility = hostileOnly ? 1 : random.pick([0, 0.1, 0.25, 0.5, 1]);
  const fixtures = DESTRUCTIVE_FIELDS.has(field.name) ? options.disposable : options.fixtures;
  const hostile: string[] = [];
  const ctx: ValueContext = { random, fixtures, hostility, hostile };
  const useVariables = random.chance(0.5);
  const declarations: string[] = [];
  const variables: Record<string, unknown> = {};
  const args: string[] = [];
  field.args.forEach((arg: GraphQLArgument, i) => {
    const required = isRequiredArgument(arg);
    if (!required && !hostileOnly && !random.chance(0.6)) return;
    if (required && hostility > 0 && random.chance(0.02)) {
      hostile.push(`${arg.name}: missing`);
      return;
    }
    const value = inputValue(arg.type, arg.name, arg.name, ctx);
    if (useVariables || !inlinable(value)) {
      let declared = typeString(arg.type);
      if (hostility > 0 && random.chance(0.03)) {
        declared = random.pick(['String', 'Int', '[String]', 'JSON', 'Boolean!', 'NoSuchType']);
        hostile.push(`${arg.name}: variable declared ${declared}`);
      }
      declarations.push(`$v${i}: ${declared}`);
      variables[`v${i}`] = value;
      args.push(`${arg.name}: $v${i}`);
    } else {
      args.push(`${arg.name}: ${literal(value)}`);
    }
  });
  // Nested fields' arguments (a connection's `first`, `after`, ...) are fuzzed too, inline.
  const argsFor = (nested: GraphQLField<unknown, unknown>) => {
    const written: string[] = [];
    for (const arg of nested.args) {
      if (!isRequiredArgument(arg) && !random.chance(0.3)) continue;
      const value = inputValue(arg.type, arg.name, `${nested.name}.${arg.name}`, ctx);
      if (inlinable(value)) written.push(`${arg.name}: ${literal(value)}`);
    }
    return written.length > 0 ? `(${written.join(', ')})` : '';
  };
  const selection = selectionSet(field.type, { random, maxDepth: 1 + random.int(3), argsFor });
  const call = `${field.name}${args.length ? `(${args.join(', ')})` : ''} ${selection}`;
  const aliased = random.chance(0.05) ? `a: ${call} b: ${call}` : call;
  const header = `${kind} Fuzz${index}${declarations.length ? `(${declarations.join(', ')})` : ''}`;
  return {
    index,
    kind,
    field: field.name,
    query: `${header} { ${aliased} }`,
    variables: JSON.parse(JSON.stringify(variables)) as Record<string, unknown>,
    hostile,
  };
}
