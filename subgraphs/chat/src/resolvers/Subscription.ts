import {
  forbidden,
  liveSource,
  parseInput,
  requireViewer,
  type Relation,
  type ReplicaUser,
} from '@social/kit';
import { ObjectId } from 'mongodb';
import { requireParticipation } from '../access.js';
import { activeParticipant, findConversation } from '../data/conversations.js';
import { messagesInRange } from '../data/messages.js';
import type { ChatDeps } from '../deps.js';
import {
  channels,
  type ConversationEventPayload,
  type ListUpdatePayload,
  type PresencePayload,
  type TypingPayload,
} from '../realtime/channels.js';
import { watchParticipation } from '../realtime/participation-watch.js';
import { Pump, Sequencer, type PumpControl } from '../realtime/streams.js';
import type { ChatContext } from '../subgraph.js';
import { presenceUserIds } from '../validation.js';

/**
 * Subscriptions (graphql-ws on the subgraph's /graphql; DESIGN 8). Each is authorized when it
 * starts; conversation streams are live before the conversation is read, so nothing published
 * after that read is missed, and they end when the viewer leaves or is removed (at the
 * ParticipantChangedEvent, or at the next periodic check should that event be lost).
 */

/** Ends `pump` once the viewer is no longer an active participant (checked on every heartbeat). */
function endWhenRemoved(
  pump: Pump<unknown, unknown>,
  deps: ChatDeps,
  conversationId: string,
  viewerId: string,
) {
  const release = watchParticipation(deps, conversationId, viewerId, () =>
    pump.control.run(() => pump.control.end()),
  );
  pump.onEnd(release);
}

async function conversationEvents(_root: unknown, args: { conversationId: string }, context: ChatContext) {
  const viewer = requireViewer(context);
  const deps = context.chat;
  const { conversationId } = args;
  // Where the subscriber starts: every message after this sequence reaches it, as an event or,
  // for those committed while the subscription was being set up, read back below.
  const { conversation: before } = await requireParticipation(context.loaders, viewer.id, conversationId);
  const source = deps.pubsub.subscribe<ConversationEventPayload>(channels.conversation(conversationId), {
    filter: (event) =>
      event.kind !== 'MessageDeleted' || event.onlyUserId === null || event.onlyUserId === viewer.id,
  });
  try {
    await deps.pubsub.ready(source);
    const current = await findConversation(deps.store, new ObjectId(conversationId));
    if (!current || !activeParticipant(current, viewer.id)) {
      throw forbidden('You are not a participant of this conversation', 'NOT_A_PARTICIPANT');
    }
    const registration = await deps.viewing.register(conversationId, viewer.id);
    const sequencer = new Sequencer<ConversationEventPayload>(before.lastSequence);
    let gapTimer: NodeJS.Timeout | undefined;

    const deliver = (events: ConversationEventPayload[], control: PumpControl<ConversationEventPayload>) => {
      for (const event of events) {
        control.emit(event);
        const leaving = event.kind === 'ParticipantChanged' && event.userId === viewer.id;
        if (leaving && (event.change === 'REMOVED' || event.change === 'LEFT')) {
          control.end();
          return;
        }
      }
    };
    const readBack = async (control: PumpControl<ConversationEventPayload>, from: number, to: number) => {
      const rows = await messagesInRange(deps.store, conversationId, from, to);
      for (const row of rows) {
        deliver(
          sequencer.push({
            kind: 'MessageAdded',
            conversationId,
            messageId: row._id.toHexString(),
            sequence: row.sequence,
            occurredAt: row.createdAt.toISOString(),
          }),
          control,
        );
      }
    };
    // A message missing for longer than CHAT_GAP_FILL_MS is read from the database.
    const fillGap = async (control: PumpControl<ConversationEventPayload>) => {
      const gap = sequencer.missing();
      if (!gap) return;
      await readBack(control, gap.from, gap.to);
      const still = sequencer.missing();
      if (still && still.from === gap.from) deliver(sequencer.skipGap(), control);
      armGap(control);
    };
    const armGap = (control: PumpControl<ConversationEventPayload>) => {
      if (!sequencer.waiting || gapTimer) return;
      gapTimer = setTimeout(() => {
        gapTimer = undefined;
        control.run(() => fillGap(control));
      }, deps.config.CHAT_GAP_FILL_MS);
    };

    const pump = new Pump<ConversationEventPayload, ConversationEventPayload>(source, (event, control) => {
      deliver(sequencer.push(event), control);
      armGap(control);
    });
    // Messages committed between the first read and the subscription going live.
    if (current.lastSequence > before.lastSequence) {
      pump.control.run(() => readBack(pump.control, before.lastSequence + 1, current.lastSequence + 1));
    }
    pump.onEnd(() => {
      clearTimeout(gapTimer);
      return registration.release();
    });
    endWhenRemoved(pump as Pump<unknown, unknown>, deps, conversationId, viewer.id);
    return pump;
  } catch (error) {
    await source.return?.();
    throw error;
  }
}

