import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { silentLogger } from '@social/kit';
import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { readFileSync } from 'node:fs';
import { SUBGRAPH_NAMES } from '../../scripts/subgraphs.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { AUTHORIZATION_PLACEHOLDER, GRAPHIQL_CSP, graphiqlExamples } from '../src/graphiql/index.js';

const supergraphSdl = readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8');
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

async function startGateway(options: { production?: boolean; graphiql?: boolean } = {}): Promise<{
  gateway: Gateway;
  origin: string;
}> {
  // No subgraph needs to run: the page and GET routing never reach them.
  const gateway = createGateway({ supergraphSdl, logger: silentLogger(), ...options });
  const url = await gateway.listen(0, '127.0.0.1');
  return { gateway, origin: new URL(url).origin };
}

async function getText(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { response, text: await response.text() };
}

/** The subgraphs a query plan fetches from. */
function servicesOf(plan: unknown, seen = new Set<unknown>()): Set<string> {
  const services = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    const { serviceName } = value as { serviceName?: unknown };
    if (typeof serviceName === 'string') services.add(serviceName);
    for (const child of Object.values(value)) visit(child);
  };
  visit(plan);
  return services;
}

/** Every `src` and `href` of the page. */
function pageLinks(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
}

describe('GraphiQL on the gateway (development)', () => {
  let gateway: Gateway;
  let origin: string;
  beforeAll(async () => {
    ({ gateway, origin } = await startGateway());
  });
  afterAll(() => gateway.stop());

  test('a browser opening /graphql gets the page, every file from the gateway itself', async () => {
    const { response, text } = await getText(`${origin}/graphql`, { accept: HTML });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe(GRAPHIQL_CSP);
    expect(response.headers.get('vary')).toMatch(/Accept/);
    expect(text).toContain('<title>Social Supergraph · GraphiQL</title>');
    // The favicon is an empty data: URL, so the browser asks for no /favicon.ico either.
    const links = pageLinks(text).filter((link) => link !== 'data:,');
    expect(links.length).toBe(7);
    for (const link of links) expect(link).toMatch(/^\/graphiql\/[0-9a-f]{16}\/[a-z-]+\.(js|css)$/);
    expect(text).not.toMatch(/https?:\/\//);
    // No external origin in the policy either: only 'self', data: for graphiql's inlined fonts.
    expect(GRAPHIQL_CSP).not.toMatch(/https?:|\*|ws:|wss:/);
    expect(GRAPHIQL_CSP).toContain("script-src 'self';");

    for (const link of links) {
      const asset = await fetch(`${origin}${link}`, { headers: { 'accept-encoding': 'identity' } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toMatch(
        link.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      const body = await asset.text();
      expect(body.length).toBeGreaterThan(50);
      expect(body).not.toContain('sourceMappingURL');
    }
  });

  test('the page carries one tab per subgraph and the Authorization hint for the Headers pane', async () => {
    const { text } = await getText(`${origin}/graphql`, { accept: HTML });
    const json = /<script type="application\/json" id="graphiql-config">([^<]*)<\/script>/.exec(text)?.[1];
    const config = JSON.parse(json ?? 'null') as {
      tabs: Array<{ query: string; variables: string; headers: string }>;
      authorizationPlaceholder: string;
    };
    expect(config.tabs).toHaveLength(SUBGRAPH_NAMES.length);
    expect(config.tabs.map((tab) => /^# (\w+):/.exec(tab.query)?.[1]).sort()).toEqual(
      [...SUBGRAPH_NAMES].sort(),
    );
    for (const tab of config.tabs) {
      expect(JSON.parse(tab.headers)).toEqual({ Authorization: AUTHORIZATION_PLACEHOLDER });
      expect(() => JSON.parse(tab.variables) as unknown).not.toThrow();
    }
    expect(config.authorizationPlaceholder).toBe('Bearer <token>');
  });

  test('scripts are served gzipped to clients that accept it', async () => {
    const { text } = await getText(`${origin}/graphql`, { accept: HTML });
    const link = pageLinks(text).find((l) => l.endsWith('/graphiql.js'));
    const response = await fetch(`${origin}${link}`, { headers: { 'accept-encoding': 'gzip' } });
    // fetch decodes the body itself; the header says what went over the wire.
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(await response.text()).toContain('GraphiQL');
  });

  test('an unknown asset or an outdated hash is a 404', async () => {
    const { text } = await getText(`${origin}/graphql`, { accept: HTML });
    const link = pageLinks(text).find((l) => l.endsWith('/app.js')) ?? '';
    expect((await fetch(`${origin}${link.replace(/[0-9a-f]{16}/, '0'.repeat(16))}`)).status).toBe(404);
    expect((await fetch(`${origin}/graphiql/${'0'.repeat(16)}/secrets.js`)).status).toBe(404);
  });

  test('GraphQL GETs keep going to Apollo, even from a browser', async () => {
    const query = encodeURIComponent('{ __typename }');
    // Apollo's CSRF prevention wants this header on GETs (a browser's navigation would not send it).
    const preflight = { 'apollo-require-preflight': 'true' };
    const withQuery = await getText(`${origin}/graphql?query=${query}`, { accept: HTML, ...preflight });
    expect(withQuery.response.headers.get('content-type')).toMatch(/json/);
    expect(JSON.parse(withQuery.text)).toEqual({ data: { __typename: 'Query' } });

    // An APQ GET: hash only, no query (Apollo answers that it does not know the hash yet).
    const extensions = encodeURIComponent(
      JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }),
    );
    const apq = await getText(`${origin}/graphql?extensions=${extensions}`, { accept: HTML, ...preflight });
    expect(apq.response.headers.get('content-type')).toMatch(/json/);
    expect(apq.text).toContain('PersistedQueryNotFound');

    // A client that does not ask for HTML by name never gets the page.
    const json = await getText(`${origin}/graphql`, { accept: '*/*' });
    expect(json.text).not.toContain('<html');
  });
});

describe('GraphiQL in production', () => {
  test('is off by default: browsers get no page and no assets', async () => {
    const { gateway, origin } = await startGateway({ production: true });
    try {
      const { text } = await getText(`${origin}/graphql`, { accept: HTML });
      expect(text).not.toContain('GraphiQL');
      expect((await fetch(`${origin}/graphiql/${'0'.repeat(16)}/app.js`)).status).toBe(404);
    } finally {
      await gateway.stop();
    }
  });

  test('can be turned on by configuration', async () => {
    const { gateway, origin } = await startGateway({ production: true, graphiql: true });
    try {
      const { response, text } = await getText(`${origin}/graphql`, { accept: HTML });
      expect(response.status).toBe(200);
      expect(text).toContain('<title>Social Supergraph · GraphiQL</title>');
    } finally {
      await gateway.stop();
    }
  });
});

describe('the preloaded example operations', () => {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema = supergraph.apiSchema().toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const examples = graphiqlExamples();

  test('there is one document per subgraph', () => {
    expect(examples.map((e) => e.subgraph).sort()).toEqual([...SUBGRAPH_NAMES].sort());
  });

  test.each(examples.map((example) => [example.subgraph, example] as const))(
    '%s: every operation validates against the public API schema and reaches its subgraph',
    (subgraph, example) => {
      const document = parse(example.document);
      expect(validate(apiSchema, document).map((error) => error.message)).toEqual([]);
      const operations = document.definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      );
      expect(operations.length).toBeGreaterThanOrEqual(2);
      for (const operation of operations) {
        const operationName = operation.name?.value;
        expect(operationName).toBeDefined();
        // Every variable an operation requires has a value in the tab's variables.
        for (const variable of operation.variableDefinitions ?? []) {
          if (variable.type.kind === Kind.NON_NULL_TYPE && !variable.defaultValue) {
            expect(example.variables).toHaveProperty(variable.variable.name.value);
          }
        }
        const plan = planner.buildQueryPlan(
          operationFromDocument(supergraph.schema, document, { operationName: operationName ?? '' }),
        );
        expect(servicesOf(plan)).toContain(subgraph);
      }
    },
  );

  test('the chat and notification tabs carry their subscriptions', () => {
    const subscriptionFields = (subgraph: string) =>
      parse(examples.find((e) => e.subgraph === subgraph)?.document ?? '')
        .definitions.filter(
          (d): d is OperationDefinitionNode =>
            d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription',
        )
        .flatMap((d) => d.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '')));
    expect(subscriptionFields('chat')).toEqual(['conversationEvents']);
    expect(subscriptionFields('notification')).toEqual(['notificationAdded']);
  });
});
