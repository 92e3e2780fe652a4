import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { badUserInput } from '@social/kit';
import { GraphQLError, Kind, parse, type ValidationRule } from 'graphql';
import { createGateway, type Gateway } from '../src/gateway.js';
import {
  capturingLogger,
  composeSupergraph,
  readResponse,
  startSubgraph,
  type TestSubgraph,
} from './fixtures.js';

/**
 * The gateway's own plan executor (src/execution/) answers exactly as `@apollo/gateway` does: the
 * same operations go to both over the same subgraphs and the bodies must be equal — aliases,
 * fragments, `__typename`, `@skip`/`@include` from variables, abstract types, `@requires`, enum and
 * scalar checks, null propagation and errors with their path and code. Then inbound deduplication.
 */

const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])';

const catalogTypeDefs = parse(`${LINK}
  type Query {
    products: [Product!]!
    search(term: String): [SearchResult!]!
    node(id: ID!): Node
    "Its Widget has a null name, which is non-null: the null bubbles to brokenNonNull."
    brokenNonNull: Widget
    "One element has a null name: the element is invalid, so the whole (nullable) list is null."
    brokenList: [Widget!]
    "An enum value the schema does not have."
    badEnum: Color
    "Fails with BAD_USER_INPUT."
    refused: String
    slowCount: Int
    featured: Product
  }
  interface Node { id: ID! }
  enum Color { RED GREEN }
  type Product implements Node @key(fields: "id") {
    id: ID!
    name: String!
    price: Int!
    weight: Int!
    color: Color!
  }
  type Article implements Node { id: ID! title: String }
  union SearchResult = Product | Article
  type Widget { name: String! }
`);

const reviewsTypeDefs = parse(`${LINK}
  type Product @key(fields: "id") {
    id: ID!
    price: Int! @external
    weight: Int! @external
    "From the @requires'd price and weight."
    shipping: Int! @requires(fields: "price weight")
    reviews: [Review!]!
    "Fails for p2: its error must be re-pathed from _entities to products[1]."
    rating: Int
  }
  type Review { body: String! stars: Int }
`);

const products = [
  { id: 'p1', name: 'Table', price: 899, weight: 100, color: 'RED' },
  { id: 'p2', name: 'Couch', price: 1299, weight: 1000, color: 'GREEN' },
  { id: 'p3', name: 'Glass', price: 15, weight: 20, color: 'RED' },
];
const productById = (id: string) => products.find((p) => p.id === id);

let slowCalls = 0;
const catalogResolvers = {
  Query: {
    products: () => products,
    search: () => [
      { __typename: 'Article', id: 'a1', title: 'On tables' },
      { __typename: 'Product', ...products[0] },
    ],
    node: (_: unknown, { id }: { id: string }) =>
      id.startsWith('a')
        ? { __typename: 'Article', id, title: 'An article' }
        : { __typename: 'Product', ...productById(id) },
    brokenNonNull: () => ({ name: null }),
    brokenList: () => [{ name: 'ok' }, { name: null }],
    badEnum: () => 'PURPLE',
    refused: () => {
      throw badUserInput('term must not be empty', 'term');
    },
    featured: () => products[2],
    slowCount: async () => {
      const call = ++slowCalls;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return call;
    },
  },
  Node: { __resolveType: (node: { __typename: string }) => node.__typename },
  SearchResult: { __resolveType: (node: { __typename: string }) => node.__typename },
  Product: { __resolveReference: ({ id }: { id: string }) => productById(id) },
};

const reviewsResolvers = {
  Product: {
    __resolveReference: (reference: { id: string; price?: number; weight?: number }) => reference,
    shipping: ({ price, weight }: { price: number; weight: number }) => (price > 1000 ? 0 : weight / 2),
    reviews: ({ id }: { id: string }) => [
      { body: `Good ${id}`, stars: 5 },
      { body: `Bad ${id}`, stars: null },
    ],
    rating: ({ id }: { id: string }) => {
      if (id === 'p2') throw new Error('ratings are down');
      return 4;
    },
  },
};

