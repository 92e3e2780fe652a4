import {
  badUserInput,
  conflict,
  forbidden,
  notFound,
  parseInput,
  type ReplicaUser,
  type Viewer,
  usableBy,
  waitForMediaRefs,
} from '@social/kit';
import { ObjectId, type ClientSession } from 'mongodb';
import { conversationIdArg, reachableUsers, requireParticipation } from '../access.js';
import type { ConversationDocument, ParticipantDocument, StoredRole } from '../data/collections.js';
import {
  activeParticipant,
  activeParticipants,
  identityOf,
  newParticipant,
  type Identity,
} from '../data/conversations.js';
import type { ChatDeps } from '../deps.js';
import { PARTICIPANT_ROLE, graphqlName } from '../enums.js';
import type { ParticipantChangeName } from '../events.js';
import type { Loaders } from '../loaders.js';
import type { ConversationUpdateReason } from '../realtime/channels.js';
import { LIMITS } from '../config.js';
import {
  createGroupInput,
  participantIds as participantIdsSchema,
  setParticipantRoleInput,
  updateGroupInput,
  userId as userIdSchema,
} from '../validation.js';
import {
  announceMessage,
  appendMessage,
  syncUnread,
  systemDraft,
  type Appended,
  type MessageDraft,
} from './append.js';
import { viewerIdentity } from './send.js';

/**
 * Groups: creation, details, membership and roles. Each change is one transaction that reads the
 * group, applies the rules (admins only, 2 to 256 participants, never without an admin), writes
 * it, appends the SYSTEM message that tells the participants, and records the event; concurrent
 * changes (and sends) conflict on the conversation and are retried on the state they left.
 */

interface ParticipantChange {
  readonly userId: string;
  readonly change: ParticipantChangeName;
  readonly role: StoredRole | null;
}

interface GroupEdit {
  readonly participants?: ParticipantDocument[];
  readonly details?: Partial<
    Pick<ConversationDocument, 'name' | 'description' | 'avatarUrl' | 'avatarMediaId'>
  >;
  readonly messages: MessageDraft[];
  readonly changes: ParticipantChange[];
  /** List update reasons for users other than NEW_MESSAGE (JOINED, REMOVED). */
  readonly reasons?: ReadonlyMap<string, ConversationUpdateReason>;
  readonly detailsChanged?: boolean;
}

const nameOf = (identity: Pick<Identity, 'displayName'>) => identity.displayName;

function requireGroup(conversation: ConversationDocument): void {
  if (conversation.type !== 'Group') throw badUserInput('This is not a group conversation', 'conversationId');
}

function requireAdmin(conversation: ConversationDocument, viewerId: string): void {
  if (activeParticipant(conversation, viewerId)?.role !== 'Admin') {
    throw forbidden('Only group admins can do this', 'NOT_ADMIN');
  }
}

/**
 * Runs one group change: `plan` sees the group as stored in the transaction and returns the edit
 * (or null: nothing to do). Then publishes participant changes, the SYSTEM messages and list
 * updates, in that order (a removed subscriber's stream ends on its ParticipantChangedEvent).
 */