async function myConversationsUpdated(_root: unknown, _args: unknown, context: ChatContext) {
  const viewer = requireViewer(context);
  return liveSource(
    context.chat.pubsub,
    context.chat.pubsub.subscribe<ListUpdatePayload>(channels.user(viewer.id)),
  );
}

async function typing(_root: unknown, args: { conversationId: string }, context: ChatContext) {
  const viewer = requireViewer(context);
  const deps = context.chat;
  const { conversationId } = args;
  await requireParticipation(context.loaders, viewer.id, conversationId);
  const source = await liveSource(
    deps.pubsub,
    deps.pubsub.subscribe<TypingPayload>(channels.typing(conversationId), {
      filter: (indicator) => indicator.userId !== viewer.id || indicator.departed === true,
    }),
  );
  // An indicator not renewed before it lapses is reported stopped, by each subscriber itself.
  const lapses = new Map<string, NodeJS.Timeout>();
  const pump = new Pump<TypingPayload, TypingPayload>(source, ({ departed, ...indicator }, control) => {
    // The viewer left or was removed: nothing more of this conversation is theirs to see.
    if (departed && indicator.userId === viewer.id) {
      control.end();
      return;
    }
    clearTimeout(lapses.get(indicator.userId));
    lapses.delete(indicator.userId);
    control.emit(indicator);
    if (!indicator.isTyping || !indicator.expiresAt) return;
    const delay = Math.max(0, new Date(indicator.expiresAt).getTime() - Date.now());
    lapses.set(
      indicator.userId,
      setTimeout(() => {
        lapses.delete(indicator.userId);
        control.run(() =>
          control.emit({ conversationId, userId: indicator.userId, isTyping: false, expiresAt: null }),
        );
      }, delay),
    );
  });
  pump.onEnd(() => {
    for (const timer of lapses.values()) clearTimeout(timer);
    lapses.clear();
  });
  endWhenRemoved(pump as Pump<unknown, unknown>, deps, conversationId, viewer.id);
  return pump;
}

/** Whether the viewer may see `user`'s presence: not hidden, no block, profile visible, shown. */
function presenceVisible(
  user: ReplicaUser,
  relation: Relation,
  event: PresencePayload,
  hidden: boolean,
): boolean {
  if (hidden || relation.blocked || !event.showOnlineStatus || !user.privacy.showOnlineStatus) return false;
  const visibility = user.privacy.profileVisibility;
  return visibility === 'PUBLIC' || (visibility === 'FRIENDS' && relation.friends);
}

async function presenceChanged(_root: unknown, args: { userIds: unknown }, context: ChatContext) {
  const viewer = requireViewer(context);
  const watched = new Set(parseInput(presenceUserIds, args.userIds, 'userIds'));
  const { pubsub, store } = context.chat;
  const source = await liveSource(
    context.chat.pubsub,
    pubsub.subscribe<PresencePayload>(channels.presence, { filter: (event) => watched.has(event.userId) }),
  );
  return new Pump<PresencePayload, PresencePayload>(source, async (event, control) => {
    let { lastSeenAt } = event;
    if (event.userId !== viewer.id) {
      // Read per event: a block or privacy change since subscribing applies at once.
      const [users, relations] = await Promise.all([
        store.replica.users([event.userId]),
        store.replica.relations(viewer.id, [event.userId]),
      ]);
      const user = users.get(event.userId) as ReplicaUser;
      const relation = relations.get(event.userId) as Relation;
      if (!presenceVisible(user, relation, event, store.replica.isHidden(user))) return;
      if (!event.showLastSeen || !user.privacy.showLastSeen) lastSeenAt = null;
    }
    control.emit({ ...event, lastSeenAt });
  });
}

const passThrough = (payload: unknown) => payload;

export const Subscription = {
  conversationEvents: { subscribe: conversationEvents, resolve: passThrough },
  myConversationsUpdated: { subscribe: myConversationsUpdated, resolve: passThrough },
  typing: { subscribe: typing, resolve: passThrough },
  presenceChanged: { subscribe: presenceChanged, resolve: passThrough },
};
