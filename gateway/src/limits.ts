import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInputType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  typeFromAST,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@social/kit';

/**
 * Per-operation limits, applied to queries, mutations and subscriptions alike. Counting rules:
 * - depth: fields on the longest path, the leaf included (`{ me { id } }` is 2); fragments are
 *   flattened (a spread adds no level).
 * - aliases, directives: every occurrence in the operation, fragments counted once per spread.
 * - root fields: fields selected on the root type (`__typename` excepted).
 * - cost: every field returning an object costs 1, leaves cost 0, and a list multiplies its whole
 *   subtree by its size: its `first`/`last`/`limit` argument (`@listSize(slicingArguments)`, at
 *   most the API's largest page, 50: a larger one is the subgraph's BAD_USER_INPUT to give), the
 *   length of an `ids`-style list argument, or `defaultListSize`. A connection's slicing argument
 *   sizes its `edges`/`nodes` lists (`@listSize(sizedFields)`).
 * - tokens: applied by the parser (`parse(source, { maxTokens })`), before any of the above.
 * Introspection (`__schema`, `__type`) is governed by the introspection switch instead (off in
 * production) and only bounded here by `maxIntrospectionDepth`, so GraphiQL works in development.
 */
export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxRootFields: number;
  readonly maxDirectives: number;
  readonly maxCost: number;
  readonly maxTokens: number;
  /** Assumed length of a list with no slicing argument. */
  readonly defaultListSize: number;
  /** Depth allowed inside `__schema`/`__type` (graphql-js's introspection query, which GraphiQL sends, needs 15). */
  readonly maxIntrospectionDepth: number;
}

/**
 * Chosen from the operations this repo's clients send (gateway/test/limits-real.test.ts measures
 * all of them, every Int variable at the largest page size, 50):
 * - depth 12: the deepest real operation is 11 (a feed page → each post's comments → each
 *   comment's reactions → the reacting user: three nested Relay connections, each adding
 *   `edges { node }` levels); a chat history page with replies' senders' avatars is 8, the home
 *   feed with shared posts' media 7. graphql-armor's 6 refuses all three; 12 still stops
 *   post → author → posts cycles after two turns.
 * - cost 5000 (graphql-armor's number, with list sizes counted): the most expensive real
 *   operations are a 50-message chat page with every field (3,470) and a 50-post home feed with
 *   media, polls and top comments (3,852); 50 posts × 50 comments × their authors (7,701) is refused.
 * - defaultListSize 5: the unsized lists are small by nature (a post's media, a message's reaction
 *   groups and receipts, reaction kinds); connections without `first` count the subgraphs' page of 20.
 * - aliases 15, directives 50, tokens 1000: graphql-armor's defaults (real operations use at most
 *   2 aliases, no directives and 140 tokens; GraphiQL's introspection query is 190 tokens).
 * - root fields 10: the busiest real operation (the app shell) selects 4.
 */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxRootFields: 10,
  maxDirectives: 50,
  maxCost: 5000,
  maxTokens: 1000,
  defaultListSize: 5,
  maxIntrospectionDepth: 20,
};

export const OPERATION_LIMIT_EXCEEDED = 'OPERATION_LIMIT_EXCEEDED';

/** What an operation measures, in the units of `OperationLimits`. */
export interface OperationMeasure {
  readonly depth: number;
  readonly aliases: number;
  readonly rootFields: number;
  readonly directives: number;
  readonly cost: number;
  readonly introspectionDepth: number;
}

interface Tally {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
  introspectionDepth: number;
}

const SLICING_ARGUMENTS = new Set(['first', 'last', 'limit']);
const SIZED_CHILDREN = new Set(['edges', 'nodes']);
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

const empty = (): Tally => ({ depth: 0, aliases: 0, directives: 0, cost: 0, introspectionDepth: 0 });

function addInto(into: Tally, other: Tally): void {
  into.depth = Math.max(into.depth, other.depth);
  into.introspectionDepth = Math.max(into.introspectionDepth, other.introspectionDepth);
  into.aliases += other.aliases;
  into.directives += other.directives;
  into.cost += other.cost;
}

