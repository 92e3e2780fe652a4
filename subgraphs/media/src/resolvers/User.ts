import type { StoredCategory, StoredFileType } from '../data/collections.js';
import { listOwn, listPublic } from '../media/operations.js';
import type { MediaContext } from '../subgraph.js';

interface UserReference {
  /** From the representation: client input when `_entities` is sent straight to the subgraph. */
  readonly id: unknown;
}

/** media's part of the User entity (owned by auth): the user's files the viewer may see. */
export const User = {
  media: (
    user: UserReference,
    args: {
      category?: StoredCategory | null;
      fileType?: StoredFileType | null;
      first?: number | null;
      after?: string | null;
    },
    context: MediaContext,
  ) => {
    const filter = { category: args.category ?? null, fileType: args.fileType ?? null };
    // An id that is not a string (e.g. a query operator object) is nobody: it never reaches a query.
    const userId = typeof user.id === 'string' ? user.id : null;
    return context.viewer?.id === userId
      ? listOwn(context.media, context.viewer.id, filter, args.first, args.after)
      : listPublic(context.media, userId, filter, args.first, args.after);
  },
};