const OPERATIONS: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  {
    name: '@requires across subgraphs',
    query: '{ products { id name price shipping reviews { body stars } } }',
  },
  {
    name: 'aliases, the same field twice, __typename aliased',
    query: '{ t: __typename a: products { x: id s: shipping kind: __typename } b: products { id name } }',
  },
  {
    name: '@skip/@include from variables and defaults (true)',
    query: `query Q($withReviews: Boolean!, $skipName: Boolean = false) {
      products { ... on Product { id n: name @skip(if: $skipName) } reviews @include(if: $withReviews) { body } __typename }
    }`,
    variables: { withReviews: true },
  },
  {
    name: '@skip/@include from variables (false)',
    query: `query Q($withReviews: Boolean!, $skipName: Boolean = false) {
      products { ... on Product { id n: name @skip(if: $skipName) } reviews @include(if: $withReviews) { body } __typename }
    }`,
    variables: { withReviews: false, skipName: true },
  },
  {
    name: 'a union with fragments on its members and an interface',
    query: `{ search(term: "t") { __typename ... on Product { id color shipping } ... on Article { title } ... on Node { id } } }`,
  },
  {
    name: 'an interface field with named fragments',
    query: `fragment P on Product { name color rating } fragment N on Node { id }
      query { node(id: "p1") { __typename ...N ...P ... on Article { title } } article: node(id: "a7") { ...N ... on Article { title } } }`,
  },
  {
    name: 'a null in a non-null field bubbles to the nullable parent',
    query: '{ brokenNonNull { name } products { id } }',
  },
  { name: 'an invalid list element nulls the list', query: '{ brokenList { name } }' },
  { name: 'an enum value the schema lacks', query: '{ badEnum products { color } }' },
  { name: 'a subgraph error keeps its code and path', query: '{ refused products { name } }' },
  { name: 'an entity error is re-pathed to the client path', query: '{ products { id rating } }' },
  {
    name: 'two entity fetches to one subgraph at once (sent as one request), one with an entity error',
    query: '{ products { id rating } featured { id name shipping } }',
  },
  {
    name: 'fragments spread twice and nested',
    query: `fragment A on Product { id ...B } fragment B on Product { name ...C } fragment C on Product { id color }
      { products { ...A ...B ...C reviews { ... on Review { body } } } }`,
  },
];

