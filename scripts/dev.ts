/**
 * `npm run dev`: the whole supergraph in one command on a fresh machine.
 *
 * PostgreSQL: DATABASE_URL if set, else embedded PostgreSQL with data under .data/postgres.
 * Redis: REDIS_URL if set, else in-process pub/sub and event bus shared by all services.
 * MongoDB: MONGO_URL if set, else the embedded MongoDB-compatible server (packages/mongo-embedded)
 * with data under .data/mongo, on MONGO_EMBEDDED_PORT (27017).
 * Ctrl-C stops everything cleanly.
 */
import {
  createLogger,
  installGracefulShutdown,
  loadConfigOrExit,
  optionalString,
  optionalUrl,
  port,
  runShutdown,
  type ShutdownStep,
} from '@social/kit';
import {
  ensureDatabase,
  loadOrCreateDevKeys,
  migrate,
  startEmbeddedMongo,
  startEmbeddedPostgres,
  startStack,
} from '@social/stack';
import { join } from 'node:path';
import { z } from 'zod';
import { GATEWAY_PORT, repoRoot } from './subgraphs.js';

const config = loadConfigOrExit(
  'dev',
  z.object({
    DATABASE_URL: optionalUrl(),
    REDIS_URL: optionalUrl(),
    MONGO_URL: optionalString(),
    LOG_LEVEL: z.string().default('info'),
    DATA_DIR: z.string().default(join(repoRoot, '.data')),
    MONGO_EMBEDDED_PORT: port(27017),
    MAIL_OUTBOX: optionalString(),
  }),
);

const started = Date.now();
const logger = createLogger({ name: 'dev', level: config.LOG_LEVEL, pretty: true });
const steps: ShutdownStep[] = [];
installGracefulShutdown({ logger, timeoutMs: 15_000, steps });

try {
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const postgres = await startEmbeddedPostgres({
      dataDir: join(config.DATA_DIR, 'postgres'),
      persistent: true,
      logger,
    });
    steps.push({ name: 'embedded postgres', run: () => postgres.stop() });
    databaseUrl = await ensureDatabase(postgres.url, 'social_auth');
  }
  // The auth schema comes from prisma/auth/migrations (DESIGN 2); pending ones are applied first.
  const migrations = await migrate({ databaseUrl, logger });
  if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, 'auth database migrated');
  let mongoUrl = config.MONGO_URL;
  if (!mongoUrl) {
    const mongo = await startEmbeddedMongo({
      port: config.MONGO_EMBEDDED_PORT,
      dataDir: join(config.DATA_DIR, 'mongo'),
      logger,
    });
    steps.push({ name: 'embedded mongo', run: () => mongo.stop() });
    mongoUrl = mongo.uri;
  }
  const mailOutbox = config.MAIL_OUTBOX ?? join(config.DATA_DIR, 'mail-outbox.jsonl');
  const keys = await loadOrCreateDevKeys(join(config.DATA_DIR, 'keys'));
  const stack = await startStack({
    logger,
    keys,
    env: { ...process.env, DATABASE_URL: databaseUrl, MONGO_URL: mongoUrl, MAIL_OUTBOX: mailOutbox },
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    ports: 'dev',
  });
  steps.unshift({ name: 'supergraph', run: () => stack.stop() });

  const lines = [
    '',
    `Social Supergraph is up (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    '',
    `  gateway        ${stack.gatewayUrl}   (queries, mutations; subscriptions over ${stack.gatewayUrl.replace(/^http/, 'ws')})`,
    `  GraphiQL       ${stack.gatewayUrl}   (open in a browser)`,
    `  health         http://127.0.0.1:${GATEWAY_PORT}/health   ready: http://127.0.0.1:${GATEWAY_PORT}/ready   metrics: http://127.0.0.1:${GATEWAY_PORT}/metrics`,
    ...Object.entries(stack.subgraphUrls).map(([name, url]) => `  ${name.padEnd(14)} ${url}`),
    '',
    `  postgres       ${config.DATABASE_URL ? 'DATABASE_URL' : 'embedded (.data/postgres)'}`,
    `  redis          ${config.REDIS_URL ? config.REDIS_URL : 'in-process (set REDIS_URL for Redis)'}`,
    `  mongodb        ${config.MONGO_URL ? 'MONGO_URL' : `embedded ${mongoUrl} (.data/mongo)`}`,
    `  mail outbox    ${mailOutbox} (verification codes and reset tokens)`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
} catch (error) {
  logger.error({ err: error }, 'dev stack failed to start');
  await runShutdown(steps, logger, 15_000);
  process.exit(1);
}
