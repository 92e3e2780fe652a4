import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  createTokenSigner,
  generateSigningKeys,
  silentLogger,
  type AccessTokenClaims,
  type Logger,
  type Role,
} from '@social/kit';
import { dropDatabase, ensureDatabase, startEmbeddedPostgres, startStack, type Stack } from '@social/stack';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SubgraphName } from '../../../scripts/subgraphs.js';
import {
  postGraphQL,
  subscribeGraphQL,
  type GraphQLResponse,
  type RequestOptions,
  type SubscriptionHandle,
} from './client.js';

export interface HarnessOptions {
  /** Redis for pub/sub and events; defaults to the in-process implementations. */
  readonly redisUrl?: string;
  readonly logger?: Logger;
  readonly production?: boolean;
}

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly sessionId: string;
  /** A valid access token for this user. */
  readonly token: string;
}

export interface Supergraph {
  readonly gatewayUrl: string;
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  /** This harness's own database (dropped on stop). */
  readonly databaseUrl: string;
  readonly stack: Stack;
  /** One operation through the gateway (or straight to a subgraph with `target`). */
  query<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions & { target?: SubgraphName },
  ): Promise<GraphQLResponse<TData>>;
  /**
   * A graphql-ws subscription. Until the gateway federates subscriptions (Gateway issue), pass
   * `target` to subscribe on the owning subgraph.
   */
  subscribe<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions & { target?: SubgraphName },
  ): SubscriptionHandle<TData>;
  /** Signs an access token with the stack's key (claims default to a fresh user). */
  signToken(claims?: Partial<AccessTokenClaims>, options?: { ttlSeconds?: number }): Promise<string>;
  /** A fresh user identity with a valid token (no account row: auth owns those). */
  user(overrides?: { role?: Role; username?: string }): Promise<TestUser>;
  stop(): Promise<void>;
}

async function postgresServerUrl(): Promise<{ url: string; stop?: () => Promise<void> }> {
  const shared = process.env.TEST_PG_SERVER_URL ?? process.env.DATABASE_URL;
  if (shared) return { url: shared };
  // Outside Jest's global setup (e.g. a script): an embedded server of our own.
  const server = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), `social-harness-${randomUUID()}`),
    persistent: false,
    logger: silentLogger(),
  });
  return { url: server.url, stop: () => server.stop() };
}

/**
 * Boots PostgreSQL (a fresh database), the six subgraphs and the gateway in this process on
 * port 0. Every end-to-end test starts one and stops it when done.
 */
export async function startSupergraph(options: HarnessOptions = {}): Promise<Supergraph> {
  const logger = options.logger ?? silentLogger();
  const postgres = await postgresServerUrl();
  const databaseName = `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const databaseUrl = await ensureDatabase(postgres.url, databaseName);
  const keys = await generateSigningKeys();
  const signer = createTokenSigner({
    privateKey: keys.privateKeyPem,
    issuer: DEFAULT_JWT_ISSUER,
    audience: DEFAULT_JWT_AUDIENCE,
  });
  let stack: Stack;
  try {
    stack = await startStack({
      logger,
      keys,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        NODE_ENV: options.production ? 'production' : 'test',
      },
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
      ports: 'random',
      ...(options.production ? { production: true } : {}),
    });
  } catch (error) {
    await dropDatabase(postgres.url, databaseName).catch(() => undefined);
    await postgres.stop?.();
    throw error;
  }

  const urlOf = (target?: SubgraphName) => (target ? stack.subgraphUrls[target] : stack.gatewayUrl);
  const signToken: Supergraph['signToken'] = (claims = {}, signOptions) =>
    signer.sign(
      {
        sub: claims.sub ?? randomUUID(),
        sid: claims.sid ?? randomUUID(),
        role: claims.role ?? 'USER',
        username: claims.username ?? `user_${randomUUID().slice(0, 8)}`,
      },
      signOptions,
    );

  return {
    gatewayUrl: stack.gatewayUrl,
    subgraphUrls: stack.subgraphUrls,
    databaseUrl,
    stack,
    query: (query, variables = {}, requestOptions = {}) =>
      postGraphQL(urlOf(requestOptions.target), query, variables, requestOptions),
    subscribe: (query, variables = {}, requestOptions = {}) =>
      subscribeGraphQL(urlOf(requestOptions.target), query, variables, requestOptions),
    signToken,
    async user(overrides = {}) {
      const identity = {
        id: randomUUID(),
        sessionId: randomUUID(),
        role: overrides.role ?? 'USER',
        username: overrides.username ?? `user_${randomUUID().slice(0, 8)}`,
      };
      const token = await signToken({
        sub: identity.id,
        sid: identity.sessionId,
        role: identity.role,
        username: identity.username,
      });
      return { ...identity, token };
    },
    async stop() {
      await stack.stop();
      await dropDatabase(postgres.url, databaseName);
      await postgres.stop?.();
    },
  };
}