class Measurer {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** By fragment name and size hint: a fragment's tally does not depend on where else it is spread. */
  private readonly fragmentTallies = new Map<string, Tally>();
  private readonly fragmentDepths = new Map<string, number>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly variableDefaults: ReadonlyMap<string, unknown>,
    private readonly defaultListSize: number,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType, sizeHint?: number): Tally {
    const tally = empty();
    for (const selection of set.selections) {
      tally.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        addInto(tally, this.field(selection, parent, sizeHint));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? typeFromAST(this.schema, selection.typeCondition) : parent;
        if (type && isCompositeType(type))
          addInto(tally, this.selectionSet(selection.selectionSet, type, sizeHint));
      } else {
        addInto(tally, this.fragment(selection.name.value, sizeHint));
      }
    }
    return tally;
  }

  private fragment(name: string, sizeHint: number | undefined): Tally {
    const key = `${name}:${sizeHint ?? ''}`;
    const known = this.fragmentTallies.get(key);
    if (known) return known;
    const fragment = this.fragments.get(name);
    // Unknown or cyclic spreads fail validation; they add nothing here.
    if (!fragment || this.inProgress.has(name)) return empty();
    const type = typeFromAST(this.schema, fragment.typeCondition);
    if (!type || !isCompositeType(type)) return empty();
    this.inProgress.add(name);
    const tally = this.selectionSet(fragment.selectionSet, type, sizeHint);
    tally.directives += fragment.directives?.length ?? 0;
    this.inProgress.delete(name);
    this.fragmentTallies.set(key, tally);
    return tally;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType, sizeHint: number | undefined): Tally {
    const name = node.name.value;
    if (INTROSPECTION_ROOTS.has(name)) return this.introspection(node);
    const tally = empty();
    if (node.alias) tally.aliases += 1;
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!node.selectionSet || !definition) {
      tally.depth = 1;
      return tally;
    }
    const named = getNamedType(definition.type);
    if (!isCompositeType(named)) {
      tally.depth = 1;
      return tally;
    }
    const slice = this.sliceOf(node, definition);
    const isList = isListType(getNullableType(definition.type));
    // A connection asked for no page size gets the subgraphs' default page.
    const pageHint =
      slice ?? (definition.args.some((a) => SLICING_ARGUMENTS.has(a.name)) ? DEFAULT_PAGE_SIZE : undefined);
    const children = this.selectionSet(node.selectionSet, named, isList ? undefined : pageHint);
    tally.depth = children.depth + 1;
    tally.introspectionDepth = children.introspectionDepth;
    tally.aliases += children.aliases;
    tally.directives += children.directives;
    const size = isList
      ? (slice ?? (SIZED_CHILDREN.has(name) ? sizeHint : undefined) ?? this.defaultListSize)
      : 1;
    tally.cost = size * (1 + children.cost);
    return tally;
  }

  /** Only bounded in depth: its size is the schema's, and production turns it off altogether. */
  private introspection(node: FieldNode): Tally {
    const tally = empty();
    tally.introspectionDepth = 1 + this.plainDepth(node.selectionSet);
    tally.depth = 1;
    if (node.alias) tally.aliases += 1;
    return tally;
  }

  /** Depth of a selection set, fragments measured once each (cyclic spreads add nothing). */
  private plainDepth(set: SelectionSetNode | undefined): number {
    let depth = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) depth = Math.max(depth, 1 + this.plainDepth(selection.selectionSet));
      else if (selection.kind === Kind.INLINE_FRAGMENT)
        depth = Math.max(depth, this.plainDepth(selection.selectionSet));
      else depth = Math.max(depth, this.fragmentDepth(selection.name.value));
    }
    return depth;
  }

  private fragmentDepth(name: string): number {
    const known = this.fragmentDepths.get(name);
    if (known !== undefined) return known;
    const fragment = this.fragments.get(name);
    if (!fragment || this.inProgress.has(name)) return 0;
    this.inProgress.add(name);
    const depth = this.plainDepth(fragment.selectionSet);
    this.inProgress.delete(name);
    this.fragmentDepths.set(name, depth);
    return depth;
  }

  private sliceOf(node: FieldNode, definition: GraphQLField<unknown, unknown>): number | undefined {
    let size: number | undefined;
    for (const argument of definition.args) {
      const value = this.argumentValue(node, argument);
      let candidate: number | undefined;
      // A page size over the API's maximum (DESIGN 5: 50) is refused by the owning subgraph with
      // BAD_USER_INPUT naming the argument, the clearer answer; it costs what the largest page does.
      if (SLICING_ARGUMENTS.has(argument.name) && typeof value === 'number')
        candidate = Math.max(0, Math.min(value, MAX_PAGE_SIZE));
      else if (/ids$/i.test(argument.name) && Array.isArray(value)) candidate = value.length;
      if (candidate !== undefined) size = Math.max(size ?? 0, candidate);
    }
    return size;
  }

  private argumentValue(node: FieldNode, argument: GraphQLArgument): unknown {
    const given = node.arguments?.find((a) => a.name.value === argument.name);
    if (!given) return argument.defaultValue;
    if (given.value.kind === Kind.VARIABLE) {
      const variable = given.value.name.value;
      if (variable in this.variables) return this.variables[variable];
      return this.variableDefaults.has(variable)
        ? this.variableDefaults.get(variable)
        : argument.defaultValue;
    }
    return valueFromAST(given.value, argument.type, this.variables as Record<string, unknown>);
  }
}

