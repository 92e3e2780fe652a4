/**
 * Events of the chat subgraph on the event bus (DESIGN 9; Redis Streams, at-least-once,
 * idempotent consumers keyed by event id).
 *
 * Publishes to stream `chat`: MessageSent, ConversationCreated, ParticipantsChanged.
 * Consumes: auth (UserDeleted), profile (blocks, friendships, privacy settings).
 *
 * The payloads and handlers are defined with the Chat subgraph issue.
 */
export const PRODUCER = 'chat';
