import {
  createMailer,
  createRateLimiter,
  defineSubgraph,
  loadConfig,
  loadSdl,
  type BaseContext,
  type SharedResources,
} from '@social/kit';
import { createPasswordHasher, createSecretHasher, hashKeyFrom } from './accounts/crypto.js';
import type { AuthDeps, AuthRateLimits, RequestClient } from './accounts/deps.js';
import { startRevocationKeeper } from './accounts/revocation-keeper.js';
import { createAccessTokens } from './accounts/tokens.js';
import { authConfigSchema, type AuthConfig } from './config.js';
import { startCleanupJob } from './data/cleanup.js';
import { startOutboxRelay } from './data/outbox.js';
import { advisoryRelayLock } from './data/relay-lock.js';
import { createPrismaClient } from './data/prisma.js';
import { createLoaders, type Loaders } from './loaders.js';
import { resolvers } from './resolvers/index.js';

/** The auth subgraph SDL (Federation 2), the contract the supergraph is composed from. */
export const typeDefs = loadSdl(new URL('./schema.graphql', import.meta.url));

export interface AuthContext extends BaseContext {
  readonly loaders: Loaders;
  readonly auth: AuthDeps;
  /** The caller for auditing and rate limits (IP as forwarded by the gateway). */
  readonly caller: RequestClient;
}

function rateLimits(config: AuthConfig, resources: SharedResources): AuthRateLimits {
  const window = config.RATE_LIMIT_WINDOW_SECONDS;
  const limiter = (name: string, points: number) =>
    createRateLimiter(
      // Disabled limits still count, with an allowance nobody reaches (load tests, local tools).
      {
        name: `auth-${name}`,
        points: config.RATE_LIMITS_ENABLED ? points : Number.MAX_SAFE_INTEGER,
        durationSeconds: window,
      },
      resources.redis,
      resources.redisKeyPrefix,
    );
  return {
    loginPerIp: limiter('login-ip', config.RATE_LIMIT_LOGIN_PER_IP),
    loginPerIdentifier: limiter('login-identifier', config.RATE_LIMIT_LOGIN_PER_IDENTIFIER),
    registerPerIp: limiter('register-ip', config.RATE_LIMIT_REGISTER_PER_IP),
    passwordResetPerIp: limiter('password-reset-ip', config.RATE_LIMIT_PASSWORD_RESET_PER_IP),
    verificationPerIp: limiter('verification-ip', config.RATE_LIMIT_VERIFICATION_PER_IP),
    verificationPerEmail: limiter(
      'verification-email',
      Math.max(3, Math.ceil(config.RATE_LIMIT_VERIFICATION_PER_IP / 5)),
    ),
  };
}

/** Builds the auth service from process-wide resources; starts nothing until called (index.ts). */
export const createService = defineSubgraph<AuthContext, AuthDeps>({
  name: 'auth',
  typeDefs,
  resolvers,
  async connect(resources) {
    const config = loadConfig('auth', authConfigSchema, resources.env);
    const logger = resources.logger.child({ subgraph: 'auth' });
    const tokens = await createAccessTokens(config);
    const prisma = createPrismaClient(config.DATABASE_URL, {
      onRetry: (error, attempt) => {
        if (attempt === 1) logger.warn({ err: error }, 'database connection lost: retrying');
      },
    });
    try {
      await prisma.$queryRaw`SELECT 1`;
    } catch (error) {
      await prisma.$disconnect();
      throw new Error(`auth cannot reach its database: ${(error as Error).message}`, { cause: error });
    }
    const relay = startOutboxRelay({
      prisma,
      events: resources.events,
      logger,
      pollMs: config.OUTBOX_POLL_MS,
      lock: advisoryRelayLock(config.DATABASE_URL),
    });
    const cleanup = startCleanupJob({ prisma, logger, intervalMs: config.CLEANUP_INTERVAL_MS });
    const revocationKeeper = startRevocationKeeper({
      prisma,
      revocations: resources.revocations,
      logger,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      connection: resources.redis,
    });
    // Verifiers refuse every token until the store is known complete: restore it before serving
    // (a failure is retried by the keeper; Redis may be down right now).
    await revocationKeeper.restore().catch(() => undefined);
    const deps: AuthDeps = {
      config,
      prisma,
      logger,
      tokens,
      relay,
      cleanup,
      secrets: createSecretHasher(hashKeyFrom(config.AUTH_HASH_SECRET, config.JWT_PRIVATE_KEY)),
      passwords: createPasswordHasher(config.BCRYPT_COST),
      mailer: createMailer({
        smtpUrl: config.SMTP_URL,
        outboxPath: config.MAIL_OUTBOX,
        from: config.MAIL_FROM,
        logger,
      }),
      revocations: resources.revocations,
      revocationKeeper,
      limits: rateLimits(config, resources),
    };
    return {
      deps,
      readiness: {
        postgres: async () => {
          await prisma.$queryRaw`SELECT 1`;
        },
      },
      async close() {
        await Promise.all([relay.stop(), cleanup.stop(), revocationKeeper.stop()]);
        await prisma.$disconnect();
      },
    };
  },
  routes(app, deps) {
    // Verifiers (other subgraphs, the gateway) fetch the public key here (DESIGN 7).
    app.get('/.well-known/jwks.json', (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=300');
      res.json(deps.tokens.jwks);
    });
  },
  context: (base, deps) => ({
    ...base,
    auth: deps,
    loaders: createLoaders(deps.prisma),
    caller: { ip: base.client.ip ?? 'unknown', userAgent: base.client.userAgent ?? null },
  }),
});
