import DataLoader from 'dataloader';
import type { ClientSession, Collection, Db } from 'mongodb';
import { z } from 'zod';
import type { EventEnvelope } from './event-bus.js';
import type { CollectionSpec } from './mongo-store.js';

/**
 * A local copy of the social graph and of the user facts other services enforce, kept from auth's
 * and profile's events (DESIGN 9, seed 002 "denormalized data strategy"): feed, chat and
 * notification decide visibility, who may message whom and whom to notify without calling profile
 * per request.
 *
 * The bus is at-least-once and does not order events between streams (nor between consumers of
 * one group), so every fact carries the `occurredAt` of the event that set it and an older event
 * never overwrites a newer fact. Removed edges stay as inactive tombstones for the same reason: a
 * late `UserFollowed` must not resurrect a follow its `UserUnfollowed` already ended.
 *
 * A service calls {@link SocialReplica.apply} inside its own `handleEventOnce` transaction (one
 * consumer group per service and stream), so the copy changes exactly once per event and
 * atomically with the service's own reaction to it.
 */

export type VisibilityName = 'PUBLIC' | 'FRIENDS' | 'PRIVATE';
export type AudienceName = 'EVERYONE' | 'FRIENDS' | 'NONE';
export type AccountStatusName = 'ACTIVE' | 'INACTIVE' | 'SUSPENDED' | 'DELETED';

/** The privacy settings other services enforce, as profile publishes them. */
export interface PrivacySnapshot {
  readonly profileVisibility: VisibilityName;
  readonly showEmail: boolean;
  readonly showPhoneNumber: boolean;
  readonly showDateOfBirth: boolean;
  readonly showLocation: boolean;
  readonly showOnlineStatus: boolean;
  readonly showLastSeen: boolean;
  readonly allowFriendRequests: boolean;
  readonly allowMessages: AudienceName;
  readonly showEducation: boolean;
  readonly showExperience: boolean;
  readonly showConnections: boolean;
  readonly allowTagging: AudienceName;
  readonly allowMentions: AudienceName;
}

/** Notification preferences, as profile publishes them. */
export interface NotificationSettingsSnapshot {
  readonly emailNotifications: boolean;
  readonly pushNotifications: boolean;
  readonly messageNotifications: boolean;
  readonly friendRequestNotifications: boolean;
  readonly postNotifications: boolean;
  readonly commentNotifications: boolean;
  readonly likeNotifications: boolean;
  readonly mentionNotifications: boolean;
  readonly followerNotifications: boolean;
}

/** Profile's defaults for a new account, used until the user's ProfileCreated arrives. */
export const DEFAULT_PRIVACY: PrivacySnapshot = {
  profileVisibility: 'PUBLIC',
  showEmail: false,
  showPhoneNumber: false,
  showDateOfBirth: false,
  showLocation: true,
  showOnlineStatus: true,
  showLastSeen: true,
  allowFriendRequests: true,
  allowMessages: 'EVERYONE',
  showEducation: true,
  showExperience: true,
  showConnections: true,
  allowTagging: 'EVERYONE',
  allowMentions: 'EVERYONE',
};

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettingsSnapshot = {
  emailNotifications: true,
  pushNotifications: true,
  messageNotifications: true,
  friendRequestNotifications: true,
  postNotifications: true,
  commentNotifications: true,
  likeNotifications: true,
  mentionNotifications: true,
  followerNotifications: true,
};

/** What the replica knows about a user; defaults (active, profile defaults) when nothing yet. */
export interface ReplicaUser {
  readonly userId: string;
  readonly username: string | null;
  readonly displayName: string | null;
  readonly avatarUrl: string | null;
  readonly status: AccountStatusName;
  readonly privacy: PrivacySnapshot;
  readonly notificationSettings: NotificationSettingsSnapshot;
  /** False when no event about the user has been seen yet. */
  readonly known: boolean;
}

/** How the viewer and another user are connected. */
export interface Relation {
  readonly friends: boolean;
  /** The viewer follows the other user. */
  readonly following: boolean;
  /** The other user follows the viewer. */
  readonly followedBy: boolean;
  /** The viewer blocked the other user. */
  readonly blocking: boolean;
  /** The other user blocked the viewer. */
  readonly blockedBy: boolean;
  /** A block in either direction. */
  readonly blocked: boolean;
}

