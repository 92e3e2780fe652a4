import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import {
  DEFAULT_RETRY_POLICY,
  ReconnectingPool,
  retryOnConnectionLoss,
  type RetryPolicy,
} from './reconnect.js';

export type { User, UserSession, UserLoginHistory } from '../generated/prisma/client.js';

/** The Prisma client or the client of an interactive transaction: repositories accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;
export { PrismaClient };

export interface PrismaClientOptions {
  /** How long operations retry a lost or refused database connection (data/reconnect.ts). */
  readonly retry?: RetryPolicy;
  /** Told about each retry (logging). */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * One client (and pg pool) per process (STYLE 6), over `@prisma/adapter-pg` (DESIGN 2). A dropped
 * connection is retried rather than failed: statements and checkouts by the pool, interactive
 * transactions (`$transaction(fn)`) by running `fn` again, which is safe because the server rolled
 * the broken transaction back.
 */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const pool = new ReconnectingPool(
    { connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 10_000, keepAlive: true },
    policy,
    options.onRetry,
  );
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  const transaction = client.$transaction.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const retrying = (...args: unknown[]) =>
    typeof args[0] === 'function'
      ? retryOnConnectionLoss(() => transaction(...args), policy, options.onRetry)
      : transaction(...args);
  client.$transaction = retrying as PrismaClient['$transaction'];
  return client;
}

/** A unique index said no (e.g. a concurrent registration took the username first). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta, message } = error as {
    code?: unknown;
    meta?: Record<string, unknown>;
    message?: unknown;
  };
  if (code === 'P2002') return true;
  const cause = (meta?.driverAdapterError as { cause?: { kind?: string; originalCode?: string } } | undefined)
    ?.cause;
  if (cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505') return true;
  return typeof message === 'string' && /23505|unique constraint/i.test(message);
}
