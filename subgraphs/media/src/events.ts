/**
 * Events of the media subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id).
 *
 * Publishes to stream `media`: MediaUploaded, MediaProcessed, MediaDeleted.
 * Consumes: auth (UserDeleted).
 *
 * The payloads and handlers are defined with the Media subgraph issue.
 */
export const PRODUCER = 'media';