async function editGroup(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  plan: (conversation: ConversationDocument, actor: Identity, now: Date) => GroupEdit | null,
): Promise<ConversationDocument> {
  await requireParticipation(loaders, viewer.id, conversationId);
  const [actor, viewing] = await Promise.all([
    viewerIdentity(deps, viewer),
    deps.viewing.viewers(conversationId),
  ]);
  const { store } = deps;
  const id = new ObjectId(conversationId);
  const result = await store.conversationTransaction(conversationId, async (session: ClientSession) => {
    const now = new Date();
    const current = await store.conversations.findOne({ _id: id }, { session });
    if (!current || !activeParticipant(current, viewer.id)) {
      throw forbidden('You are not a participant of this conversation', 'NOT_A_PARTICIPANT');
    }
    requireGroup(current);
    const edit = plan(current, actor, now);
    if (!edit) return { conversation: current, edit: null, appended: [] as Appended[] };
    const participants = edit.participants ?? current.participants;
    await store.conversations.updateOne(
      { _id: id },
      {
        $set: {
          ...edit.details,
          participants,
          participantsCount: participants.filter((participant) => participant.isActive).length,
          updatedAt: now,
        },
        $inc: { rev: 1 },
      },
      { session },
    );
    const appended: Appended[] = [];
    for (const draft of edit.messages) {
      const done = await appendMessage(store, session, id, draft, {
        now,
        viewing,
        requireActiveSender: false,
      });
      if (done) appended.push(done);
    }
    for (const [change, group] of groupChanges(edit.changes)) {
      await store.outbox.enqueue(session, 'ParticipantsChanged', {
        conversationId,
        conversationName: current.name,
        change,
        userIds: group.map((c) => c.userId),
        role: group[0]?.role ? graphqlName(PARTICIPANT_ROLE, group[0].role) : null,
        actorId: viewer.id,
        occurredAt: now.toISOString(),
      });
    }
    const conversation =
      appended.at(-1)?.conversation ?? (await store.conversations.findOne({ _id: id }, { session }));
    return { conversation: conversation as ConversationDocument, edit, appended };
  });
  const { conversation, edit } = result;
  loaders.conversation.clear(conversationId).prime(conversationId, conversation);
  if (!edit) return conversation;
  const occurredAt = new Date().toISOString();
  for (const change of edit.changes) {
    await deps.notifier.conversation({
      kind: 'ParticipantChanged',
      conversationId,
      userId: change.userId,
      change: change.change,
      role: change.role,
      actorId: viewer.id,
      occurredAt,
    });
    if (change.change === 'REMOVED' || change.change === 'LEFT') {
      await deps.notifier.departed(conversationId, change.userId);
    }
  }
  if (edit.detailsChanged) {
    await deps.notifier.conversation({
      kind: 'ConversationUpdated',
      conversationId,
      actorId: viewer.id,
      occurredAt,
    });
  }
  for (const [index, appended] of result.appended.entries()) {
    // Only the last message's conversation carries the final counts: earlier ones announce
    // the message alone.
    await announceMessage(deps, { ...appended, conversation }, index === 0 ? edit.reasons : new Map());
  }
  if (result.appended.length === 0) await syncUnread(deps, conversation);
  return conversation;
}

/** Changes of the same kind and role together, for one ParticipantsChanged event each. */
function groupChanges(
  changes: readonly ParticipantChange[],
): Map<ParticipantChangeName, ParticipantChange[]> {
  const groups = new Map<ParticipantChangeName, ParticipantChange[]>();
  for (const change of changes) groups.set(change.change, [...(groups.get(change.change) ?? []), change]);
  return groups;
}

/** A file the viewer uploaded, usable as a group avatar (their own image, not deleted or failed). */
async function groupAvatar(deps: ChatDeps, viewerId: string, mediaId: string, field: string) {
  const ref = (await waitForMediaRefs(deps.store.mediaRefs, [mediaId], deps.config.EVENT_WAIT_MS)).get(
    mediaId,
  );
  if (!ref || !usableBy(ref, viewerId)) throw notFound('MediaFile', mediaId);
  if (ref.fileType !== 'IMAGE') throw badUserInput(`${field} must be an image`, field);
  return { avatarMediaId: mediaId, avatarUrl: ref.webUrl ?? ref.url };
}

export async function createGroup(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  rawInput: unknown,
): Promise<ConversationDocument> {
  const input = parseInput(createGroupInput, rawInput, 'input');
  if (input.participantIds.includes(viewer.id)) {
    throw badUserInput('input.participantIds must not include yourself', 'input.participantIds');
  }
  const users = await reachableUsers(deps, viewer.id, input.participantIds);
  const avatar = input.avatarMediaId
    ? await groupAvatar(deps, viewer.id, input.avatarMediaId, 'input.avatarMediaId')
    : { avatarMediaId: null, avatarUrl: null };
  const me = await viewerIdentity(deps, viewer);
  const members = input.participantIds.map((id) => identityOf(users.get(id) as ReplicaUser));
  const { store } = deps;
  const appended = await store.transaction(async (session) => {
    const now = new Date();
    const conversation: ConversationDocument = {
      _id: new ObjectId(),
      type: 'Group',
      name: input.name,
      description: input.description || null,
      ...avatar,
      createdBy: { userId: me.userId, username: me.username, displayName: me.displayName },
      participants: [
        newParticipant(me, 'Admin', now, 0),
        ...members.map((member) => newParticipant(member, 'Member', now, 0)),
      ],
      lastMessage: null,
      lastSequence: 0,
      participantsCount: members.length + 1,
      messagesCount: 0,
      readOnly: false,
      rev: 1,
      createdAt: now,
      updatedAt: now,
    };
    await store.conversations.insertOne(conversation, { session });
    await store.outbox.enqueue(session, 'ConversationCreated', {
      conversationId: conversation._id.toHexString(),
      conversationType: 'GROUP',
      name: conversation.name,
      createdBy: viewer.id,
      participantIds: conversation.participants.map((participant) => participant.userId),
      createdAt: now.toISOString(),
    });
    const text = `${nameOf(me)} created the group "${input.name}"`;
    const draft = systemDraft(me, 'GROUP_CREATED', input.participantIds, text);
    return appendMessage(store, session, conversation._id, draft, {
      now,
      viewing: new Set(),
      requireActiveSender: true,
    });
  });
  if (!appended) throw new Error('A group just created was not found in its own transaction');
  const id = appended.conversation._id.toHexString();
  loaders.conversation.prime(id, appended.conversation);
  const joined = new Map<string, ConversationUpdateReason>(
    appended.conversation.participants.map((participant) => [participant.userId, 'JOINED']),
  );
  await announceMessage(deps, appended, joined);
  return appended.conversation;
}

