import type { StoredCategory, StoredFileType } from '../data/collections.js';
import { listOwn, listPublic } from '../media/operations.js';
import type { MediaContext } from '../subgraph.js';

interface UserReference {
  readonly id: string;
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
    return context.viewer?.id === user.id
      ? listOwn(context.media, user.id, filter, args.first, args.after)
      : listPublic(context.media, user.id, filter, args.first, args.after);
  },
};
