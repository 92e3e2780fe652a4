import { Supergraph } from '@apollo/federation-internals';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, type ConstDirectiveNode, type GraphQLSchema } from 'graphql';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The client-facing API schema of the committed supergraph (what the gateway serves: no join__
 * or link__ internals), built the way the gateway builds it.
 */
export function loadApiSchema(path = join(ROOT, 'supergraph.graphql')): GraphQLSchema {
  return Supergraph.build(readFileSync(path, 'utf8')).apiSchema().toGraphQLJSSchema();
}

/** Which subgraph resolves each root field (`join__field(graph:)` on Query/Mutation/Subscription). */
export function rootFieldOwners(path = join(ROOT, 'supergraph.graphql')): Map<string, string> {
  const document = parse(readFileSync(path, 'utf8'));
  const graphs = new Map<string, string>();
  const owners = new Map<string, string>();
  const argument = (directive: ConstDirectiveNode | undefined, name: string) => {
    const value = directive?.arguments?.find((a) => a.name.value === name)?.value;
    return value && (value.kind === Kind.STRING || value.kind === Kind.ENUM) ? value.value : undefined;
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const name = argument(
          value.directives?.find((d) => d.name.value === 'join__graph'),
          'name',
        );
        if (name) graphs.set(value.name.value, name);
      }
    }
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    if (!['Query', 'Mutation', 'Subscription'].includes(definition.name.value)) continue;
    for (const field of definition.fields ?? []) {
      const graph = argument(
        field.directives?.find((d) => d.name.value === 'join__field'),
        'graph',
      );
      if (graph) owners.set(`${definition.name.value}.${field.name.value}`, graphs.get(graph) ?? graph);
    }
  }
  return owners;
}