export const NO_RELATION: Relation = Object.freeze({
  friends: false,
  following: false,
  followedBy: false,
  blocking: false,
  blockedBy: false,
  blocked: false,
});

/** A user's side of the graph: whose content reaches them and whom they never see. */
export interface Audience {
  readonly friends: string[];
  /** Users this user follows. */
  readonly following: string[];
  /** Users blocked by, or blocking, this user. */
  readonly blocked: string[];
}

export const SOCIAL_REPLICA_COLLECTIONS = { users: 'social_users', edges: 'social_edges' } as const;

/** The event types the replica keeps, per producing stream; subscribe to these (plus your own). */
export const SOCIAL_REPLICA_EVENT_TYPES = {
  auth: ['UserRegistered', 'UserUpdated', 'UserDeleted', 'UserStatusChanged'],
  profile: [
    'ProfileCreated',
    'ProfileUpdated',
    'FriendRequestAccepted',
    'FriendRemoved',
    'UserFollowed',
    'UserUnfollowed',
    'UserBlocked',
    'UserUnblocked',
    'PrivacySettingsChanged',
    'NotificationSettingsChanged',
  ],
} as const satisfies Record<string, readonly string[]>;

type FactGroup = 'username' | 'identity' | 'status' | 'privacy' | 'notifications';

interface UserDocument {
  _id: string;
  username?: string;
  usernameLower?: string;
  displayName?: string;
  avatarUrl?: string | null;
  status?: AccountStatusName;
  privacy?: PrivacySnapshot;
  notificationSettings?: NotificationSettingsSnapshot;
  /** occurredAt of the event that last set each group of facts. */
  versions: Partial<Record<FactGroup, Date>>;
}

type EdgeKind = 'friend' | 'follow' | 'block';

interface EdgeDocument {
  /** `${kind}:${from}:${to}`; friendships are stored in both directions. */
  _id: string;
  kind: EdgeKind;
  from: string;
  to: string;
  active: boolean;
  /** occurredAt of the event that last set the edge. */
  at: Date;
}

export function socialReplicaCollections(): CollectionSpec[] {
  return [
    {
      name: SOCIAL_REPLICA_COLLECTIONS.users,
      indexes: [{ key: { usernameLower: 1 }, name: 'username_lower', sparse: true }],
    },
    {
      name: SOCIAL_REPLICA_COLLECTIONS.edges,
      indexes: [
        { key: { from: 1, active: 1, kind: 1 }, name: 'from_active_kind' },
        { key: { to: 1, active: 1, kind: 1 }, name: 'to_active_kind' },
      ],
    },
  ];
}

// Payloads are checked: an event the replica cannot read fails loudly (retried, then
// dead-lettered) rather than recording half a fact.
const id = z.string().min(1);
const audienceName = z.enum(['EVERYONE', 'FRIENDS', 'NONE']);
const privacy = z.object({
  profileVisibility: z.enum(['PUBLIC', 'FRIENDS', 'PRIVATE']),
  showEmail: z.boolean(),
  showPhoneNumber: z.boolean(),
  showDateOfBirth: z.boolean(),
  showLocation: z.boolean(),
  showOnlineStatus: z.boolean(),
  showLastSeen: z.boolean(),
  allowFriendRequests: z.boolean(),
  allowMessages: audienceName,
  showEducation: z.boolean(),
  showExperience: z.boolean(),
  showConnections: z.boolean(),
  allowTagging: audienceName,
  allowMentions: audienceName,
});
const notificationSettings = z.object({
  emailNotifications: z.boolean(),
  pushNotifications: z.boolean(),
  messageNotifications: z.boolean(),
  friendRequestNotifications: z.boolean(),
  postNotifications: z.boolean(),
  commentNotifications: z.boolean(),
  likeNotifications: z.boolean(),
  mentionNotifications: z.boolean(),
  followerNotifications: z.boolean(),
});
const identity = z.object({
  userId: id,
  username: z.string().min(1),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
});
const account = z.object({ userId: id, username: z.string().min(1) });
const payloads = {
  UserRegistered: account,
  UserUpdated: account,
  UserDeleted: z.object({ userId: id }),
  UserStatusChanged: z.object({ userId: id, status: z.enum(['ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED']) }),
  ProfileCreated: identity.extend({ privacySettings: privacy, notificationSettings }),
  ProfileUpdated: identity,
  FriendRequestAccepted: z.object({ senderId: id, receiverId: id }),
  FriendRemoved: z.object({ userId: id, friendId: id }),
  UserFollowed: z.object({ followerId: id, followeeId: id }),
  UserUnfollowed: z.object({ followerId: id, followeeId: id }),
  UserBlocked: z.object({ blockerId: id, blockedId: id }),
  UserUnblocked: z.object({ blockerId: id, blockedId: id }),
  PrivacySettingsChanged: z.object({ userId: id, privacySettings: privacy }),
  NotificationSettingsChanged: z.object({ userId: id, notificationSettings }),
} as const;

