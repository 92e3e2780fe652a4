import { createBatchLoader, type DataLoader } from '@social/kit';
import type { MediaFileDocument } from './data/collections.js';
import type { MediaFiles } from './data/media-files.js';

/**
 * Per-request DataLoaders of the media subgraph (DESIGN 10): built in the context factory for
 * every request and every subscription event, so a page of `_entities` MediaFile references is
 * one `$in` query.
 */
export interface Loaders {
  /** Files by id, deleted ones included (resolvers decide who may see what); null when unknown. */
  readonly mediaById: DataLoader<string, MediaFileDocument | null>;
}

export function createLoaders(files: MediaFiles): Loaders {
  return {
    mediaById: createBatchLoader<string, MediaFileDocument>(
      (ids) => files.findByIds(ids),
      (file) => file._id.toHexString(),
    ),
  };
}
