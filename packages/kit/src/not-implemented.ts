import {
  Kind,
  type DocumentNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { notImplemented } from './errors.js';

type ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode;

const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

function isResolvableEntity(node: ObjectNode): boolean {
  return (node.directives ?? []).some(
    (d) =>
      d.name.value === 'key' &&
      !(d.arguments ?? []).some(
        (a) => a.name.value === 'resolvable' && a.value.kind === Kind.BOOLEAN && a.value.value === false,
      ),
  );
}

/**
 * While a subgraph's issue has not landed, every root field and entity reference it has not
 * implemented answers with a NOT_IMPLEMENTED GraphQL error instead of a silent null. Each
 * subgraph issue implements its fields and drops the call to this helper.
 */
export function withNotImplemented<TContext>(
  typeDefs: DocumentNode,
  resolvers: GraphQLResolverMap<TContext> = {},
  options: {
    /** Types whose every field without a resolver fails too, except the ones listed as already served. */
    partialTypes?: Record<string, readonly string[]>;
  } = {},
): GraphQLResolverMap<TContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const [type, fields] of Object.entries(resolvers)) merged[type] = { ...(fields as object) };
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION)
      continue;
    const type = definition.name.value;
    const target = (merged[type] ??= {});
    if (ROOTS.has(type)) {
      for (const field of definition.fields ?? []) {
        const name = field.name.value;
        if (target[name] !== undefined) continue;
        const fail = () => {
          throw notImplemented(`${type}.${name}`);
        };
        target[name] = type === 'Subscription' ? { subscribe: fail } : fail;
      }
    } else {
      if (isResolvableEntity(definition) && target.__resolveReference === undefined) {
        target.__resolveReference = () => {
          throw notImplemented(`${type} reference`);
        };
      }
      const served = options.partialTypes?.[type];
      for (const field of served ? (definition.fields ?? []) : []) {
        const name = field.name.value;
        if (target[name] !== undefined || served?.includes(name)) continue;
        target[name] = () => {
          throw notImplemented(`${type}.${name}`);
        };
      }
    }
  }
  return merged as GraphQLResolverMap<TContext>;
}