type KeptType = keyof typeof payloads;

function isKept(type: string): type is KeptType {
  return Object.hasOwn(payloads, type);
}

export class SocialReplica {
  readonly usersCollection: Collection<UserDocument>;
  readonly edgesCollection: Collection<EdgeDocument>;

  constructor(db: Db) {
    this.usersCollection = db.collection<UserDocument>(SOCIAL_REPLICA_COLLECTIONS.users);
    this.edgesCollection = db.collection<EdgeDocument>(SOCIAL_REPLICA_COLLECTIONS.edges);
  }

  /**
   * Applies one auth or profile event inside the caller's transaction. Resolves false for types
   * the replica does not keep (the caller may still handle them).
   */
  async apply(session: ClientSession, event: EventEnvelope): Promise<boolean> {
    if (!isKept(event.type)) return false;
    const at = new Date(event.occurredAt);
    switch (event.type) {
      case 'UserRegistered':
      case 'UserUpdated': {
        const data = payloads.UserRegistered.parse(event.data);
        await this.setFacts(session, data.userId, at, {
          username: { username: data.username, usernameLower: data.username.toLowerCase() },
        });
        // A registration makes the user known as active unless a status is already recorded.
        if (event.type === 'UserRegistered') {
          await this.setFacts(session, data.userId, new Date(0), { status: { status: 'ACTIVE' } });
        }
        return true;
      }
      case 'UserDeleted': {
        const data = payloads.UserDeleted.parse(event.data);
        // Deletion is final: it wins over any status, earlier or later.
        await this.setFacts(session, data.userId, new Date(8.64e15), { status: { status: 'DELETED' } });
        return true;
      }
      case 'UserStatusChanged': {
        const data = payloads.UserStatusChanged.parse(event.data);
        await this.setFacts(session, data.userId, at, { status: { status: data.status } });
        return true;
      }
      case 'ProfileCreated': {
        const data = payloads.ProfileCreated.parse(event.data);
        await this.setFacts(session, data.userId, at, {
          ...identityFacts(data),
          privacy: { privacy: data.privacySettings },
          notifications: { notificationSettings: data.notificationSettings },
        });
        return true;
      }
      case 'ProfileUpdated': {
        const data = payloads.ProfileUpdated.parse(event.data);
        await this.setFacts(session, data.userId, at, identityFacts(data));
        return true;
      }
      case 'PrivacySettingsChanged': {
        const data = payloads.PrivacySettingsChanged.parse(event.data);
        await this.setFacts(session, data.userId, at, { privacy: { privacy: data.privacySettings } });
        return true;
      }
      case 'NotificationSettingsChanged': {
        const data = payloads.NotificationSettingsChanged.parse(event.data);
        await this.setFacts(session, data.userId, at, {
          notifications: { notificationSettings: data.notificationSettings },
        });
        return true;
      }
      case 'FriendRequestAccepted': {
        const data = payloads.FriendRequestAccepted.parse(event.data);
        await this.setEdge(session, 'friend', data.senderId, data.receiverId, true, at);
        await this.setEdge(session, 'friend', data.receiverId, data.senderId, true, at);
        return true;
      }
      case 'FriendRemoved': {
        const data = payloads.FriendRemoved.parse(event.data);
        await this.setEdge(session, 'friend', data.userId, data.friendId, false, at);
        await this.setEdge(session, 'friend', data.friendId, data.userId, false, at);
        return true;
      }
      case 'UserFollowed':
      case 'UserUnfollowed': {
        const data = payloads.UserFollowed.parse(event.data);
        await this.setEdge(
          session,
          'follow',
          data.followerId,
          data.followeeId,
          event.type === 'UserFollowed',
          at,
        );
        return true;
      }
      case 'UserBlocked':
      case 'UserUnblocked': {
        const data = payloads.UserBlocked.parse(event.data);
        await this.setEdge(
          session,
          'block',
          data.blockerId,
          data.blockedId,
          event.type === 'UserBlocked',
          at,
        );
        return true;
      }
    }
  }

