import { ERRORS } from '@apollo/federation-internals';
import {
  GraphQLError,
  Kind,
  executeSync,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLEnumType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * The client's response, projected from the data the plan's fetches merged: a compiled
 * equivalent of `@apollo/gateway`'s `computeResponse`, which walks its own operation model and
 * evaluates directives and type conditions at every object of every response.
 *
 * Here the operation is compiled once per plan (cached with it) and, inside it, once per runtime
 * type and per combination of `@skip`/`@include` variable values: graphql-js's field collection
 * (fragments flattened, each named fragment applied once per selection set, fields of one response
 * name merged) yields, for each object, a flat list of fields with their output types resolved.
 * Projecting a response is then one walk over the data with no lookups by name in the schema.
 *
 * The behaviour is `computeResponse`'s, the gateway's contract: fields in the client's order,
 * aliases, `__typename` from the data or the runtime type, leaves checked against their type
 * (enum values, Int/Float/String/Boolean/ID; custom scalars pass through), a `null` in a non-null
 * position nulls the closest nullable parent with one error at the right path, and an invalid
 * `__typename` or leaf value nulls its field with an error.
 */

/** A value's place in the output, its nullability resolved once. */
type ValueShape =
  | { readonly kind: 'leaf'; readonly nonNull: boolean; readonly check: LeafCheck; readonly display: string }
  | { readonly kind: 'list'; readonly nonNull: boolean; readonly of: ValueShape; readonly display: string }
  | {
      readonly kind: 'composite';
      readonly nonNull: boolean;
      readonly selection: SelectionShape;
      readonly display: string;
    };

type LeafCheck = (value: unknown) => boolean;

const enum FieldKind {
  Value,
  Typename,
  Introspection,
}

interface CompiledField {
  readonly kind: FieldKind;
  readonly responseName: string;
  /** A name `Object.prototype` also has (`constructor`, `toString`...): read as an own property only. */
  readonly inherited: boolean;
  /** The type named in "Cannot return null for non-nullable field <parent>.<field>". */
  readonly parentName: string;
  readonly shape: ValueShape | undefined;
  readonly node: FieldNode;
}

interface FieldOccurrence {
  readonly node: FieldNode;
  /** The type the field was selected on (a fragment's type condition, else the object's). */
  readonly staticParent: GraphQLCompositeType;
  readonly parentName: string;
}

/** A composite value's selections: compiled per runtime type on first use. */
class SelectionShape {
  private readonly byType = new Map<string, readonly CompiledField[]>();

  constructor(
    private readonly compiler: ShapeCompiler,
    readonly staticType: GraphQLCompositeType,
    private readonly selectionSets: readonly SelectionSetNode[],
  ) {}

  fieldsFor(runtimeType: GraphQLCompositeType): readonly CompiledField[] {
    let fields = this.byType.get(runtimeType.name);
    if (!fields) {
      fields = this.compiler.compileFields(runtimeType, this.selectionSets);
      this.byType.set(runtimeType.name, fields);
    }
    return fields;
  }
}

const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Whether `name` would read something from `Object.prototype` on a plain object that lacks it. */
export function isInherited(name: string): boolean {
  return INHERITED.has(name);
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function leafCheck(type: GraphQLNamedType): LeafCheck {
  if (isEnumType(type)) {
    const enumType: GraphQLEnumType = type;
    return (value) => typeof value === 'string' && enumType.getValue(value) !== undefined;
  }
  // federation-internals' isValidLeafValue, specialised per type.
  switch (type.name) {
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
    case 'ID':
      return type.name === 'Int'
        ? (value) => typeof value === 'number' && isFinite(value) && INTEGER.test(String(value))
        : (value) =>
            typeof value === 'string' ||
            (typeof value === 'number' && isFinite(value) && INTEGER.test(String(value)));
    case 'Float':
      return (value) => typeof value === 'number' && isFinite(value);
    case 'String':
      return (value) => typeof value === 'string';
    default:
      return () => true;
  }
}

/** Compiles the shapes of one operation for one combination of `@skip`/`@include` values. */
class ShapeCompiler {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly conditions: ReadonlyMap<string, boolean>,
  ) {}

  private included(directives: readonly DirectiveNode[] | undefined): boolean {
    if (!directives || directives.length === 0) return true;
    for (const directive of directives) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const arg = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      let value: boolean;
      if (arg?.kind === Kind.BOOLEAN) value = arg.value;
      else if (arg?.kind === Kind.VARIABLE) value = this.conditions.get(arg.name.value) === true;
      else continue;
      if (name === 'skip' ? value : !value) return false;
    }
    return true;
  }

  /** Whether a fragment's type condition holds for an object of `runtimeType` (graphql-js's rule). */
  private applies(condition: GraphQLCompositeType, runtimeType: GraphQLCompositeType): boolean {
    if (condition === runtimeType) return true;
    if (!isAbstractType(condition)) return false;
    return (
      (isObjectType(runtimeType) || isInterfaceType(runtimeType)) &&
      this.schema.isSubType(condition, runtimeType)
    );
  }

  private collect(
    runtimeType: GraphQLCompositeType,
    selectionSet: SelectionSetNode,
    staticParent: GraphQLCompositeType,
    parentName: string,
    into: Map<string, FieldOccurrence[]>,
    visited: Set<string>,
  ): void {
    for (const selection of selectionSet.selections) {
      if (!this.included(selection.directives)) continue;
      switch (selection.kind) {
        case Kind.FIELD: {
          const responseName = selection.alias?.value ?? selection.name.value;
          const occurrence = { node: selection, staticParent, parentName };
          const existing = into.get(responseName);
          if (existing) existing.push(occurrence);
          else into.set(responseName, [occurrence]);
          break;
        }
        case Kind.INLINE_FRAGMENT: {
          const condition = selection.typeCondition
            ? (this.schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined)
            : undefined;
          if (condition && !this.applies(condition, runtimeType)) continue;
          this.collect(
            runtimeType,
            selection.selectionSet,
            condition ?? staticParent,
            condition?.name ?? parentName,
            into,
            visited,
          );
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          if (visited.has(name)) continue;
          visited.add(name);
          const fragment = this.fragments.get(name);
          if (!fragment) continue;
          const condition = this.schema.getType(fragment.typeCondition.name.value) as
            GraphQLCompositeType | undefined;
          if (!condition || !this.applies(condition, runtimeType)) continue;
          this.collect(runtimeType, fragment.selectionSet, condition, condition.name, into, visited);
          break;
        }
      }
    }
  }

  compileFields(
    runtimeType: GraphQLCompositeType,
    selectionSets: readonly SelectionSetNode[],
    staticType: GraphQLCompositeType = runtimeType,
  ): CompiledField[] {
    const collected = new Map<string, FieldOccurrence[]>();
    const visited = new Set<string>();
    for (const selectionSet of selectionSets)
      this.collect(runtimeType, selectionSet, staticType, runtimeType.name, collected, visited);
    const fields: CompiledField[] = [];
    for (const [responseName, occurrences] of collected) {
      const first = occurrences[0]!;
      const fieldName = first.node.name.value;
      if (fieldName === '__typename') {
        fields.push({
          kind: FieldKind.Typename,
          responseName,
          inherited: isInherited(responseName),
          parentName: first.parentName,
          shape: undefined,
          node: first.node,
        });
        continue;
      }
      if (fieldName === '__schema' || fieldName === '__type') {
        fields.push({
          kind: FieldKind.Introspection,
          responseName,
          inherited: isInherited(responseName),
          parentName: first.parentName,
          shape: undefined,
          node: first.node,
        });
        continue;
      }
      const parent = first.staticParent;
      const definition = 'getFields' in parent ? parent.getFields()[fieldName] : undefined;
      if (!definition) throw new Error(`Unknown field ${parent.name}.${fieldName}`);
      const subSelections: SelectionSetNode[] = [];
      for (const occurrence of occurrences)
        if (occurrence.node.selectionSet) subSelections.push(occurrence.node.selectionSet);
      fields.push({
        kind: FieldKind.Value,
        responseName,
        inherited: isInherited(responseName),
        parentName: first.parentName,
        shape: this.valueShape(definition.type, subSelections),
        node: first.node,
      });
    }
    return fields;
  }

  private valueShape(type: GraphQLOutputType, selections: readonly SelectionSetNode[]): ValueShape {
    const nonNull = isNonNullType(type);
    const nullable = nonNull ? type.ofType : type;
    const display = String(nullable);
    if (isListType(nullable)) {
      return { kind: 'list', nonNull, of: this.valueShape(nullable.ofType, selections), display };
    }
    if (isCompositeType(nullable)) {
      return {
        kind: 'composite',
        nonNull,
        selection: new SelectionShape(this, nullable, selections),
        display,
      };
    }
    const named = getNamedType(nullable);
    if (!isScalarType(named) && !isEnumType(named)) throw new Error(`Unexpected output type ${display}`);
    return { kind: 'leaf', nonNull, check: leafCheck(named), display };
  }
}

