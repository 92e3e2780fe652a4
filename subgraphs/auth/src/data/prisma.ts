import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';

export type { User, UserSession, UserLoginHistory } from '../generated/prisma/client.js';

/** The Prisma client or the client of an interactive transaction: repositories accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;
export { PrismaClient };

/** One client (and pg pool) per process (STYLE 6), over `@prisma/adapter-pg` (DESIGN 2). */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
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
