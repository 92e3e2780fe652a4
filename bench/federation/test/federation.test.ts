import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { readFileSync } from 'node:fs';
import { barChartSvg } from '../../chart.js';
import {
  checkFederationBody,
  checkFederationResponse,
  expectedFederationBodyBytes,
  expectedFederationResponse,
} from '../check.js';
import { composeFederationSupergraph, FEDERATION_SUPERGRAPH_PATH, federationQuery } from '../compose.js';
import { startFederationSubgraphs, type FederationSubgraphs } from '../subgraphs.js';

async function post(url: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

const PRODUCT_ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on Product { upc inStock shippingEstimate } } }`;

describe('federation benchmark workload', () => {
  let subgraphs: FederationSubgraphs;
  beforeAll(async () => {
    subgraphs = await startFederationSubgraphs();
  });
  afterAll(async () => {
    await subgraphs.stop();
  });

  it('keeps the committed supergraph in step with the subgraph SDLs', () => {
    expect(readFileSync(FEDERATION_SUPERGRAPH_PATH, 'utf8')).toBe(composeFederationSupergraph());
  });

  it('answers inventory entities from the price and weight the gateway sends (@requires)', async () => {
    const { body } = await post(subgraphs.urls.inventory, PRODUCT_ENTITIES, {
      r: [
        { __typename: 'Product', upc: '1', price: 899, weight: 100 },
        { __typename: 'Product', upc: '2', price: 1299, weight: 1000 },
        { __typename: 'Product', upc: '3' },
      ],
    });
    expect(body).toEqual({
      data: {
        _entities: [
          { upc: '1', inStock: true, shippingEstimate: 50 },
          { upc: '2', inStock: false, shippingEstimate: 0 },
          { upc: '3', inStock: false, shippingEstimate: null },
        ],
      },
    });
  });

  it('provides the author username from reviews and resolves users by id in accounts', async () => {
    const reviews = await post(
      subgraphs.urls.reviews,
      `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on Product { reviews { id author { id username reviews { id } } } } } }`,
      { r: [{ __typename: 'Product', upc: '3' }] },
    );
    expect(reviews.body.data).toEqual({
      _entities: [
        {
          reviews: [{ id: '9', author: { id: '1', username: 'urigo', reviews: [{ id: '1' }, { id: '2' }] } }],
        },
      ],
    });
    const accounts = await post(
      subgraphs.urls.accounts,
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }`,
      {
        r: [
          { __typename: 'User', id: '4' },
          { __typename: 'User', id: '404' },
        ],
      },
    );
    expect(accounts.body.data).toEqual({ _entities: [{ id: '4', name: 'Arda Tanrikulu' }, null] });
    expect(accounts.body.errors).toEqual([
      expect.objectContaining({ message: 'User 404 not found', extensions: { code: 'NOT_FOUND' } }),
    ]);
  });

  it('refuses a body that is not a GraphQL request', async () => {
    const response = await fetch(subgraphs.urls.products, { method: 'POST', body: 'not json' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'The body is not JSON', extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('gives the expected response to the deep query through stock @apollo/gateway', async () => {
    const gateway = new ApolloGateway({ supergraphSdl: composeFederationSupergraph(subgraphs.urls) });
    const server = new ApolloServer({ gateway });
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: federationQuery() }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(checkFederationBody(text)).toEqual([]);
      expect(Buffer.byteLength(text.trimEnd())).toBe(expectedFederationBodyBytes());
    } finally {
      await server.stop();
    }
  });
});

describe('federation response checker', () => {
  interface Shape {
    data: {
      users: { reviews: { product: { reviews: unknown[] } }[] }[];
      topProducts: { shippingEstimate: number | null }[];
    };
  }
  const expected = () => expectedFederationResponse() as unknown as Shape;

  it('accepts the expected response in any field order and counts the lists', () => {
    const response = expected();
    expect(response.data.users).toHaveLength(6);
    expect(response.data.topProducts).toHaveLength(5);
    expect(response.data.users[0]?.reviews[0]?.product.reviews).toHaveLength(4);
    const reordered = { data: { topProducts: response.data.topProducts, users: response.data.users } };
    expect(checkFederationResponse(reordered)).toEqual([]);
  });

  it('reports errors, a wrong @requires field, a missing item and a body that is not JSON', () => {
    expect(checkFederationResponse({ ...expected(), errors: [{ message: 'boom' }] })).toEqual([
      '1 GraphQL error(s): boom',
    ]);
    const wrongEstimate = expected();
    (wrongEstimate.data.topProducts[0] as { shippingEstimate: number | null }).shippingEstimate = null;
    expect(checkFederationResponse(wrongEstimate)).toEqual([
      'data.topProducts[0].shippingEstimate: expected 50, got null',
    ]);
    const missing = expected();
    missing.data.users.pop();
    expect(checkFederationResponse(missing)).toEqual(['data.users: expected 6 items, got 5']);
    expect(checkFederationBody('<html>')).toEqual(['the body is not JSON: <html>']);
  });
});

describe('bar chart', () => {
  it('draws one labelled bar per row, scaled to the largest, with text escaped', () => {
    const svg = barChartSvg({
      title: 'A & B',
      unit: 'req/s',
      bars: [
        { label: 'stock <apollo>', value: 50, note: '1.0×' },
        { label: 'ours', value: 100, note: '2.0×', highlight: true },
      ],
    });
    expect(svg).toContain('A &#38; B');
    expect(svg).toContain('stock &#60;apollo&#62;');
    expect(svg).toContain('100 req/s (2.0×)');
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths).toHaveLength(2);
    expect(widths[1]).toBeCloseTo((widths[0] as number) * 2, 0);
  });
});
