import { UUID_PATTERN, createBatchLoader, type DataLoader } from '@social/kit';
import type { PrismaClient, User } from './data/prisma.js';

/**
 * Per-request DataLoaders of the auth subgraph (DESIGN 10): built in the context factory for every
 * request and every subscription event, so a page of `_entities` User references is one query.
 */
export interface Loaders {
  /** Live (not soft-deleted) accounts by id; null for unknown, deleted or malformed ids. */
  readonly userById: DataLoader<string, User | null>;
  /**
   * Accounts by id for entity references, soft-deleted ones included (accountStatus DELETED):
   * the messages, comments and reactions a deleted user left elsewhere keep a resolvable author
   * instead of a null that would wipe out the non-null field holding it.
   */
  readonly userReference: DataLoader<string, User | null>;
}

export function createLoaders(prisma: PrismaClient): Loaders {
  const byIds = (includeDeleted: boolean) =>
    createBatchLoader<string, User>(
      (ids) => {
        const valid = ids.filter((id) => UUID_PATTERN.test(id));
        if (valid.length === 0) return Promise.resolve([]);
        return prisma.user.findMany({
          where: includeDeleted ? { id: { in: valid } } : { id: { in: valid }, isDeleted: false },
        });
      },
      (user) => user.id,
    );
  return { userById: byIds(false), userReference: byIds(true) };
}