describe('the gateway executor answers as @apollo/gateway does', () => {
  let catalog: TestSubgraph;
  let reviews: TestSubgraph;
  let ours: Gateway;
  let oursUrl: string;
  let stock: ApolloServer;
  let stockUrl: string;

  beforeAll(async () => {
    catalog = await startSubgraph('catalog', catalogTypeDefs, catalogResolvers);
    reviews = await startSubgraph('reviews', reviewsTypeDefs, reviewsResolvers);
    const supergraphSdl = composeSupergraph([catalog, reviews]);
    ours = createGateway({ supergraphSdl, logger: capturingLogger().logger, watchSupergraph: false });
    oursUrl = await ours.listen(0, '127.0.0.1');
    stock = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
    ({ url: stockUrl } = await startStandaloneServer(stock, { listen: { port: 0, host: '127.0.0.1' } }));
  });
  afterAll(async () => {
    await ours?.stop();
    await stock?.stop();
    await catalog?.stop();
    await reviews?.stop();
  });

  const post = async (url: string, body: unknown) =>
    readResponse(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );

  /** What a client reads: data, extensions, and each error's message, path and code. */
  const comparable = (body: Record<string, unknown>) => ({
    ...body,
    errors: (
      body.errors as Array<{ message: string; path?: unknown; extensions?: { code?: unknown } }> | undefined
    )?.map((error) => ({ message: error.message, path: error.path, code: error.extensions?.code })),
  });

  test.each(OPERATIONS)('$name', async ({ query, variables }) => {
    const body = { query, ...(variables ? { variables } : {}) };
    const [mine, theirs] = await Promise.all([post(oursUrl, body), post(stockUrl, body)]);
    expect(mine.status).toBe(theirs.status);
    expect(comparable(mine.body)).toEqual(comparable(theirs.body));
    // Not vacuous: every operation returns data.
    expect(mine.body.data).toBeDefined();
  });

  test('the answers a client reads, spelled out', async () => {
    const requires = await post(oursUrl, { query: '{ products { id shipping } }' });
    expect(requires.body).toEqual({
      data: {
        products: [
          { id: 'p1', shipping: 50 },
          { id: 'p2', shipping: 0 },
          { id: 'p3', shipping: 10 },
        ],
      },
    });
    const bubbled = await post(oursUrl, { query: '{ brokenNonNull { name } products { id } }' });
    expect(bubbled.body.data).toEqual({
      brokenNonNull: null,
      products: [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }],
    });
    const entityError = await post(oursUrl, { query: '{ products { id rating } }' });
    expect(entityError.body.data?.products).toEqual([
      { id: 'p1', rating: 4 },
      { id: 'p2', rating: null },
      { id: 'p3', rating: 4 },
    ]);
    expect(entityError.body.errors).toEqual([
      expect.objectContaining({ message: 'ratings are down', path: ['products', 1, 'rating'] }),
    ]);
  });

  test('entity fetches to one subgraph at the same moment go as one request', async () => {
    const query = '{ products { id rating } featured { id shipping } }';
    const before = reviews.received.length;
    const response = await post(oursUrl, { query });
    expect(reviews.received.length - before).toBe(1);
    expect(response.body.data).toEqual({
      products: [
        { id: 'p1', rating: 4 },
        { id: 'p2', rating: null },
        { id: 'p3', rating: 4 },
      ],
      featured: { id: 'p3', shipping: 10 },
    });
    // The error of the first fetch's entity, on its client path, once.
    expect(response.body.errors).toEqual([
      expect.objectContaining({ message: 'ratings are down', path: ['products', 1, 'rating'] }),
    ]);
  });

  test('a subgraph that refuses the merged operation: each fetch is sent alone, same answer', async () => {
    // A subgraph whose validation admits one `_entities` selection per operation.
    const oneEntitiesField: ValidationRule = (context) => ({
      OperationDefinition(node) {
        const entities = node.selectionSet.selections.filter(
          (selection) => selection.kind === Kind.FIELD && selection.name.value === '_entities',
        );
        if (entities.length > 1) context.reportError(new GraphQLError('one _entities per operation'));
      },
    });
    const strict = await startSubgraph('reviews', reviewsTypeDefs, reviewsResolvers, {
      validationRules: [oneEntitiesField],
    });
    const gateway = createGateway({
      supergraphSdl: composeSupergraph([catalog, strict]),
      logger: capturingLogger().logger,
      watchSupergraph: false,
    });
    const url = await gateway.listen(0, '127.0.0.1');
    try {
      const body = { query: '{ products { id rating } featured { id name shipping } }' };
      const [mine, theirs] = await Promise.all([post(url, body), post(stockUrl, body)]);
      expect(comparable(mine.body)).toEqual(comparable(theirs.body));
      expect(mine.body.data?.featured).toEqual({ id: 'p3', name: 'Glass', shipping: 10 });
      // The merged request, refused, then the two fetches alone.
      expect(strict.received).toHaveLength(3);
    } finally {
      await gateway.stop();
      await strict.stop();
    }
  });

  test('a subgraph that is down: the other subgraph data still arrives, with an error', async () => {
    const down = await startSubgraph('reviews', reviewsTypeDefs, reviewsResolvers);
    const supergraphSdl = composeSupergraph([catalog, down]);
    await down.stop();
    const gateway = createGateway({
      supergraphSdl,
      logger: capturingLogger().logger,
      watchSupergraph: false,
    });
    const url = await gateway.listen(0, '127.0.0.1');
    try {
      const response = await post(url, { query: '{ products { id name rating } }' });
      expect(response.body.data).toEqual({
        products: [
          { id: 'p1', name: 'Table', rating: null },
          { id: 'p2', name: 'Couch', rating: null },
          { id: 'p3', name: 'Glass', rating: null },
        ],
      });
      // The service is named, its address (ECONNREFUSED 127.0.0.1:<port>) is not.
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          message: 'The reviews service is unavailable',
          extensions: expect.objectContaining({
            code: 'INTERNAL_SERVER_ERROR',
            reason: 'SUBGRAPH_UNAVAILABLE',
            serviceName: 'reviews',
          }),
        }),
      ]);
      expect(JSON.stringify(response.body)).not.toContain('127.0.0.1');
    } finally {
      await gateway.stop();
    }
  });
});

