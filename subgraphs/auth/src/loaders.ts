import { createBatchLoader, type DataLoader } from '@social/kit';
import type { PrismaClient, User } from './data/prisma.js';
import { UUID_PATTERN } from './accounts/validation.js';

/**
 * Per-request DataLoaders of the auth subgraph (DESIGN 10): built in the context factory for every
 * request and every subscription event, so a page of `_entities` User references is one query.
 */
export interface Loaders {
  /** Live (not soft-deleted) accounts by id; null for unknown, deleted or malformed ids. */
  readonly userById: DataLoader<string, User | null>;
}

export function createLoaders(prisma: PrismaClient): Loaders {
  return {
    userById: createBatchLoader<string, User>(
      (ids) => {
        const valid = ids.filter((id) => UUID_PATTERN.test(id));
        if (valid.length === 0) return Promise.resolve([]);
        return prisma.user.findMany({ where: { id: { in: valid }, isDeleted: false } });
      },
      (user) => user.id,
    ),
  };
}
