/**
 * Events of the auth subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id).
 *
 * Publishes to stream `auth`: UserRegistered, UserUpdated, UserDeleted, UserStatusChanged.
 * Consumes: none.
 *
 * The payloads and handlers are defined with the Auth subgraph issue.
 */
export const PRODUCER = 'auth';
