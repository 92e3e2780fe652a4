import { requireViewer, unauthenticated } from '@social/kit';
import type { ListFilter } from '../data/media-files.js';
import { canSee, listOwn, search } from '../media/operations.js';
import type { MediaContext } from '../subgraph.js';

interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

export const Query = {
  media: async (_root: unknown, args: { id: string }, context: MediaContext) => {
    const file = await context.loaders.mediaById.load(args.id.toLowerCase());
    return file && canSee(file, context.viewer, 'query') ? file : null;
  },

  myMedia: (_root: unknown, args: PageArgs & { filter?: ListFilter | null }, context: MediaContext) =>
    listOwn(context.media, requireViewer(context).id, args.filter, args.first, args.after),

  searchMedia: (
    _root: unknown,
    args: PageArgs & { query: string; onlyMine?: boolean | null },
    context: MediaContext,
  ) => {
    if (args.onlyMine && !context.viewer) throw unauthenticated('Sign in to search your own files');
    return search(context.media, context.viewer, args.query, args.onlyMine ?? false, args.first, args.after);
  },
};
