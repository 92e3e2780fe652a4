import { requireViewer } from '@social/kit';
import { changeUsage, deleteMedia, requestUpload, updateMedia } from '../media/operations.js';
import type { MediaContext } from '../subgraph.js';

export const Mutation = {
  requestUpload: (_root: unknown, args: { input: unknown }, context: MediaContext) =>
    requestUpload(context.media, requireViewer(context), args.input),

  updateMedia: (_root: unknown, args: { id: string; input: unknown }, context: MediaContext) =>
    updateMedia(context.media, requireViewer(context), args.id, args.input),

  deleteMedia: (_root: unknown, args: { id: string }, context: MediaContext) =>
    deleteMedia(context.media, requireViewer(context), args.id),

  attachMedia: (_root: unknown, args: { input: unknown }, context: MediaContext) =>
    changeUsage(context.media, requireViewer(context), args.input, 'attach'),

  detachMedia: (_root: unknown, args: { input: unknown }, context: MediaContext) =>
    changeUsage(context.media, requireViewer(context), args.input, 'detach'),
};
