/**
 * Events of the profile subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id).
 *
 * Publishes to stream `profile`: FriendRequestSent, FriendRequestAccepted, FriendRemoved, UserFollowed, UserUnfollowed, UserBlocked, UserUnblocked, PrivacySettingsChanged, NotificationSettingsChanged.
 * Consumes: auth (UserRegistered, UserUpdated, UserDeleted, UserStatusChanged).
 *
 * The payloads and handlers are defined with the Profile subgraph issue.
 */
export const PRODUCER = 'profile';
