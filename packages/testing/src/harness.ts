import {
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  createTokenSigner,
  generateSigningKeys,
  silentLogger,
  type AccessTokenClaims,
  type Logger,
  type Role,
  type SigningKeyPair,
  type SubgraphName,
} from '@social/kit';
import {
  createDatabaseFromTemplate,
  dropDatabase,
  ensureDatabase,
  migrate,
  startEmbeddedMongo,
  startEmbeddedPostgres,
  startStack,
  type Stack,
} from '@social/stack';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAccount,
  latestMail,
  loginAccount,
  runSql,
  type AccountOptions,
  type OutboxMail,
  type TestAccount,
} from './accounts.js';
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
  /**
   * Settings for the services on top of the harness defaults (e.g. strict rate limits). By
   * default auth's rate limits are off so a test can create as many accounts as it needs.
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  readonly production?: boolean;
}

/** A token-only identity (no account row): for services that only look at the token's claims. */
export interface TestIdentity {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly sessionId: string;
  /** A valid access token for this identity. */
  readonly token: string;
}

export interface Supergraph {
  readonly gatewayUrl: string;
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  /** This harness's own database (dropped on stop). */
  readonly databaseUrl: string;
  /** The MongoDB the Mongo-backed subgraphs use, and the prefix of this harness's databases. */
  readonly mongoUrl: string;
  readonly mongoDbPrefix: string;
  readonly stack: Stack;
  /** One operation through the gateway (or straight to a subgraph with `target`). */
  query<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions & { target?: SubgraphName },
  ): Promise<GraphQLResponse<TData>>;
  /**
   * A graphql-ws subscription through the gateway, which federates it (fields of any subgraph);
   * with `target`, straight to that subgraph's own graphql-ws endpoint instead.
   */
  subscribe<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions & { target?: SubgraphName },
  ): SubscriptionHandle<TData>;
  /** The stack's signing keys (auth signs with the private half): for tests forging tokens. */
  readonly signingKeys: SigningKeyPair;
  /** Signs an access token with the stack's key (claims default to a fresh user). */
  signToken(claims?: Partial<AccessTokenClaims>, options?: { ttlSeconds?: number }): Promise<string>;
  /**
   * A real account, created as a person does it (register, verify from the mail outbox, log in),
   * with a logged-in session.
   */
  user(options?: AccountOptions): Promise<TestAccount>;
  /** A token-only identity with no account behind it (the account does not exist in auth). */
  identity(overrides?: { role?: Role; username?: string }): Promise<TestIdentity>;
  /** Logs in an existing account: a new session's tokens. */
  login(
    identifier: string,
    password: string,
  ): Promise<{ sessionId: string; token: string; refreshToken: string }>;
  /** The mail outbox file auth writes to (DESIGN 3). */
  readonly mailOutbox: string;
  /** This harness's media storage directory (MEDIA_STORAGE_DIR; removed on stop). */
  readonly mediaStorageDir: string;
  /** The newest message the services mailed to `to` (of `kind`, e.g. `email-verification`). */
  latestMail(to: string, kind?: string): Promise<OutboxMail | undefined>;
  /** SQL on this harness's auth database (tests that simulate time passing or inspect rows). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: unknown[],
  ): Promise<T[]>;
  stop(): Promise<void>;
}

async function postgresServerUrl(): Promise<{ url: string; template?: string; stop?: () => Promise<void> }> {
  const shared = process.env.TEST_PG_SERVER_URL ?? process.env.DATABASE_URL;
  // Jest's global setup leaves a migrated template database on its server (postgres-setup.ts).
  const template = process.env.TEST_PG_SERVER_URL ? process.env.TEST_PG_TEMPLATE_DB : undefined;
  if (shared) return template ? { url: shared, template } : { url: shared };
  // Outside Jest's global setup (e.g. a script): an embedded server of our own.
  const server = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), `social-harness-${randomUUID()}`),
    persistent: false,
    logger: silentLogger(),
  });
  return { url: server.url, stop: () => server.stop() };
}

/**
 * MongoDB for one harness: MONGO_URL when set (databases prefixed with this harness's name and
 * dropped at the end), else an embedded server of its own on a random port.
 */
