/**
 * Events of the notification subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id).
 *
 * Publishes to stream `notification`: none.
 * Consumes: auth (UserDeleted), profile (friend requests, follows, NotificationSettingsChanged, blocks), feed (reactions, comments, shares, mentions, posts), chat (MessageSent).
 *
 * The payloads and handlers are defined with the Notification subgraph issue.
 */
export const PRODUCER = 'notification';
