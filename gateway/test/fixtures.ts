import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { expressMiddleware } from '@as-integrations/express5';
import { badUserInput, forbidden, listenHttp, type Logger } from '@social/kit';
import express from 'express';
import { parse, type DocumentNode, type ValidationRule } from 'graphql';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { pino } from 'pino';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';

/**
 * Two small subgraphs (users, posts) served in-process, composed into a supergraph, and a gateway
 * over them: enough federation (an entity owned by one, extended by the other) to test the edge
 * without the six real services.
 */

export interface TestSubgraph {
  readonly name: string;
  readonly url: string;
  readonly typeDefs: DocumentNode;
  /** Headers of every request the subgraph received, in order. */
  readonly received: IncomingHttpHeaders[];
  stop(): Promise<void>;
}

export async function startSubgraph(
  name: string,
  typeDefs: DocumentNode,
  resolvers: GraphQLResolverMap<unknown>,
  options: { validationRules?: ValidationRule[] } = {},
): Promise<TestSubgraph> {
  const received: IncomingHttpHeaders[] = [];
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    ...(options.validationRules ? { validationRules: options.validationRules } : {}),
  });
  await apollo.start();
  const app = express();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        received.push(req.headers);
        return { headers: req.headers };
      },
    }),
  );
  const httpServer = createServer(app);
  const url = await listenHttp(httpServer, 0, '127.0.0.1');
  return {
    name,
    url,
    typeDefs,
    received,
    async stop() {
      await apollo.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

export const usersTypeDefs = parse(`${LINK}
  type Query {
    me: User
    user(id: ID!): User
    users(ids: [ID!]!): [User!]!
    "Fails like a bug would: an internal error."
    boom: String
    "Fails like a validation would: BAD_USER_INPUT."
    badInput: String
    forbiddenThing: String
    "The identity headers this subgraph received."
    echo: Echo!
  }
  type User @key(fields: "id") {
    id: ID!
    name: String!
    friends(first: Int = 10): [User!]!
  }
  type Echo {
    authorization: String
    forwardedFor: String
    userId: String
    viewer: String
    internal: String
    cookie: String
    requestId: String
    headerNames: [String!]!
  }
`);

const user = (id: string) => ({ id, name: `User ${id}` });

export const usersResolvers: GraphQLResolverMap<unknown> = {
  Query: {
    me: () => user('1'),
    user: (_: unknown, { id }: { id: string }) => user(id),
    users: (_: unknown, { ids }: { ids: string[] }) => ids.map(user),
    boom: () => {
      throw new Error('database password is hunter2 at db-7.internal');
    },
    badInput: () => {
      throw badUserInput('name must not be empty', 'name');
    },
    forbiddenThing: () => {
      throw forbidden('Not yours', 'NOT_OWNER');
    },
    echo: (_: unknown, __: unknown, context: unknown) => {
      const { headers } = context as { headers: IncomingHttpHeaders };
      const one = (name: string) => {
        const value = headers[name];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      };
      return {
        authorization: one('authorization'),
        forwardedFor: one('x-forwarded-for'),
        userId: one('x-user-id'),
        viewer: one('x-viewer'),
        internal: one('x-internal-role'),
        cookie: one('cookie'),
        requestId: one('x-request-id'),
        headerNames: Object.keys(headers).sort(),
      };
    },
  },
  User: {
    __resolveReference: ({ id }: { id: string }) => user(id),
    friends: ({ id }: { id: string }, { first }: { first: number }) =>
      Array.from({ length: Math.min(first, 3) }, (_, i) => user(`${id}${i}`)),
  },
};

/** The posts subgraph; `subtitle` is served but only in the supergraph when `withSubtitle`. */
export function postsTypeDefs(withSubtitle = false): DocumentNode {
  return parse(`${LINK}
    type Query { posts(first: Int = 10): [Post!]! }
    type Post @key(fields: "id") {
      id: ID!
      title: String!
      ${withSubtitle ? 'subtitle: String!' : ''}
      author: User!
    }
    type User @key(fields: "id") {
      id: ID!
      posts(first: Int = 5): [Post!]!
    }
  `);
}

const post = (id: string) => ({ id, title: `Post ${id}`, subtitle: `About ${id}`, author: { id: '1' } });

export const postsResolvers: GraphQLResolverMap<unknown> = {
  Query: {
    posts: (_: unknown, { first }: { first: number }) =>
      Array.from({ length: first }, (_, i) => post(`p${i}`)),
  },
  Post: { __resolveReference: ({ id }: { id: string }) => post(id) },
  User: {
    posts: ({ id }: { id: string }, { first }: { first: number }) =>
      Array.from({ length: first }, (_, i) => post(`${id}-p${i}`)),
  },
};

export function composeSupergraph(subgraphs: ReadonlyArray<Pick<TestSubgraph, 'name' | 'url' | 'typeDefs'>>) {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors || !result.supergraphSdl) {
    throw new Error(`composition failed: ${result.errors?.map((e) => e.message).join('; ')}`);
  }
  return result.supergraphSdl;
}

/** A pino logger whose lines are kept (parsed) for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

export interface TestStack {
  readonly users: TestSubgraph;
  readonly posts: TestSubgraph;
  readonly supergraphSdl: string;
  readonly gateway: Gateway;
  readonly url: string;
  readonly lines: Array<Record<string, unknown>>;
  /** POSTs one operation (or any JSON body) to the gateway. */
  post(body: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

export async function readResponse(response: Response): Promise<TestResponse> {
  const text = await response.text();
  let body: TestResponse['body'];
  try {
    body = JSON.parse(text) as TestResponse['body'];
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 300)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * The two subgraphs and a gateway over them; `options` on top of the test defaults. With
 * `supergraphFile`, the supergraph is written there and the gateway reads it from the file.
 */
export async function startTestStack(
  options: Partial<GatewayOptions> = {},
  supergraphFile?: string,
): Promise<TestStack> {
  const users = await startSubgraph('users', usersTypeDefs, usersResolvers);
  const posts = await startSubgraph('posts', postsTypeDefs(true), postsResolvers);
  const supergraphSdl = composeSupergraph([users, { ...posts, typeDefs: postsTypeDefs(false) }]);
  const { logger, lines } = capturingLogger();
  if (supergraphFile) writeFileSync(supergraphFile, supergraphSdl);
  const gateway = createGateway({
    ...(supergraphFile ? { supergraphPath: supergraphFile } : { supergraphSdl }),
    logger,
    ...options,
  });
  const url = await gateway.listen(0, '127.0.0.1');
  return {
    users,
    posts,
    supergraphSdl,
    gateway,
    url,
    lines,
    async post(body, headers = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return readResponse(response);
    },
    async stop() {
      await gateway.stop();
      await users.stop();
      await posts.stop();
    },
  };
}
