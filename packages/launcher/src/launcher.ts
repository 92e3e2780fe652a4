/**
 * The commands of the production entry point (`node packages/launcher/dist/cli.js <command>`):
 * one service in this process, the auth migrations, a health probe, or everything under one
 * supervisor. Services run from their compiled `dist/index.js`; nothing here needs a TypeScript
 * loader, a dev dependency or the repository's `scripts/`.
 */
import {
  createLogger,
  loadConfigOrExit,
  optionalString,
  port,
  repoRoot,
  serviceInfo,
  serviceTopology,
  subgraphTopology,
  type Logger,
  type ServiceName,
} from '@social/kit';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { migrate } from './migrate.js';
import { supervise, type ChildSpec } from './supervisor.js';

/** Compiled (dist/*.js) or run from source by a development tool (src/*.ts). */
const compiled = !import.meta.url.endsWith('.ts');

/** The file that starts a service: its compiled `dist/index.js` (its `src/index.ts` from source). */
export function serviceEntry(name: ServiceName, root: string = repoRoot): string {
  return join(root, serviceInfo(name).dir, compiled ? 'dist/index.js' : 'src/index.ts');
}

/** This launcher's own entry point, which `all` runs once per service. */
export const launcherEntry = fileURLToPath(new URL(compiled ? './cli.js' : './cli.ts', import.meta.url));

const logSettings = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: z.enum(['true', 'false', '1', '0', '']).optional(),
});

function launcherLogger(name: string, env: NodeJS.ProcessEnv): Logger {
  const settings = loadConfigOrExit(name, logSettings, env);
  return createLogger({
    name,
    level: settings.LOG_LEVEL,
    pretty: settings.LOG_PRETTY === 'true' || settings.LOG_PRETTY === '1',
  });
}

/** Pino writes asynchronously when pretty; flush before `process.exit` so the last lines are not lost. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** Runs one service in this process; it keeps the process alive and handles its own signals. */
export async function runServiceHere(name: ServiceName): Promise<void> {
  const entry = serviceEntry(name);
  if (!existsSync(entry)) {
    throw new Error(`${entry} does not exist: run \`npm run build\` first`);
  }
  await import(pathToFileURL(entry).href);
}

const migrateSettings = z.object({
  DATABASE_URL: z.url({
    message: 'DATABASE_URL must be the PostgreSQL URL of the auth database to migrate',
  }),
  MIGRATIONS_DIR: optionalString(),
});