describe('inbound deduplication', () => {
  let users: TestSubgraph;
  const WHOAMI = '{ whoami { authorization } }';
  const COUNT = '{ slowCount }';
  let catalog: TestSubgraph;
  let supergraphSdl: string;

  beforeAll(async () => {
    catalog = await startSubgraph('catalog', catalogTypeDefs, catalogResolvers);
    users = await startSubgraph(
      'users',
      parse(`${LINK}
        type Query { whoami: Whoami! }
        type Mutation { bump: Int! }
        type Whoami { authorization: String }
      `),
      {
        Query: {
          whoami: async (_: unknown, __: unknown, context: unknown) => {
            await new Promise((resolve) => setTimeout(resolve, 300));
            const { headers } = context as { headers: Record<string, string | undefined> };
            return { authorization: headers.authorization ?? null };
          },
        },
        Mutation: {
          bump: async () => {
            await new Promise((resolve) => setTimeout(resolve, 200));
            return 1;
          },
        },
      },
    );
    supergraphSdl = composeSupergraph([catalog, users]);
  });
  afterAll(async () => {
    await users?.stop();
    await catalog?.stop();
  });

  async function withGateway<T>(
    dedupeInbound: boolean | undefined,
    run: (url: string) => Promise<T>,
  ): Promise<T> {
    const gateway = createGateway({
      supergraphSdl,
      logger: capturingLogger().logger,
      watchSupergraph: false,
      ...(dedupeInbound === undefined ? {} : { dedupeInbound }),
    });
    const url = await gateway.listen(0, '127.0.0.1');
    try {
      return await run(url);
    } finally {
      await gateway.stop();
    }
  }

  const send = async (url: string, query: string, authorization?: string) =>
    readResponse(
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query }),
      }),
    );

  test('is on by default: concurrent identical queries of one caller make one subgraph fetch', async () => {
    await withGateway(undefined, async (url) => {
      const before = users.received.length;
      const responses = await Promise.all(Array.from({ length: 8 }, () => send(url, WHOAMI, 'Bearer alice')));
      expect(users.received.length - before).toBe(1);
      for (const response of responses)
        expect(response.body).toEqual({ data: { whoami: { authorization: 'Bearer alice' } } });
      // After the shared execution ends, the next request runs again.
      await send(url, WHOAMI, 'Bearer alice');
      expect(users.received.length - before).toBe(2);
    });
  });

  test('two callers never share: each gets the answer for its own credentials', async () => {
    await withGateway(true, async (url) => {
      const before = users.received.length;
      const callers = ['Bearer alice', 'Bearer bob', 'Bearer alice', 'Bearer bob', undefined, undefined];
      const responses = await Promise.all(callers.map((authorization) => send(url, WHOAMI, authorization)));
      responses.forEach((response, i) =>
        expect(response.body).toEqual({ data: { whoami: { authorization: callers[i] ?? null } } }),
      );
      // One fetch per distinct caller (alice, bob, anonymous).
      expect(users.received.length - before).toBe(3);
      expect(
        users.received
          .slice(before)
          .map((headers) => headers.authorization ?? null)
          .sort(),
      ).toEqual(['Bearer alice', 'Bearer bob', null].sort());
    });
  });

  test('mutations are never shared, and dedupeInbound: false runs every query', async () => {
    await withGateway(true, async (url) => {
      const before = users.received.length;
      await Promise.all(Array.from({ length: 3 }, () => send(url, 'mutation { bump }', 'Bearer alice')));
      expect(users.received.length - before).toBe(3);
    });
    await withGateway(false, async (url) => {
      const calls = slowCalls;
      const responses = await Promise.all(Array.from({ length: 3 }, () => send(url, COUNT)));
      expect(slowCalls - calls).toBe(3);
      expect(new Set(responses.map((r) => (r.body.data as { slowCount: number }).slowCount)).size).toBe(3);
    });
  });

  test('different variables are different operations', async () => {
    await withGateway(true, async (url) => {
      const calls = slowCalls;
      const query = 'query Q($a: Boolean!) { slowCount p: products @include(if: $a) { id } }';
      const bodies = [{ a: true }, { a: false }, { a: true }].map((variables) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        }).then(readResponse),
      );
      const responses = await Promise.all(bodies);
      expect(slowCalls - calls).toBe(2);
      expect(responses[0]?.body.data).toHaveProperty('p');
      expect(responses[1]?.body.data).not.toHaveProperty('p');
    });
  });
});