  /** The users with these ids, in one command; unknown ids get the defaults. */
  async users(ids: readonly string[]): Promise<Map<string, ReplicaUser>> {
    const unique = [...new Set(ids)];
    const found =
      unique.length === 0 ? [] : await this.usersCollection.find({ _id: { $in: unique } }).toArray();
    const byId = new Map(found.map((doc) => [doc._id, toReplicaUser(doc)]));
    return new Map(unique.map((userId) => [userId, byId.get(userId) ?? unknownUser(userId)]));
  }

  /**
   * The users holding these usernames (matched case-insensitively), in one command, keyed by the
   * lowercased username. A name freed by a deleted account and taken again resolves to the
   * account that is not deleted.
   */
  async usersByUsername(usernames: readonly string[]): Promise<Map<string, ReplicaUser>> {
    const lower = [...new Set(usernames.map((name) => name.toLowerCase()))];
    if (lower.length === 0) return new Map();
    const found = await this.usersCollection.find({ usernameLower: { $in: lower } }).toArray();
    const result = new Map<string, ReplicaUser>();
    for (const doc of found) {
      const user = toReplicaUser(doc);
      const key = doc.usernameLower ?? '';
      const current = result.get(key);
      if (!current || (current.status === 'DELETED' && user.status !== 'DELETED')) result.set(key, user);
    }
    return result;
  }

  /** How `viewerId` relates to each of `otherIds`, in one command. */
  async relations(viewerId: string, otherIds: readonly string[]): Promise<Map<string, Relation>> {
    const others = [...new Set(otherIds)].filter((other) => other !== viewerId);
    const result = new Map<string, Relation>(otherIds.map((other) => [other, NO_RELATION]));
    if (others.length === 0) return result;
    const edges = await this.edgesCollection
      .find(
        {
          active: true,
          $or: [
            { from: viewerId, to: { $in: others } },
            { from: { $in: others }, to: viewerId },
          ],
        },
        { projection: { kind: 1, from: 1, to: 1 } },
      )
      .toArray();
    const mutable = new Map(others.map((other) => [other, { ...NO_RELATION }]));
    for (const edge of edges) {
      const outgoing = edge.from === viewerId;
      const relation = mutable.get(outgoing ? edge.to : edge.from);
      if (!relation) continue;
      if (edge.kind === 'friend') relation.friends = true;
      else if (edge.kind === 'follow') relation[outgoing ? 'following' : 'followedBy'] = true;
      else relation[outgoing ? 'blocking' : 'blockedBy'] = true;
    }
    for (const [other, relation] of mutable) {
      result.set(other, { ...relation, blocked: relation.blocking || relation.blockedBy });
    }
    return result;
  }

  /** A user's friends, followees and blocks (either way), in one command. */
  async audience(userId: string): Promise<Audience> {
    const edges = await this.edgesCollection
      .find(
        { active: true, $or: [{ from: userId }, { to: userId, kind: 'block' }] },
        { projection: { kind: 1, from: 1, to: 1 } },
      )
      .toArray();
    const friends: string[] = [];
    const following: string[] = [];
    const blocked = new Set<string>();
    for (const edge of edges) {
      if (edge.kind === 'block') blocked.add(edge.from === userId ? edge.to : edge.from);
      else if (edge.kind === 'friend') friends.push(edge.to);
      else following.push(edge.to);
    }
    return { friends, following, blocked: [...blocked] };
  }

