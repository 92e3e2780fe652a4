import type { FetchNode } from '@apollo/query-planner';
import {
  Kind,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * Entity fetches to one subgraph that a plan runs at the same moment (the branches of a Parallel:
 * a page's post authors and its commenters, both `User`s from profile) go as ONE request: their
 * operations merged into one, each `_entities` field under an alias of its own with its own
 * representations variable. One HTTP round trip instead of several, and the subgraph resolves
 * them in one execution, so its DataLoaders batch them into one database query.
 *
 * The split answer is what each fetch would have had alone: each alias's list and the errors
 * under it (re-pathed to `_entities`). Only a whole-operation failure differs when merged (one
 * `_entities` failing nulls the whole `data`, as its list is non-null), so then each fetch is
 * sent again on its own; a query is a read, safe to repeat.
 */

/** The alias of the `index`th fetch's `_entities` field in a merged operation. */
const aliasOf = (index: number) => `_entities${index}`;
const ALIAS = /^_entities(\d+)$/;
/** The `index`th fetch's representations variable in a merged operation. */
const representationsOf = (index: number) => `representations${index}`;

/** An entity fetch in the planner's usual shape: one `_entities(representations: $representations)`. */
interface EntityOperation {
  readonly definition: OperationDefinitionNode;
  readonly field: FieldNode;
}

const shapes = new WeakMap<FetchNode, EntityOperation | null>();

/** The fetch's operation when it can be merged with others, else null (sent as it is). */
function entityOperation(fetch: FetchNode): EntityOperation | null {
  let shape = shapes.get(fetch);
  if (shape === undefined) {
    shape = readShape(fetch);
    shapes.set(fetch, shape);
  }
  return shape;
}

function readShape(fetch: FetchNode): EntityOperation | null {
  if (!fetch.requires || fetch.operationKind !== 'query' || fetch.hasDefers || fetch.contextRewrites?.length)
    return null;
  let document: DocumentNode;
  try {
    document = fetch.operationDocumentNode ?? parse(fetch.operation);
  } catch {
    return null;
  }
  // Fragments (the planner's reused ones) could collide by name across operations: not merged.
  if (document.definitions.length !== 1) return null;
  const definition = document.definitions[0]!;
  if (definition.kind !== Kind.OPERATION_DEFINITION || definition.operation !== 'query') return null;
  if (definition.directives?.length || definition.selectionSet.selections.length !== 1) return null;
  const field = definition.selectionSet.selections[0]!;
  if (
    field.kind !== Kind.FIELD ||
    field.name.value !== '_entities' ||
    field.alias ||
    field.directives?.length
  )
    return null;
  const argument = field.arguments?.length === 1 ? field.arguments[0]! : undefined;
  if (
    argument?.name.value !== 'representations' ||
    argument.value.kind !== Kind.VARIABLE ||
    argument.value.name.value !== 'representations'
  )
    return null;
  return { definition, field };
}

/** Whether `fetch` may share a request with other entity fetches to its subgraph. */
export const isBatchable = (fetch: FetchNode): boolean => entityOperation(fetch) !== null;

/** Merged operation texts by their fetches' operations; plans are cached, so combinations recur. */
const merged = new Map<string, string>();
const MERGED_CACHE_SIZE = 1_000;

/** One operation with every fetch's `_entities` under its alias (`fetches` all batchable). */
export function mergedOperation(fetches: readonly FetchNode[]): string {
  const key = fetches.map((fetch) => fetch.operation).join('\n');
  let operation = merged.get(key);
  if (operation !== undefined) return operation;
  const variables = new Map<string, VariableDefinitionNode>();
  const fields: FieldNode[] = [];
  fetches.forEach((fetch, index) => {
    const { definition, field } = entityOperation(fetch)!;
    for (const variable of definition.variableDefinitions ?? []) {
      const name = variable.variable.name.value;
      if (name === 'representations') {
        const renamed = representationsOf(index);
        variables.set(renamed, {
          ...variable,
          variable: { ...variable.variable, name: { kind: Kind.NAME, value: renamed } },
        });
      } else if (!variables.has(name)) variables.set(name, variable);
    }
    fields.push({
      ...field,
      alias: { kind: Kind.NAME, value: aliasOf(index) },
      arguments: [
        {
          ...field.arguments![0]!,
          value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: representationsOf(index) } },
        },
      ],
    });
  });
  const first = entityOperation(fetches[0]!)!.definition;
  operation = print({
    kind: Kind.DOCUMENT,
    definitions: [
      {
        ...first,
        variableDefinitions: [...variables.values()],
        selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
      },
    ],
  });
  if (merged.size >= MERGED_CACHE_SIZE) merged.clear();
  merged.set(key, operation);
  return operation;
}

/** The variables of a merged operation: each fetch's representations renamed, the rest shared. */
export function mergedVariables(
  variables: readonly Readonly<Record<string, unknown>>[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  variables.forEach((own, index) => {
    for (const name of Object.keys(own)) {
      const target = name === 'representations' ? representationsOf(index) : name;
      Object.defineProperty(result, target, {
        value: own[name],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  });
  return result;
}

interface Answer {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

/**
 * Each fetch's own answer out of a merged one, or undefined when the merged operation failed as a
 * whole (no data, or an alias missing): the fetches are then to be sent one by one.
 */
export function splitAnswer(answer: Answer, count: number): Answer[] | undefined {
  const data = answer.data;
  if (!data) return undefined;
  const lists: unknown[] = [];
  for (let index = 0; index < count; index++) {
    const list = data[aliasOf(index)];
    if (!Array.isArray(list)) return undefined;
    lists.push(list);
  }
  const errors: GraphQLFormattedError[][] = lists.map(() => []);
  for (const error of answer.errors ?? []) {
    const head = error.path?.[0];
    const match = typeof head === 'string' ? ALIAS.exec(head) : null;
    const index = match ? Number(match[1]) : undefined;
    if (index !== undefined && index < count)
      errors[index]!.push({ ...error, path: ['_entities', ...error.path!.slice(1)] });
    // An error of the request itself (no path into any alias): reported once, with the first.
    else errors[0]!.push(error);
  }
  return lists.map((list, index) => ({
    data: { _entities: list },
    ...(errors[index]!.length > 0 ? { errors: errors[index] } : {}),
  }));
}