/** `migrate`: applies the pending auth migrations to DATABASE_URL; returns the exit code. */
export async function runMigrate(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<number> {
  const log = logger ?? launcherLogger('migrate', env);
  const settings = loadConfigOrExit('migrate', migrateSettings, env);
  const code = await migrateWith(settings, log);
  if (!logger) await flushLogger(log);
  return code;
}

async function migrateWith(settings: z.infer<typeof migrateSettings>, log: Logger): Promise<number> {
  try {
    const { applied, skipped } = await migrate({
      databaseUrl: settings.DATABASE_URL,
      ...(settings.MIGRATIONS_DIR ? { migrationsDir: settings.MIGRATIONS_DIR } : {}),
      logger: log,
    });
    if (applied.length === 0) {
      log.info({ alreadyApplied: skipped.length }, 'database is up to date, no migration to apply');
    } else {
      log.info({ applied, alreadyApplied: skipped.length }, `applied ${applied.length} migration(s)`);
    }
    return 0;
  } catch (error) {
    log.error({ err: error }, 'migration failed');
    return 1;
  }
}

/** Env var that moves one service of `all` off its default port (`CHAT_PORT=5003`). */
export const portEnv = (name: ServiceName) => `${name.toUpperCase()}_PORT`;

/**
 * The environment of each child of `all`: the launcher's own, plus the service's PORT (its
 * `<NAME>_PORT`, else its default), the gateway's `<NAME>_URL` for every subgraph not set
 * explicitly, and JWT_PUBLIC_KEY derived from JWT_PRIVATE_KEY when neither a public key nor a
 * JWKS URL is configured (one box, one key pair).
 */
export function childEnvironments(env: NodeJS.ProcessEnv): Map<ServiceName, NodeJS.ProcessEnv> {
  const ports = new Map<ServiceName, number>();
  for (const info of serviceTopology) {
    const { value } = loadConfigOrExit(
      'launcher',
      z.object({ value: port(info.port) }),
      // An empty value means "not set", as everywhere in the configuration.
      { value: env[portEnv(info.name)] || undefined },
    );
    ports.set(info.name, value);
  }
  const shared: NodeJS.ProcessEnv = { ...env };
  if (!env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL && env.JWT_PRIVATE_KEY) {
    try {
      shared.JWT_PUBLIC_KEY = createPublicKey(env.JWT_PRIVATE_KEY)
        .export({ type: 'spki', format: 'pem' })
        .toString();
    } catch (error) {
      throw new Error(`JWT_PRIVATE_KEY is not a readable private key: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const result = new Map<ServiceName, NodeJS.ProcessEnv>();
  for (const info of serviceTopology) {
    const childEnv: NodeJS.ProcessEnv = { ...shared, PORT: String(ports.get(info.name)) };
    if (info.name === 'gateway') {
      for (const subgraph of subgraphTopology) {
        childEnv[subgraph.urlEnv] ||= `http://127.0.0.1:${ports.get(subgraph.name)}/graphql`;
      }
    }
    result.set(info.name, childEnv);
  }
  return result;
}

/**
 * `all`: migrates the auth database, then runs the seven services as child processes of this one
 * (`node cli.js <service>`), each on its port. SIGTERM/SIGINT stop them all gracefully; a child
 * that exits on its own stops the rest. Resolves with the exit code.
 */
export async function runAll(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = launcherLogger('launcher', env);
  const { SHUTDOWN_TIMEOUT_MS } = loadConfigOrExit(
    'launcher',
    z.object({ SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000) }),
    env,
  );
  let environments: Map<ServiceName, NodeJS.ProcessEnv>;
  try {
    environments = childEnvironments(env);
  } catch (error) {
    logger.error((error as Error).message);
    return 1;
  }
  for (const info of serviceTopology) {
    const entry = serviceEntry(info.name);
    if (!existsSync(entry)) {
      logger.error({ entry }, `${info.name} is not built: run \`npm run build\` first`);
      return 1;
    }
  }

  // Stopped before the services started: nothing else to do.
  let signalled: NodeJS.Signals | undefined;
  const early = (signal: NodeJS.Signals) => (signalled = signal);
  process.on('SIGTERM', early).on('SIGINT', early);
  const migrated = await runMigrate(env, logger.child({ component: 'migrate' }));
  process.off('SIGTERM', early).off('SIGINT', early);
  if (migrated !== 0) return migrated;
  if (signalled) return 0;

  const children: ChildSpec[] = serviceTopology.map((info) => ({
    name: info.name,
    command: process.execPath,
    // From source the children need the same loader flags; compiled code runs on plain node.
    args: [...(compiled ? [] : process.execArgv), launcherEntry, info.name],
    env: environments.get(info.name) ?? env,
  }));
  // The children's own budget, plus time to exit once it is spent.
  const supervisor = supervise({ children, logger, stopTimeoutMs: SHUTDOWN_TIMEOUT_MS + 5_000 });
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches the children too, and may arrive twice: only a later one forces.
    if (firstSignalAt === 0) {
      firstSignalAt = Date.now();
      void supervisor.stop(signal);
    } else if (Date.now() - firstSignalAt > 1_000) {
      logger.warn({ signal }, 'second signal: killing the services');
      supervisor.kill();
    }
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  const code = await supervisor.done;
  logger.info(
    { code, exits: supervisor.exits.map(({ name, code: c, signal }) => ({ name, code: c, signal })) },
    'all services stopped',
  );
  await flushLogger(logger);
  return code;
}
