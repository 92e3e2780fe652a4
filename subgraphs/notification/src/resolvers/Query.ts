import { connectionFromRows, pageSize, requireViewer } from '@social/kit';
import type { StoredNotificationType } from '../data/collections.js';
import { inboxPage, isLiveFor } from '../data/inbox.js';
import type { NotificationContext } from '../subgraph.js';
import { inboxCursor, inboxPosition, notificationIdArg } from './args.js';

/** Reads: the viewer's own notifications only (DESIGN 11: checked where the data lives). */

interface NotificationsArgs {
  readonly unreadOnly?: boolean | null;
  readonly types?: readonly StoredNotificationType[] | null;
  readonly first?: number | null;
  readonly after?: string | null;
}

export const Query = {
  notifications: async (_root: unknown, args: NotificationsArgs, context: NotificationContext) => {
    const viewer = requireViewer(context);
    const size = pageSize(args.first);
    const after = args.after ? inboxPosition(args.after) : null;
    const rows = await inboxPage(context.notification.store, viewer.id, {
      unreadOnly: args.unreadOnly ?? false,
      types: args.types ?? [],
      after,
      limit: size + 1,
    });
    for (const row of rows) context.loaders.notification.prime(row._id.toHexString(), row);
    return connectionFromRows(rows, size, inboxCursor);
  },
  notification: async (_root: unknown, args: { id: string }, context: NotificationContext) => {
    const viewer = requireViewer(context);
    const id = notificationIdArg(args.id);
    const doc = await context.loaders.notification.load(id.toHexString());
    return isLiveFor(doc, viewer.id) ? doc : null;
  },
  unreadNotificationCount: async (_root: unknown, _args: unknown, context: NotificationContext) => {
    const viewer = requireViewer(context);
    return (await context.notification.unread.summary(viewer.id)).count;
  },
};
