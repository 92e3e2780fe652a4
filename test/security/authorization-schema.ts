/**
 * The fields the authorization matrix must cover, read from the composed supergraph: every field of
 * Query, Mutation, Subscription and of every object type a client can reach. Federation internals
 * (`_entities`, `_service`, `_Service`, `join__*`, `link__*`) and `@inaccessible` fields (not part
 * of the API schema, e.g. User.accountFirstName) are left out.
 */
import { readFileSync } from 'node:fs';
import {
  buildASTSchema,
  isObjectType,
  parse,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
} from 'graphql';

/**
 * Who may use a field (access-classification.json, one entry per field, with a note where the rule
 * is subtle):
 * - public: anyone, anonymous included (lists filtered per viewer; blocks still apply);
 * - authenticated: any signed-in user, on their own data or filtered for them;
 * - owner: the user the thing belongs to (sender, author, account), plus staff where the note says;
 * - participant: active participants of the conversation;
 * - friend-visible: the owner and, per the owner's privacy settings / the item's visibility, friends;
 * - admin: admins (and moderators where the note says);
 * - parent (object fields only): whoever may see the parent object sees the field.
 */
export const ACCESS_LEVELS = [
  'public',
  'authenticated',
  'owner',
  'participant',
  'friend-visible',
  'admin',
  'parent',
] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export interface FieldClass {
  readonly access: AccessLevel;
  readonly note?: string;
}

/** `Type.field` → classification (the committed file). */
export type Classification = Readonly<Record<string, FieldClass>>;

export const CLASSIFICATION_PATH = new URL('./access-classification.json', import.meta.url);
export const SUPERGRAPH_PATH = new URL('../../supergraph.graphql', import.meta.url);

const INTERNAL_FIELDS = new Set(['Query._entities', 'Query._service']);
const isInternalType = (name: string) =>
  name.startsWith('__') || name.startsWith('join__') || name.startsWith('link__') || name === '_Service';

const inaccessible = (node: { directives?: readonly { name: { value: string } }[] } | undefined) =>
  Boolean(node?.directives?.some((directive) => directive.name.value === 'inaccessible'));

export function loadSupergraph(): { schema: GraphQLSchema; document: DocumentNode } {
  const document = parse(readFileSync(SUPERGRAPH_PATH, 'utf8'));
  return { schema: buildASTSchema(document, { assumeValidSDL: true }), document };
}

/** Every client-reachable object field of the supergraph as `Type.field`, sorted. */
export function schemaFields(schema: GraphQLSchema = loadSupergraph().schema): string[] {
  const fields: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isInternalType(type.name) || inaccessible(type.astNode ?? undefined)) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      if (INTERNAL_FIELDS.has(key) || inaccessible(field.astNode as FieldDefinitionNode | undefined))
        continue;
      fields.push(key);
    }
  }
  return fields.sort();
}

export function readClassification(): Classification {
  return JSON.parse(readFileSync(CLASSIFICATION_PATH, 'utf8')) as Classification;
}

/** What the file lacks, what it lists that the schema no longer has, and invalid entries. */
export function classificationGaps(
  classification: Classification,
  fields: readonly string[] = schemaFields(),
): { unclassified: string[]; stale: string[]; invalid: string[] } {
  const known = new Set(fields);
  return {
    unclassified: fields.filter((field) => !(field in classification)),
    stale: Object.keys(classification).filter((field) => !known.has(field)),
    invalid: Object.entries(classification)
      .filter(([field, entry]) => {
        const levels: readonly string[] = ACCESS_LEVELS;
        if (!levels.includes(entry.access)) return true;
        // Root fields are entry points: "visible with the parent" means nothing there.
        const root = /^(Query|Mutation|Subscription)\./.test(field);
        return root && entry.access === 'parent';
      })
      .map(([field]) => field),
  };
}
