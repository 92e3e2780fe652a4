import { ApolloGateway } from '@apollo/gateway';
import { getIntrospectionQuery, parse, validate, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_OPERATION_LIMITS,
  measureOperation,
  operationLimitErrors,
  type OperationLimits,
} from '../src/limits.js';

/** The limit checks themselves, against the real API schema (no services needed). */

let schema: GraphQLSchema;
let loader: ApolloGateway;

beforeAll(async () => {
  loader = new ApolloGateway({
    supergraphSdl: readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8'),
  });
  ({ schema } = await loader.load());
});
afterAll(async () => {
  await loader.stop();
});

function errorsOf(
  source: string,
  limits: Partial<OperationLimits> = {},
  variables: Record<string, unknown> = {},
  operationName?: string,
) {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  return operationLimitErrors(
    schema,
    document,
    operationName,
    { ...DEFAULT_OPERATION_LIMITS, ...limits },
    variables,
  );
}

const limitOf = (errors: ReturnType<typeof errorsOf>) =>
  errors.map((e) => ({ message: e.message, ...e.extensions }));

test('depth: a post → author → posts cycle past the limit is refused, a profile page is not', () => {
  const cycle = `{ post(id: "1") { author { posts(first: 1) { edges { node { author { posts(first: 1) {
    edges { node { author { posts(first: 1) { edges { node { id } } } } } } } } } } } } } }`;
  expect(limitOf(errorsOf(cycle))).toEqual([
    {
      message: 'Operation depth 14 exceeds the limit of 12',
      code: 'OPERATION_LIMIT_EXCEEDED',
      limit: 'depth',
      value: 14,
      max: 12,
    },
  ]);
  expect(errorsOf(cycle, { maxDepth: 14 })).toEqual([]);
  expect(
    errorsOf(`{ me { id displayName avatar { url } friends(first: 5) { edges { node { id } } } } }`),
  ).toEqual([]);
});

test('depth counts through fragments and inline fragments, and the leaf', () => {
  const source = `query Q { me { ...F } } fragment F on User { posts(first: 1) { edges { ... on PostEdge { node { id } } } } }`;
  expect(measureOperation(schema, parse(source), 'Q')?.depth).toBe(5);
  expect(limitOf(errorsOf(source, { maxDepth: 4 }))[0]).toMatchObject({ limit: 'depth', value: 5, max: 4 });
});

test('aliases: more than the limit are refused, a few are fine', () => {
  const many = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
  expect(limitOf(errorsOf(many, { maxRootFields: 100 }))).toEqual([
    expect.objectContaining({
      message: 'Operation has 16 aliases; the limit is 15',
      limit: 'aliases',
      value: 16,
      max: 15,
    }),
  ]);
  expect(errorsOf(`{ a: me { id } b: me { username } }`)).toEqual([]);
});

test('aliases in a fragment count once per spread', () => {
  const source = `{ me { ...A } a: me { ...A } b: me { ...A } } fragment A on User { x: id y: username z: displayName w: bio }`;
  // 3 spreads × 4 aliases + 2 root aliases
  expect(measureOperation(schema, parse(source), undefined)?.aliases).toBe(14);
  expect(limitOf(errorsOf(source, { maxAliases: 13 }))[0]).toMatchObject({ limit: 'aliases', value: 14 });
});

test('root fields: a request selecting too many root fields is refused', () => {
  const roots = [
    'me { id }',
    'totalUnreadCount',
    'jwks',
    'sessions { id }',
    'feed { pageInfo { hasNextPage } }',
  ];
  expect(errorsOf(`{ ${roots.join(' ')} }`)).toEqual([]);
  const eleven = `{ ${Array.from({ length: 11 }, (_, i) => `r${i}: totalUnreadCount`).join(' ')} }`;
  expect(limitOf(errorsOf(eleven))).toEqual([
    expect.objectContaining({
      message: 'Operation selects 11 root fields; the limit is 10',
      limit: 'rootFields',
      value: 11,
    }),
  ]);
});

test('directives: every @include/@skip counts, fragments once per spread', () => {
  const fields = Array.from({ length: 51 }, () => 'id @include(if: true)').join(' ');
  expect(limitOf(errorsOf(`{ me { ${fields} } }`))).toEqual([
    expect.objectContaining({ message: 'Operation has 51 directives; the limit is 50', limit: 'directives' }),
  ]);
  expect(
    errorsOf(`query ($full: Boolean!) { me { id bio @include(if: $full) } }`, {}, { full: true }),
  ).toEqual([]);
});

test('cost: lists multiply by first/last, so 50 posts × 50 comments × authors is refused', () => {
  const heavy = `query ($n: Int) { feed(first: $n) { edges { node { id author { id }
    comments(first: $n) { edges { node { id author { id displayName } } } } } } } }`;
  const errors = limitOf(errorsOf(heavy, {}, { n: 50 }));
  expect(errors).toEqual([
    expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'cost', value: 7701, max: 5000 }),
  ]);
  expect(errors[0]?.message).toMatch(/^Operation cost 7701 exceeds the limit of 5000/);
  // The same operation for a page of 10 posts with 5 comments each is an ordinary screen.
  expect(errorsOf(heavy, {}, { n: 5 })).toEqual([]);
});