export async function updateGroup(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  rawInput: Record<string, unknown>,
): Promise<ConversationDocument> {
  const input = parseInput(updateGroupInput, rawInput, 'input');
  const clearsDescription = Object.hasOwn(rawInput, 'description') && rawInput.description === null;
  const clearsAvatar = Object.hasOwn(rawInput, 'avatarMediaId') && rawInput.avatarMediaId === null;
  const avatar = input.avatarMediaId
    ? await groupAvatar(deps, viewer.id, input.avatarMediaId, 'input.avatarMediaId')
    : null;
  return editGroup(deps, loaders, viewer, input.conversationId, (current, actor) => {
    requireAdmin(current, viewer.id);
    const details: GroupEdit['details'] & object = {};
    const said: string[] = [];
    if (input.name !== undefined && input.name !== current.name) {
      details.name = input.name;
      said.push(`changed the group name to "${input.name}"`);
    }
    const description = clearsDescription ? null : (input.description ?? undefined);
    if (description !== undefined && (description || null) !== current.description) {
      details.description = description || null;
      said.push(description ? 'changed the group description' : 'removed the group description');
    }
    if (clearsAvatar && current.avatarMediaId !== null) {
      Object.assign(details, { avatarMediaId: null, avatarUrl: null });
      said.push('removed the group photo');
    } else if (avatar && avatar.avatarMediaId !== current.avatarMediaId) {
      Object.assign(details, avatar);
      said.push('changed the group photo');
    }
    if (said.length === 0) return null;
    const text = `${nameOf(actor)} ${said.join(', ')}`;
    return {
      details,
      messages: [systemDraft(actor, 'GROUP_UPDATED', [], text)],
      changes: [],
      detailsChanged: true,
    };
  });
}

export async function addParticipants(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  rawUserIds: unknown,
): Promise<ConversationDocument> {
  conversationIdArg(conversationId);
  const userIds = parseInput(participantIdsSchema, rawUserIds, 'userIds');
  const { conversation } = await requireParticipation(loaders, viewer.id, conversationId);
  requireGroup(conversation);
  requireAdmin(conversation, viewer.id);
  const candidates = userIds.filter((id) => !activeParticipant(conversation, id));
  if (candidates.length === 0) return conversation;
  const users = await reachableUsers(deps, viewer.id, candidates);
  return editGroup(deps, loaders, viewer, conversationId, (current, actor, now) => {
    requireAdmin(current, viewer.id);
    const added = candidates.filter((id) => !activeParticipant(current, id));
    if (added.length === 0) return null;
    if (activeParticipants(current).length + added.length > LIMITS.groupMax) {
      throw badUserInput(`A group has at most ${LIMITS.groupMax} participants`, 'userIds');
    }
    const participants = [...current.participants];
    for (const userId of added) {
      const identity = identityOf(users.get(userId) as ReplicaUser);
      const fresh = newParticipant(identity, 'Member', now, current.lastSequence);
      const index = participants.findIndex((participant) => participant.userId === userId);
      if (index >= 0) participants[index] = fresh;
      else participants.push(fresh);
    }
    const names = added.map((userId) => nameOf(identityOf(users.get(userId) as ReplicaUser)));
    return {
      participants,
      messages: [
        systemDraft(actor, 'PARTICIPANTS_ADDED', added, `${nameOf(actor)} added ${names.join(', ')}`),
      ],
      changes: added.map((userId) => ({ userId, change: 'ADDED', role: 'Member' })),
      reasons: new Map(added.map((userId) => [userId, 'JOINED'])),
    };
  });
}