/** Marks a value nulled because of an error already recorded (the caller does not add another). */
const FAILED: unique symbol = Symbol('failed');
type Completed = unknown;

export interface ProjectionResult {
  readonly data: Record<string, unknown> | null;
  /** Completion errors (`Cannot return null for non-nullable field ...`), INVALID_GRAPHQL. */
  readonly errors: readonly GraphQLError[];
}

/** One operation's response shapes, for every `@skip`/`@include` combination met so far. */
export class OperationProjection {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** Variables `@skip(if:)`/`@include(if:)` read, in a fixed order, and their defaults. */
  private readonly conditionVariables: ReadonlyArray<{ readonly name: string; readonly fallback: unknown }>;
  private readonly roots = new Map<string, readonly CompiledField[]>();
  private readonly rootType: GraphQLCompositeType;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly document: DocumentNode,
    readonly operation: OperationDefinitionNode,
  ) {
    for (const definition of document.definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    const rootType = schema.getRootType(operation.operation);
    if (!rootType) throw new Error(`The schema has no ${operation.operation} type`);
    this.rootType = rootType;
    const names = new Set<string>();
    const scan = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(scan);
      if (!node || typeof node !== 'object') return;
      const record = node as { kind?: string; name?: { value: string }; arguments?: unknown[] };
      if (
        record.kind === Kind.DIRECTIVE &&
        (record.name?.value === 'skip' || record.name?.value === 'include')
      ) {
        for (const arg of (record.arguments ?? []) as Array<{
          value: { kind: string; name?: { value: string } };
        }>)
          if (arg.value.kind === Kind.VARIABLE && arg.value.name) names.add(arg.value.name.value);
      }
      for (const [key, value] of Object.entries(node)) if (key !== 'loc') scan(value);
    };
    scan(operation);
    for (const fragment of this.fragments.values()) scan(fragment);
    this.conditionVariables = [...names].map((name) => {
      const definition = operation.variableDefinitions?.find((v) => v.variable.name.value === name);
      const fallback =
        definition?.defaultValue !== undefined ? valueFromASTUntyped(definition.defaultValue) : undefined;
      return { name, fallback };
    });
  }

  private rootFields(variables: Readonly<Record<string, unknown>>): readonly CompiledField[] {
    let key = '';
    const conditions = new Map<string, boolean>();
    for (const { name, fallback } of this.conditionVariables) {
      const raw =
        Object.hasOwn(variables, name) && variables[name] !== undefined ? variables[name] : fallback;
      if (typeof raw !== 'boolean') {
        throw new GraphQLError(`Unexpected value ${String(raw)} for variable $${name} of @skip/@include`);
      }
      conditions.set(name, raw);
      key += raw ? '1' : '0';
    }
    let fields = this.roots.get(key);
    if (!fields) {
      fields = new ShapeCompiler(this.schema, this.fragments, conditions).compileFields(this.rootType, [
        this.operation.selectionSet,
      ]);
      this.roots.set(key, fields);
    }
    return fields;
  }

  /** The client's `data` from the merged fetch results, and completion errors. */
  project(input: Record<string, unknown>, variables: Readonly<Record<string, unknown>>): ProjectionResult {
    const run = new ProjectionRun(this.schema, this.document, this.operation, variables);
    const data = run.object(input, this.rootFields(variables), this.rootType);
    return { data: data === FAILED ? null : data, errors: run.errors };
  }
}