async function mongoForHarness(
  name: string,
): Promise<{ url: string; prefix: string; stop(): Promise<void> }> {
  const prefix = `${name}_`;
  const shared = process.env.MONGO_URL;
  if (shared) {
    return {
      url: shared,
      prefix,
      async stop() {
        const client = new MongoClient(shared);
        try {
          const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
          for (const db of databases) if (db.name.startsWith(prefix)) await client.db(db.name).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  }
  const server = await startEmbeddedMongo({ logger: silentLogger() });
  return { url: server.uri, prefix, stop: () => server.stop() };
}

/**
 * Boots PostgreSQL (a fresh database), the six subgraphs and the gateway in this process on
 * port 0. Every end-to-end test starts one and stops it when done.
 */
export async function startSupergraph(options: HarnessOptions = {}): Promise<Supergraph> {
  const logger = options.logger ?? silentLogger();
  const postgres = await postgresServerUrl();
  const databaseName = `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  // A copy of the migrated template when there is one, else a new database migrated here.
  const databaseUrl = postgres.template
    ? await createDatabaseFromTemplate(postgres.url, databaseName, postgres.template)
    : await ensureDatabase(postgres.url, databaseName);
  const mailOutbox = join(tmpdir(), `social-mail-${databaseName}.jsonl`);
  const mediaStorageDir = join(tmpdir(), `social-media-${databaseName}`);
  const mongo = await mongoForHarness(databaseName);
  const keys = await generateSigningKeys();
  const signer = createTokenSigner({
    privateKey: keys.privateKeyPem,
    issuer: DEFAULT_JWT_ISSUER,
    audience: DEFAULT_JWT_AUDIENCE,
  });
  let stack: Stack;
  try {
    if (!postgres.template) await migrate({ databaseUrl, logger });
    stack = await startStack({
      logger,
      keys,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        NODE_ENV: options.production ? 'production' : 'test',
        MAIL_OUTBOX: mailOutbox,
        MEDIA_STORAGE_DIR: mediaStorageDir,
        MONGO_URL: mongo.url,
        MONGO_DB_PREFIX: mongo.prefix,
        // Harnesses sharing one Redis keep their event streams (and consumer groups) apart.
        REDIS_KEY_PREFIX: `${databaseName}:`,
        RATE_LIMITS_ENABLED: 'false',
        ...options.env,
      },
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
      ports: 'random',
      ...(options.production ? { production: true } : {}),
    });
  } catch (error) {
    await dropDatabase(postgres.url, databaseName).catch(() => undefined);
    await mongo.stop().catch(() => undefined);
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

  const query: Supergraph['query'] = (text, variables = {}, requestOptions = {}) =>
    postGraphQL(urlOf(requestOptions.target), text, variables, requestOptions);

  return {
    gatewayUrl: stack.gatewayUrl,
    subgraphUrls: stack.subgraphUrls,
    databaseUrl,
    mongoUrl: mongo.url,
    mongoDbPrefix: mongo.prefix,
    stack,
    signingKeys: keys,
    query,
    subscribe: (query, variables = {}, requestOptions = {}) =>
      subscribeGraphQL(urlOf(requestOptions.target), query, variables, requestOptions),
    signToken,
    async identity(overrides = {}) {
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
    user: (accountOptions) => createAccount({ query, outboxPath: mailOutbox, databaseUrl }, accountOptions),
    login: (identifier, password) => loginAccount(query, identifier, password),
    mailOutbox,
    mediaStorageDir,
    latestMail: (to, kind) => latestMail(mailOutbox, to, kind),
    sql: (text, params) => runSql(databaseUrl, text, params),
    async stop() {
      await stack.stop();
      await dropDatabase(postgres.url, databaseName);
      await rm(mailOutbox, { force: true });
      await rm(mediaStorageDir, { recursive: true, force: true });
      await mongo.stop();
      await postgres.stop?.();
    },
  };
}