function operationOf(document: DocumentNode, operationName: string | null | undefined) {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

function rootFieldCount(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: ReadonlySet<string> = new Set(),
): number {
  let count = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.name.value.startsWith('__')) count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += rootFieldCount(selection.selectionSet, fragments, seen);
    } else if (!seen.has(selection.name.value)) {
      const fragment = fragments.get(selection.name.value);
      if (fragment)
        count += rootFieldCount(fragment.selectionSet, fragments, new Set(seen).add(fragment.name.value));
    }
  }
  return count;
}

/**
 * Measures one operation of a validated document. Fragments are measured once each, so a
 * document whose fragments fan out exponentially is measured in linear time.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> = {},
  defaultListSize = DEFAULT_OPERATION_LIMITS.defaultListSize,
): OperationMeasure | undefined {
  const operation = operationOf(document, operationName);
  if (!operation) return undefined;
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  const variableDefaults = new Map<string, unknown>();
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type);
    if (definition.defaultValue && type && isInputType(type)) {
      variableDefaults.set(definition.variable.name.value, valueFromAST(definition.defaultValue, type));
    }
  }
  const measurer = new Measurer(schema, document, variables, variableDefaults, defaultListSize);
  const tally = measurer.selectionSet(operation.selectionSet, root);
  tally.directives += operation.directives?.length ?? 0;
  for (const definition of operation.variableDefinitions ?? [])
    tally.directives += definition.directives?.length ?? 0;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  return { ...tally, rootFields: rootFieldCount(operation.selectionSet, fragments) };
}

const CHECKS: ReadonlyArray<{
  limit: string;
  measure: keyof OperationMeasure;
  max: keyof OperationLimits;
  describe: (value: number, max: number) => string;
}> = [
  {
    limit: 'depth',
    measure: 'depth',
    max: 'maxDepth',
    describe: (v, m) => `Operation depth ${v} exceeds the limit of ${m}`,
  },
  {
    limit: 'introspectionDepth',
    measure: 'introspectionDepth',
    max: 'maxIntrospectionDepth',
    describe: (v, m) => `Introspection depth ${v} exceeds the limit of ${m}`,
  },
  {
    limit: 'aliases',
    measure: 'aliases',
    max: 'maxAliases',
    describe: (v, m) => `Operation has ${v} aliases; the limit is ${m}`,
  },
  {
    limit: 'rootFields',
    measure: 'rootFields',
    max: 'maxRootFields',
    describe: (v, m) => `Operation selects ${v} root fields; the limit is ${m}`,
  },
  {
    limit: 'directives',
    measure: 'directives',
    max: 'maxDirectives',
    describe: (v, m) => `Operation has ${v} directives; the limit is ${m}`,
  },
  {
    limit: 'cost',
    measure: 'cost',
    max: 'maxCost',
    describe: (v, m) =>
      `Operation cost ${v} exceeds the limit of ${m} (lists count by their first/last size)`,
  },
];

/**
 * The limits an operation of a validated document exceeds, as GraphQL errors with code
 * OPERATION_LIMIT_EXCEEDED and `extensions.limit`, `value`, `max`; empty when it is within them.
 * Used for HTTP operations (the plugin below) and graphql-ws subscribes alike.
 */
export function operationLimitErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  limits: OperationLimits,
  variables: Readonly<Record<string, unknown>> = {},
): GraphQLError[] {
  const measure = measureOperation(schema, document, operationName, variables, limits.defaultListSize);
  if (!measure) return [];
  const errors: GraphQLError[] = [];
  for (const check of CHECKS) {
    const value = measure[check.measure];
    const max = limits[check.max];
    if (value > max) {
      errors.push(
        new GraphQLError(check.describe(value, max), {
          extensions: { code: OPERATION_LIMIT_EXCEEDED, limit: check.limit, value, max },
        }),
      );
    }
  }
  return errors;
}

/**
 * Applies the limits to every HTTP operation once it is resolved (so per-request variables size
 * the lists), before any planning or subgraph fetch. The first exceeded limit fails the request
 * with HTTP 400; APQ does not register an operation that fails here.
 */
export function operationLimitsPlugin<TContext extends object>(
  limits: OperationLimits,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          const [first] = operationLimitErrors(
            schema,
            document,
            operationName,
            limits,
            request.variables ?? {},
          );
          if (first) {
            throw new GraphQLError(first.message, {
              extensions: { ...first.extensions, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
