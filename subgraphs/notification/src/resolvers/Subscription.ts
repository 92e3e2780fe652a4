import { Pump, liveSource, requireViewer, type PumpControl } from '@social/kit';
import type { NotificationDocument } from '../data/collections.js';
import { ownNotification, parseObjectId } from '../data/inbox.js';
import { channels, type AddedPayload, type UnreadChangedPayload } from '../realtime/channels.js';
import type { NotificationContext } from '../subgraph.js';

/**
 * Subscriptions (graphql-ws on the subgraph's /graphql; DESIGN 8), for the viewer only: each
 * listens on the viewer's own channels, fed by whichever instance handled the event (Redis
 * pub/sub). They are live before they return, so nothing published after that is missed.
 */

/**
 * Each new or regrouped notification, read when its announcement arrives (one deleted or read
 * away meanwhile is still sent as it is now; one deleted is skipped).
 */
async function notificationAdded(_root: unknown, _args: unknown, context: NotificationContext) {
  const viewer = requireViewer(context);
  const deps = context.notification;
  const source = await liveSource(
    deps.pubsub,
    deps.pubsub.subscribe<AddedPayload>(channels.added(viewer.id)),
  );
  return new Pump<AddedPayload, NotificationDocument>(
    source,
    async (payload, control) => {
      const id = parseObjectId(payload.notificationId);
      const doc = id ? await ownNotification(deps.store, viewer.id, id) : null;
      if (doc) control.emit(doc);
    },
    'notificationAdded',
  );
}

/** A timer's longest delay (setTimeout holds at most ~24.8 days); a later expiry is re-checked. */
const MAX_TIMER_MS = 24 * 3600 * 1000;

/**
 * The viewer's count whenever it changes: re-read (exact, through the cache) when a change is
 * announced, once however many announcements arrive while a read is under way, and when the
 * first unread notification expires (the TTL index deletes it without telling anyone).
 */
async function unreadNotificationCountChanged(_root: unknown, _args: unknown, context: NotificationContext) {
  const viewer = requireViewer(context);
  const deps = context.notification;
  const source = await liveSource(
    deps.pubsub,
    deps.pubsub.subscribe<UnreadChangedPayload>(channels.unread(viewer.id)),
  );
  let last: number;
  let timer: NodeJS.Timeout | undefined;
  let scheduled = false;
  const arm = (control: PumpControl<number>, nextExpiry: Date | null) => {
    clearTimeout(timer);
    if (!nextExpiry) return;
    const delay = Math.min(Math.max(0, nextExpiry.getTime() - Date.now()) + 5, MAX_TIMER_MS);
    timer = setTimeout(() => schedule(control), delay);
    timer.unref();
  };
  const refresh = async (control: PumpControl<number>) => {
    scheduled = false;
    const summary = await deps.unread.summary(viewer.id);
    if (summary.count !== last) {
      last = summary.count;
      control.emit(summary.count);
    }
    arm(control, summary.nextExpiry);
  };
  const schedule = (control: PumpControl<number>) => {
    if (scheduled) return;
    scheduled = true;
    control.run(() => refresh(control));
  };
  let initial;
  try {
    initial = await deps.unread.summary(viewer.id);
  } catch (error) {
    await source.return?.();
    throw error;
  }
  last = initial.count;
  const pump = new Pump<UnreadChangedPayload, number>(
    source,
    (_signal, control) => schedule(control),
    'unreadNotificationCountChanged',
  );
  arm(pump.control, initial.nextExpiry);
  pump.onEnd(() => clearTimeout(timer));
  return pump;
}

const passThrough = (payload: unknown) => payload;

export const Subscription = {
  notificationAdded: { subscribe: notificationAdded, resolve: passThrough },
  unreadNotificationCountChanged: { subscribe: unreadNotificationCountChanged, resolve: passThrough },
};