class ProjectionRun {
  readonly errors: GraphQLError[] = [];
  private readonly path: Array<string | number> = [];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly document: DocumentNode,
    private readonly operation: OperationDefinitionNode,
    private readonly variables: Readonly<Record<string, unknown>>,
  ) {}

  private fail(message: string): typeof FAILED {
    this.errors.push(ERRORS.INVALID_GRAPHQL.err(message, { path: [...this.path] }));
    return FAILED;
  }

  private describe(display: string, parentName: string): string {
    const last = this.path[this.path.length - 1];
    return typeof last === 'number'
      ? `array element of type ${display} at index ${last}`
      : `field ${parentName}.${String(last)}`;
  }

  object(
    input: Record<string, unknown>,
    fields: readonly CompiledField[],
    runtimeType: GraphQLCompositeType,
  ): Record<string, unknown> | typeof FAILED {
    const output: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const name = field.responseName;
      let value: unknown;
      if (field.kind === FieldKind.Value) {
        const raw = field.inherited && !Object.hasOwn(input, name) ? undefined : input[name];
        this.path.push(name);
        value = this.value(raw === undefined ? null : raw, field.shape!, field.parentName);
        this.path.pop();
        if (value === FAILED) return FAILED;
      } else if (field.kind === FieldKind.Typename) {
        let raw = (field.inherited && !Object.hasOwn(input, name) ? undefined : input[name]) ?? null;
        if (raw === null && name !== '__typename') raw = input.__typename ?? null;
        const type = (typeof raw === 'string' ? this.schema.getType(raw) : undefined) ?? runtimeType;
        if (!isObjectType(type)) return FAILED;
        value = type.name;
      } else {
        value = this.introspect(field.node);
      }
      if (field.inherited) Object.defineProperty(output, name, { value, enumerable: true, writable: true });
      else output[name] = value;
    }
    return output;
  }

  private value(raw: unknown, shape: ValueShape, parentName: string): Completed {
    if (raw === null) {
      if (shape.nonNull)
        return this.fail(`Cannot return null for non-nullable ${this.describe(shape.display, parentName)}.`);
      return null;
    }
    let result: Completed;
    switch (shape.kind) {
      case 'leaf':
        result = shape.check(raw)
          ? raw
          : this.fail(`Invalid value found for ${this.describe(shape.display, parentName)}.`);
        break;
      case 'list': {
        if (!Array.isArray(raw))
          throw new Error(
            `Invalid non-list value ${String(raw)} returned by subgraph for list type ${shape.display}`,
          );
        const list = new Array<unknown>(raw.length);
        let failed = false;
        for (let i = 0; i < raw.length; i++) {
          this.path.push(i);
          const element = this.value(raw[i] ?? null, shape.of, parentName);
          this.path.pop();
          if (element === FAILED) {
            failed = true;
            list[i] = null;
          } else list[i] = element;
        }
        result = failed ? FAILED : list;
        break;
      }
      case 'composite': {
        if (typeof raw !== 'object')
          throw new Error(
            `Invalid non-object value ${String(raw)} returned by subgraph for composite type ${shape.display}`,
          );
        const record = raw as Record<string, unknown>;
        const typename = record.__typename;
        let runtimeType = shape.selection.staticType;
        if (typename !== undefined && typename !== null && typename !== '') {
          if (typeof typename !== 'string')
            throw new Error(`Invalid non-string value ${String(typename)} for __typename`);
          const named = this.schema.getType(typename);
          if (!named || !isCompositeType(named)) {
            result = this.fail(
              `Invalid __typename found for object at ${this.describe(shape.display, parentName)}.`,
            );
            break;
          }
          runtimeType = named;
        }
        result = this.object(record, shape.selection.fieldsFor(runtimeType), runtimeType);
        break;
      }
    }
    // A failure below is already recorded: a non-null value passes it up, a nullable one is null.
    if (result === FAILED) return shape.nonNull ? FAILED : null;
    return result;
  }

  /** `__schema` / `__type`, answered by graphql-js from the API schema (no subgraph has them). */
  private introspect(field: FieldNode): unknown {
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          ...this.operation,
          selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
        },
        ...this.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION),
      ],
    };
    const result = executeSync({
      schema: this.schema,
      document,
      rootValue: {},
      variableValues: this.variables,
    });
    if (result.errors?.length) throw result.errors[0];
    return result.data?.[field.alias?.value ?? field.name.value] ?? null;
  }
}