  /** Whether a user's content is hidden from everyone (deleted or suspended account). */
  isHidden(user: Pick<ReplicaUser, 'status'>): boolean {
    return isHiddenStatus(user.status);
  }

  private async setFacts(
    session: ClientSession,
    userId: string,
    at: Date,
    facts: Partial<Record<FactGroup, Partial<UserDocument>>>,
  ): Promise<void> {
    const current = await this.usersCollection.findOne(
      { _id: userId },
      { session, projection: { versions: 1 } },
    );
    const $set: Record<string, unknown> = {};
    for (const [group, fields] of Object.entries(facts) as [FactGroup, Partial<UserDocument>][]) {
      const version = current?.versions[group];
      if (version && version.getTime() > at.getTime()) continue;
      Object.assign($set, fields, { [`versions.${group}`]: at });
    }
    if (Object.keys($set).length === 0) return;
    if (current) await this.usersCollection.updateOne({ _id: userId }, { $set }, { session });
    else await this.usersCollection.insertOne(expand(userId, $set), { session });
  }

  private async setEdge(
    session: ClientSession,
    kind: EdgeKind,
    from: string,
    to: string,
    active: boolean,
    at: Date,
  ): Promise<void> {
    const _id = `${kind}:${from}:${to}`;
    const current = await this.edgesCollection.findOne({ _id }, { session, projection: { at: 1 } });
    if (current && current.at.getTime() > at.getTime()) return;
    await this.edgesCollection.updateOne(
      { _id },
      { $set: { kind, from, to, active, at } },
      { session, upsert: true },
    );
  }
}

export function isHiddenStatus(status: AccountStatusName): boolean {
  return status === 'DELETED' || status === 'SUSPENDED';
}

function identityFacts(data: z.infer<typeof identity>): Partial<Record<FactGroup, Partial<UserDocument>>> {
  return {
    username: { username: data.username, usernameLower: data.username.toLowerCase() },
    identity: { displayName: data.displayName, avatarUrl: data.avatarUrl },
  };
}

/** A new user document from a flat `$set` (dotted `versions.*` keys folded in). */
function expand(userId: string, set: Record<string, unknown>): UserDocument {
  const doc: UserDocument = { _id: userId, versions: {} };
  for (const [key, value] of Object.entries(set)) {
    if (key.startsWith('versions.')) doc.versions[key.slice('versions.'.length) as FactGroup] = value as Date;
    else (doc as unknown as Record<string, unknown>)[key] = value;
  }
  return doc;
}

function toReplicaUser(doc: UserDocument): ReplicaUser {
  return {
    userId: doc._id,
    username: doc.username ?? null,
    displayName: doc.displayName ?? null,
    avatarUrl: doc.avatarUrl ?? null,
    status: doc.status ?? 'ACTIVE',
    privacy: doc.privacy ?? DEFAULT_PRIVACY,
    notificationSettings: doc.notificationSettings ?? DEFAULT_NOTIFICATION_SETTINGS,
    known: true,
  };
}

function unknownUser(userId: string): ReplicaUser {
  return {
    userId,
    username: null,
    displayName: null,
    avatarUrl: null,
    status: 'ACTIVE',
    privacy: DEFAULT_PRIVACY,
    notificationSettings: DEFAULT_NOTIFICATION_SETTINGS,
    known: false,
  };
}

/** Per-request loaders over the replica: each batches one tick's keys into one command. */
export interface SocialLoaders {
  readonly user: DataLoader<string, ReplicaUser>;
  /** How the viewer relates to the key's user (no relation at all without a viewer). */
  readonly relation: DataLoader<string, Relation>;
}

export function createSocialLoaders(replica: SocialReplica, viewerId: string | null): SocialLoaders {
  return {
    user: new DataLoader<string, ReplicaUser>(async (ids) => {
      const users = await replica.users(ids);
      return ids.map((userId) => users.get(userId) ?? unknownUser(userId));
    }),
    relation: new DataLoader<string, Relation>(async (ids) => {
      if (viewerId === null) return ids.map(() => NO_RELATION);
      const relations = await replica.relations(viewerId, ids);
      return ids.map((other) => relations.get(other) ?? NO_RELATION);
    }),
  };
}
