import { notFound, requireViewer } from '@social/kit';
import { deleteOwn, markAllRead, markRead } from '../data/inbox.js';
import { unreadChanged } from '../services/notify.js';
import type { NotificationContext } from '../subgraph.js';
import { notificationIdArg } from './args.js';

/**
 * The recipient's changes. Each is one atomic write whose result says whether it changed the
 * unread count (concurrent reads of the same notification flip it once), after which the count is
 * invalidated and the viewer's count subscriptions told.
 */
export const Mutation = {
  markNotificationRead: async (_root: unknown, args: { id: string }, context: NotificationContext) => {
    const viewer = requireViewer(context);
    const id = notificationIdArg(args.id);
    const deps = context.notification;
    const result = await markRead(deps.store, viewer.id, id);
    if (!result) throw notFound('Notification', args.id);
    if (result.changed) await unreadChanged(deps, [viewer.id]);
    context.loaders.notification.clear(id.toHexString()).prime(id.toHexString(), result.doc);
    return result.doc;
  },
  markAllNotificationsRead: async (_root: unknown, _args: unknown, context: NotificationContext) => {
    const viewer = requireViewer(context);
    const deps = context.notification;
    const changed = await markAllRead(deps.store, viewer.id);
    if (changed > 0) await unreadChanged(deps, [viewer.id]);
    return changed;
  },
  deleteNotification: async (_root: unknown, args: { id: string }, context: NotificationContext) => {
    const viewer = requireViewer(context);
    const id = notificationIdArg(args.id);
    const deps = context.notification;
    const deleted = await deleteOwn(deps.store, viewer.id, id);
    if (!deleted) throw notFound('Notification', args.id);
    if (!deleted.isRead) await unreadChanged(deps, [viewer.id]);
    context.loaders.notification.clear(id.toHexString());
    return true;
  },
};