/** The participant list with `userId` gone: inactive, nothing unread, and never without an admin. */
function without(
  current: ConversationDocument,
  userId: string,
  now: Date,
): { participants: ParticipantDocument[]; promoted: ParticipantDocument | null } {
  const participants = current.participants.map((participant) =>
    participant.userId === userId
      ? { ...participant, isActive: false, leftAt: now, unreadCount: 0 }
      : participant,
  );
  const remaining = participants.filter((participant) => participant.isActive);
  if (remaining.length === 0 || remaining.some((participant) => participant.role === 'Admin')) {
    return { participants, promoted: null };
  }
  // The longest-standing member becomes admin.
  const eldest = remaining.reduce((a, b) => (b.joinedAt.getTime() < a.joinedAt.getTime() ? b : a));
  return {
    participants: participants.map((participant) =>
      participant.userId === eldest.userId ? { ...participant, role: 'Admin' } : participant,
    ),
    promoted: eldest,
  };
}

export async function removeParticipant(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
  rawUserId: unknown,
): Promise<ConversationDocument> {
  conversationIdArg(conversationId);
  const userId = parseInput(userIdSchema, rawUserId, 'userId');
  if (userId === viewer.id) throw badUserInput('Use leaveConversation to leave a group', 'userId');
  return editGroup(deps, loaders, viewer, conversationId, (current, actor, now) => {
    requireAdmin(current, viewer.id);
    const target = activeParticipant(current, userId);
    if (!target) throw badUserInput('userId is not a participant of this group', 'userId');
    const { participants } = without(current, userId, now);
    return {
      participants,
      messages: [
        systemDraft(actor, 'PARTICIPANT_REMOVED', [userId], `${nameOf(actor)} removed ${target.displayName}`),
      ],
      changes: [{ userId, change: 'REMOVED', role: null }],
      reasons: new Map([[userId, 'REMOVED']]),
    };
  });
}

export async function leaveConversation(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  conversationId: string,
): Promise<boolean> {
  conversationIdArg(conversationId);
  const { conversation } = await requireParticipation(loaders, viewer.id, conversationId);
  if (conversation.type !== 'Group') {
    throw badUserInput('A direct conversation cannot be left; archive it instead', 'conversationId');
  }
  await editGroup(deps, loaders, viewer, conversationId, (current, actor, now) => {
    const { participants, promoted } = without(current, viewer.id, now);
    const messages = [systemDraft(actor, 'PARTICIPANT_LEFT', [viewer.id], `${nameOf(actor)} left`)];
    const changes: ParticipantChange[] = [{ userId: viewer.id, change: 'LEFT', role: null }];
    if (promoted) {
      messages.push(
        systemDraft(actor, 'ROLE_CHANGED', [promoted.userId], `${promoted.displayName} is now an admin`),
      );
      changes.push({ userId: promoted.userId, change: 'ROLE_CHANGED', role: 'Admin' });
    }
    return { participants, messages, changes, reasons: new Map([[viewer.id, 'REMOVED']]) };
  });
  return true;
}

export async function setParticipantRole(
  deps: ChatDeps,
  loaders: Loaders,
  viewer: Viewer,
  rawInput: unknown,
): Promise<ConversationDocument> {
  const input = parseInput(setParticipantRoleInput, rawInput, 'input');
  return editGroup(deps, loaders, viewer, input.conversationId, (current, actor) => {
    requireAdmin(current, viewer.id);
    const target = activeParticipant(current, input.userId);
    if (!target) throw badUserInput('input.userId is not a participant of this group', 'input.userId');
    if (target.role === input.role) return null;
    const admins = activeParticipants(current).filter((participant) => participant.role === 'Admin');
    if (input.role === 'Member' && admins.length === 1) {
      throw conflict('A group needs an admin: promote someone else before demoting the last admin');
    }
    const participants = current.participants.map((participant) =>
      participant.userId === input.userId ? { ...participant, role: input.role } : participant,
    );
    const text =
      input.role === 'Admin'
        ? `${nameOf(actor)} made ${target.displayName} an admin`
        : `${nameOf(actor)} removed ${target.displayName} as admin`;
    return {
      participants,
      messages: [systemDraft(actor, 'ROLE_CHANGED', [input.userId], text)],
      changes: [{ userId: input.userId, change: 'ROLE_CHANGED', role: input.role }],
    };
  });
}
