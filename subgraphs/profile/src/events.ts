/**
 * Events of the profile subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id). Every event is written to the `event_outbox`
 * collection in the transaction of the change it describes and relayed from there, so none is
 * lost (kit `createMongoOutbox`).
 *
 * Publishes to stream `profile` (below). Consumes: auth (UserRegistered, UserUpdated, UserDeleted,
 * UserStatusChanged) and media (MediaUploaded, MediaProcessed, MediaUpdated, MediaDeleted), see
 * consumers.ts.
 *
 * Dates are ISO-8601 strings; enum values are the GraphQL names (PUBLIC, EVERYONE...), so
 * consumers (feed, chat, notification) keep their local copies without knowing the stored
 * spellings.
 */
import type { NotificationSettingsSnapshot, PrivacySnapshot } from '@social/kit';

export const PRODUCER = 'profile';

// The privacy and notification snapshots are the kit's, shared with the services keeping a copy
// of them (kit social-replica.ts).
export type {
  AudienceName,
  NotificationSettingsSnapshot,
  PrivacySnapshot,
  VisibilityName,
} from '@social/kit';

/** The public identity other services show next to content (seed 002 "sync on profile update"). */
export interface ProfileIdentity {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly avatarUrl: string | null;
}

/** Why an edge of the graph went away. */
export type EdgeRemovalReason = 'REQUESTED' | 'BLOCKED' | 'USER_DELETED';

export interface ProfileEventMap {
  /** A profile was created for a new account, with its initial settings (the defaults). */
  ProfileCreated: ProfileIdentity & {
    readonly privacySettings: PrivacySnapshot;
    readonly notificationSettings: NotificationSettingsSnapshot;
    readonly createdAt: string;
  };
  /** Identity fields or other profile fields changed; `changed` lists GraphQL field names. */
  ProfileUpdated: ProfileIdentity & { readonly changed: readonly string[] };
  FriendRequestSent: {
    readonly requestId: string;
    readonly senderId: string;
    readonly receiverId: string;
    readonly message: string | null;
    readonly sentAt: string;
    readonly mutualFriendsCount: number;
  };
  FriendRequestAccepted: {
    readonly requestId: string;
    readonly senderId: string;
    readonly receiverId: string;
    readonly acceptedAt: string;
  };
  /** A pending request was withdrawn by its sender or declined by its receiver. */
  FriendRequestClosed: {
    readonly requestId: string;
    readonly senderId: string;
    readonly receiverId: string;
    readonly status: 'REJECTED' | 'CANCELLED';
  };
  /** The friendship between userId and friendId ended (sent once per friendship, not per side). */
  FriendRemoved: {
    readonly userId: string;
    readonly friendId: string;
    readonly reason: EdgeRemovalReason;
  };
  UserFollowed: { readonly followerId: string; readonly followeeId: string; readonly followedAt: string };
  UserUnfollowed: {
    readonly followerId: string;
    readonly followeeId: string;
    readonly reason: EdgeRemovalReason;
  };
  UserBlocked: { readonly blockerId: string; readonly blockedId: string; readonly blockedAt: string };
  UserUnblocked: { readonly blockerId: string; readonly blockedId: string };
  /** The full settings after the change, and which changed. */
  PrivacySettingsChanged: {
    readonly userId: string;
    readonly privacySettings: PrivacySnapshot;
    readonly changed: readonly string[];
  };
  NotificationSettingsChanged: {
    readonly userId: string;
    readonly notificationSettings: NotificationSettingsSnapshot;
    readonly changed: readonly string[];
  };
  /**
   * A user came online or went offline (setPresence, or the 5-minute heartbeat lapsed). Chat's
   * presenceChanged subscription is fed from it; showOnlineStatus says whether others may see it.
   */
  PresenceChanged: {
    readonly userId: string;
    readonly isOnline: boolean;
    readonly lastSeenAt: string | null;
    readonly showOnlineStatus: boolean;
    readonly showLastSeen: boolean;
  };
}

export type ProfileEventType = keyof ProfileEventMap;
