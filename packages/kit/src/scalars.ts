import { GraphQLScalarType, Kind, type DocumentNode, type ValueNode } from 'graphql';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Whether the calendar day an ISO string names exists (Date rolls 2026-02-30 over to March 2). */
function existingDay(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function toDate(value: unknown): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('DateTime cannot represent an invalid Date');
    return value;
  }
  if (typeof value === 'string' && ISO_DATE_TIME.test(value) && existingDay(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  throw new TypeError(
    `DateTime must be an ISO-8601 date-time with a time zone, got ${JSON.stringify(value)}`,
  );
}

/** ISO-8601 UTC timestamps out; ISO-8601 with an explicit zone in. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-11-21T08:30:00.000Z.',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new TypeError('DateTime must be a string');
    return toDate(value);
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('DateTime must be a string');
    return toDate(ast.value);
  },
});

function literalToJson(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new TypeError(`JSON cannot represent ${ast.kind}`);
  }
}

/**
 * Arbitrary JSON. Values are passed through as plain data; resolvers that store them must validate
 * their shape (keys starting with `$` are operators to MongoDB and must never reach a query).
 */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalToJson(ast, variables),
});

export const scalarResolvers = { DateTime: DateTimeScalar, JSON: JSONScalar };

/** The shared scalar implementations for the scalars an SDL declares (so no subgraph wires them by hand). */
export function scalarResolversFor(typeDefs: DocumentNode): Record<string, GraphQLScalarType> {
  const declared = new Set(
    typeDefs.definitions.flatMap((d) => (d.kind === Kind.SCALAR_TYPE_DEFINITION ? [d.name.value] : [])),
  );
  return Object.fromEntries(Object.entries(scalarResolvers).filter(([name]) => declared.has(name)));
}