test('cost: slicing sizes come from literals, variables, variable defaults and schema defaults', () => {
  const cost = (source: string, variables: Record<string, unknown> = {}) =>
    measureOperation(schema, parse(source), undefined, variables)?.cost;
  // feed: 1 + edges (n × (1 + node 1)) → 1 + 2n
  expect(cost(`{ feed(first: 3) { edges { node { id } } } }`)).toBe(7);
  expect(cost(`query ($n: Int) { feed(first: $n) { edges { node { id } } } }`, { n: 4 })).toBe(9);
  expect(cost(`query ($n: Int = 5) { feed(first: $n) { edges { node { id } } } }`)).toBe(11);
  // `feed(first: Int = 20)`: the schema's default.
  expect(cost(`{ feed { edges { node { id } } } }`)).toBe(41);
  // An `ids` list sizes the result; an unsized list counts defaultListSize (5) items.
  expect(cost(`{ post(id: "1") { media { id } } }`)).toBe(1 + 5);
});

test('a fragment fan-out that would expand exponentially is measured quickly and refused', () => {
  const levels = 30;
  const fragments = Array.from(
    { length: levels },
    (_, i) =>
      `fragment F${i} on User { ${i + 1 < levels ? `a${i}: friends(first: 2) { ...F${i + 1} } b${i}: friends(first: 2) { ...F${i + 1} }` : 'id'} }`,
  ).join('\n');
  const document = parse(`{ me { ...F0 } }\n${fragments}`);
  const errors = operationLimitErrors(schema, document, undefined, DEFAULT_OPERATION_LIMITS);
  expect(errors.map((e) => e.extensions.limit)).toEqual(expect.arrayContaining(['depth', 'aliases', 'cost']));
});

test('a subscription is measured like any operation', () => {
  const source = `subscription ($id: ID!) { conversationEvents(conversationId: $id) { __typename
    ... on MessageAddedEvent { message { id sender { displayName avatarUrl } } } } }`;
  expect(errorsOf(source, {}, { id: 'c1' })).toEqual([]);
  expect(limitOf(errorsOf(source, { maxDepth: 3 }, { id: 'c1' }))[0]).toMatchObject({
    limit: 'depth',
    value: 4,
  });
});

test('the operation named in the request is the one measured', () => {
  const source = `query Small { me { id } } query Big { a: me { id } b: me { id } c: me { id } }`;
  expect(errorsOf(source, { maxAliases: 2 }, {}, 'Small')).toEqual([]);
  expect(limitOf(errorsOf(source, { maxAliases: 2 }, {}, 'Big'))[0]).toMatchObject({ limit: 'aliases' });
});

test("GraphiQL's introspection query passes the limits; a deeper introspection does not", () => {
  const introspection = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  });
  expect(() => parse(introspection, { maxTokens: DEFAULT_OPERATION_LIMITS.maxTokens })).not.toThrow();
  expect(errorsOf(introspection)).toEqual([]);
  expect(measureOperation(schema, parse(introspection), 'IntrospectionQuery')?.introspectionDepth).toBe(15);
  // graphql-js already refuses fields → type → fields nesting; `ofType` chains are ours to bound.
  const ofTypes = (depth: number): string => (depth === 0 ? 'name' : `name ofType { ${ofTypes(depth - 1)} }`);
  expect(errorsOf(`{ __type(name: "User") { ${ofTypes(18)} } }`)).toEqual([]);
  expect(limitOf(errorsOf(`{ __type(name: "User") { ${ofTypes(19)} } }`))[0]).toMatchObject({
    message: 'Introspection depth 21 exceeds the limit of 20',
    limit: 'introspectionDepth',
    max: 20,
  });
  // Naming an operation or fragment __schema does not make it introspection.
  const disguised = `query __schema { post(id: "1") { author { posts(first: 1) { edges { node { author { posts(first: 1) {
    edges { node { author { posts(first: 1) { edges { node { id } } } } } } } } } } } } } }`;
  expect(limitOf(errorsOf(disguised))[0]).toMatchObject({ limit: 'depth' });
});

test('the tokens limit is applied by the parser before anything is measured', () => {
  const big = `{ me { ${Array.from({ length: 1000 }, () => 'id').join(' ')} } }`;
  // (graphql-js spells it "more that")
  expect(() => parse(big, { maxTokens: DEFAULT_OPERATION_LIMITS.maxTokens })).toThrow(
    /Document contains more th.t 1000 tokens/,
  );
});

test('an introspection fragment fan-out is measured quickly too', () => {
  const levels = 40;
  const fragments = Array.from(
    { length: levels },
    (_, i) =>
      `fragment T${i} on __Type { ${i + 1 < levels ? `ofType { ...T${i + 1} } possibleTypes { ...T${i + 1} }` : 'name'} }`,
  ).join('\n');
  const document = parse(`{ __type(name: "User") { ...T0 } }\n${fragments}`);
  const errors = operationLimitErrors(schema, document, undefined, DEFAULT_OPERATION_LIMITS);
  expect(errors.map((e) => e.extensions.limit)).toEqual(['introspectionDepth']);
});
