/**
 * Events of the feed subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id).
 *
 * Publishes to stream `feed`: PostCreated, PostReacted, CommentAdded, CommentReplied, PostShared, UserMentioned.
 * Consumes: auth (UserDeleted), profile (friendships, follows, blocks).
 *
 * The payloads and handlers are defined with the Feed subgraph issue.
 */
export const PRODUCER = 'feed';
