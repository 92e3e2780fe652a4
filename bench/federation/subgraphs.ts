/**
 * The four subgraphs of The Guild's federation gateway benchmark (accounts, inventory, products,
 * reviews), served from one process on four ports so that they cost the machine as little as
 * possible and the gateway in front of them is what is measured.
 *
 *   npx tsx bench/federation/subgraphs.ts [--port 4201] [--delay-ms 0] [--json]
 *
 * prints the four URLs (`--json`: one JSON line) and serves until SIGINT/SIGTERM. `--port 0` picks
 * free ports. Each subgraph is a federation schema from `sdl/<name>.graphql` executed by graphql-js
 * (`_entities`, `@requires` and `@provides` included); the HTTP path is plain `node:http`, with the
 * parsed and validated document cached per query text and, since the data never changes, each
 * response memoised per request body after its first real execution.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import {
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  IN_STOCK,
  PRODUCTS,
  REVIEW_AUTHOR_ID,
  REVIEW_AUTHOR_USERNAME,
  REVIEWS,
  shippingEstimate,
  TOP_PRODUCTS_DEFAULT,
  USER_REVIEWS,
  USERS,
  type BenchReview,
} from './data.js';

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
export type SubgraphUrls = Record<SubgraphName, string>;

/** The first of four consecutive ports the CLI listens on by default (the committed supergraph's URLs). */
export const DEFAULT_SUBGRAPHS_PORT = 4201;

export function subgraphUrlsFor(ports: Record<SubgraphName, number>, host = '127.0.0.1'): SubgraphUrls {
  return Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, `http://${host}:${ports[name]}/graphql`]),
  ) as SubgraphUrls;
}

export const DEFAULT_SUBGRAPH_URLS: SubgraphUrls = subgraphUrlsFor(
  Object.fromEntries(SUBGRAPH_NAMES.map((name, i) => [name, DEFAULT_SUBGRAPHS_PORT + i])) as Record<
    SubgraphName,
    number
  >,
);

export function subgraphSdl(name: SubgraphName): DocumentNode {
  return parse(readFileSync(new URL(`./sdl/${name}.graphql`, import.meta.url), 'utf8'));
}

/**
 * An unknown key: a rejected promise rather than a throw, so that only this entity of `_entities`
 * is null (with its error) and the others still resolve.
 */
function notFound(type: string, key: string): Promise<never> {
  return Promise.reject(new GraphQLError(`${type} ${key} not found`, { extensions: { code: 'NOT_FOUND' } }));
}

const productByUpc = new Map(PRODUCTS.map((p) => [p.upc, p]));
const userById = new Map(USERS.map((u) => [u.id, u]));
const reviewById = new Map(REVIEWS.map((r) => [r.id, r]));
const reviewsByUpc = new Map<string, BenchReview[]>();
for (const review of REVIEWS) {
  const list = reviewsByUpc.get(review.productUpc) ?? [];
  list.push(review);
  reviewsByUpc.set(review.productUpc, list);
}

interface ProductRef {
  upc: string;
  price?: number | null;
  weight?: number | null;
}

// Resolvers follow the original Rust subgraphs, with one deliberate difference: `inventory` computes
// `shippingEstimate` from the `price` and `weight` the gateway sends in the representation (what
// `@requires` is for), where the original ignores them and always answers null.
const resolvers: Record<SubgraphName, GraphQLResolverMap<unknown>> = {
  accounts: {
    Query: {
      me: () => USERS[0],
      user: (_: unknown, args: { id: string }) => userById.get(args.id) ?? null,
      users: () => USERS,
    },
    User: {
      __resolveReference: (ref: { id: string }) => {
        const user = userById.get(ref.id);
        if (!user) return notFound('User', ref.id);
        return user;
      },
    },
  },
  inventory: {
    Product: {
      __resolveReference: (ref: ProductRef) => {
        const inStock = IN_STOCK.get(ref.upc);
        if (inStock === undefined) return notFound('Product', ref.upc);
        return { upc: ref.upc, price: ref.price, weight: ref.weight, inStock };
      },
      shippingEstimate: (product: ProductRef) => shippingEstimate(product.price, product.weight),
    },
  },
  products: {
    Query: {
      topProducts: (_: unknown, args: { first?: number | null }) =>
        PRODUCTS.slice(0, Math.max(0, args.first ?? TOP_PRODUCTS_DEFAULT)),
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => {
        const product = productByUpc.get(ref.upc);
        if (!product) return notFound('Product', ref.upc);
        return product;
      },
    },
  },
  reviews: {
    Review: {
      __resolveReference: (ref: { id: string }) => reviewById.get(ref.id) ?? null,
      product: (review: BenchReview) => ({ upc: review.productUpc }),
      author: () => ({ id: REVIEW_AUTHOR_ID, username: REVIEW_AUTHOR_USERNAME }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id, username: 'user' }),
      reviews: () => USER_REVIEWS,
    },
    Product: {
      __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc }),
      reviews: (product: { upc: string }) => reviewsByUpc.get(product.upc) ?? [],
    },
  },
};

export function buildBenchSubgraphSchema(name: SubgraphName): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: subgraphSdl(name), resolvers: resolvers[name] }]);
}

const MAX_CACHED_DOCUMENTS = 1_000;
const MAX_CACHED_RESPONSES = 10_000;

interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** Executes requests for one subgraph; the caches are bounded and dropped whole when full. */
class SubgraphExecutor {
  private readonly documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  private readonly responses = new Map<string, Buffer>();

  constructor(private readonly schema: GraphQLSchema) {}

  /** The response to a raw POST body, and whether it is a success (200) or a request error (400). */
  async run(raw: string): Promise<{ status: number; body: Buffer }> {
    const cached = this.responses.get(raw);
    if (cached) return { status: 200, body: cached };
    let request: GraphQLBody;
    try {
      request = JSON.parse(raw) as GraphQLBody;
    } catch {
      return failure(400, 'BAD_REQUEST', 'The body is not JSON');
    }
    if (typeof request !== 'object' || request === null || typeof request.query !== 'string') {
      return failure(400, 'BAD_REQUEST', 'The body has no `query` string');
    }
    const document = this.document(request.query);
    if (!('kind' in document)) {
      const body = Buffer.from(JSON.stringify({ errors: document.map((e) => e.toJSON()) }));
      return { status: 400, body };
    }
    // `_entities` answers through promises (@apollo/subgraph), so the result may be one.
    const result: ExecutionResult = await execute({
      schema: this.schema,
      document,
      variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    });
    const body = Buffer.from(JSON.stringify(result));
    if (!result.errors) {
      if (this.responses.size >= MAX_CACHED_RESPONSES) this.responses.clear();
      this.responses.set(raw, body);
    }
    return { status: 200, body };
  }

  private document(query: string): DocumentNode | readonly GraphQLError[] {
    let document = this.documents.get(query);
    if (document) return document;
    try {
      const parsed = parse(query);
      const errors = validate(this.schema, parsed);
      document = errors.length > 0 ? errors : parsed;
    } catch (error) {
      document = [error as GraphQLError];
    }
    if (this.documents.size >= MAX_CACHED_DOCUMENTS) this.documents.clear();
    this.documents.set(query, document);
    return document;
  }
}

function failure(status: number, code: string, message: string): { status: number; body: Buffer } {
  return { status, body: Buffer.from(JSON.stringify({ errors: [{ message, extensions: { code } }] })) };
}

function handler(executor: SubgraphExecutor, delayMs: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const respond = () => {
        executor.run(Buffer.concat(chunks).toString('utf8')).then(
          ({ status, body }) => {
            res.writeHead(status, {
              'content-type': 'application/json; charset=utf-8',
              'content-length': body.length,
            });
            res.end(body);
          },
          (error: unknown) => {
            const { body } = failure(500, 'INTERNAL_SERVER_ERROR', (error as Error).message);
            res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(body);
          },
        );
      };
      if (delayMs > 0) setTimeout(respond, delayMs);
      else respond();
    });
  };
}

export interface FederationSubgraphsOptions {
  /** First of four consecutive ports; 0 (default) picks four free ports. */
  port?: number;
  host?: string;
  /** Added before every response, like the original's SUBGRAPH_DELAY_MS. */
  delayMs?: number;
}

export interface FederationSubgraphs {
  urls: SubgraphUrls;
  stop(): Promise<void>;
}

export async function startFederationSubgraphs(
  options: FederationSubgraphsOptions = {},
): Promise<FederationSubgraphs> {
  const host = options.host ?? '127.0.0.1';
  const servers: Server[] = [];
  const ports = {} as Record<SubgraphName, number>;
  const stop = () =>
    Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    ).then(() => undefined);
  try {
    for (const [i, name] of SUBGRAPH_NAMES.entries()) {
      const server = createServer(
        handler(new SubgraphExecutor(buildBenchSubgraphSchema(name)), options.delayMs ?? 0),
      );
      // Gateways keep their subgraph connections open between requests.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      servers.push(server);
      const port = options.port ? options.port + i : 0;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      ports[name] = (server.address() as AddressInfo).port;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: subgraphUrlsFor(ports, host), stop };
}

function argValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const port = Number(argValue(args, '--port') ?? DEFAULT_SUBGRAPHS_PORT);
  const delayMs = Number(argValue(args, '--delay-ms') ?? process.env.SUBGRAPH_DELAY_MS ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65532) throw new Error(`Invalid --port ${port}`);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`Invalid --delay-ms ${delayMs}`);
  const subgraphs = await startFederationSubgraphs({ port, delayMs });
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(subgraphs.urls)}\n`);
  } else {
    for (const name of SUBGRAPH_NAMES) process.stdout.write(`${name.padEnd(9)} ${subgraphs.urls[name]}\n`);
  }
  const shutdown = () => void subgraphs.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
