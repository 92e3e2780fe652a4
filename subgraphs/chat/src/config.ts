import { z } from 'zod';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings of the chat service (parsed once at start; defaults follow seeds 001/002 and the SDL). */
export const chatConfigSchema = z.object({
  MONGO_URL: z.string({ message: 'MONGO_URL must be the MongoDB URL of the chat database' }).min(1),
  /** Messages one sender may send per window (DESIGN 11: message sending is rate-limited). */
  CHAT_SEND_RATE_POINTS: positive(60),
  /** Length of the sending rate-limit window, in seconds. */
  CHAT_SEND_RATE_WINDOW_SECONDS: positive(60),
  /** How long after sending a message its sender may still edit it (SDL: 15 minutes). */
  CHAT_EDIT_WINDOW_SECONDS: positive(15 * 60),
  /** Lifetime of a typing indicator unless renewed (seed 001: `typing:{chatId}:{userId}`, 3 s). */
  CHAT_TYPING_TTL_MS: positive(3_000),
  /**
   * A conversationEvents subscription marks its user as viewing the conversation for this long and
   * renews it every CHAT_VIEWING_HEARTBEAT_MS, so a crashed instance's viewers lapse on their own.
   */
  CHAT_VIEWING_TTL_MS: positive(30_000),
  CHAT_VIEWING_HEARTBEAT_MS: positive(10_000),
  /**
   * How long a subscription holds events behind a missing message sequence (published out of order
   * by two instances, or lost by pub/sub) before it reads the missing messages from the database.
   */
  CHAT_GAP_FILL_MS: positive(300),
  /** Lifetime of a user's cached unread counts in Redis, renewed by every change. */
  CHAT_UNREAD_CACHE_TTL_SECONDS: positive(24 * 3600),
  /**
   * How long a mutation waits for another service's event it depends on and has not seen yet: a
   * user registered a moment ago (auth's UserRegistered), a file uploaded a moment ago (media's
   * MediaUploaded). Events normally arrive within milliseconds.
   */
  EVENT_WAIT_MS: z.coerce.number().int().min(0).default(3_000),
  /** How often the outbox relay looks for events it was not told about (crash recovery). */
  OUTBOX_POLL_MS: positive(1_000),
});

export type ChatConfig = z.infer<typeof chatConfigSchema>;

/** Fixed limits of the chat model (seed 002 and the SDL descriptions). */
export const LIMITS = {
  /** Participants of a group, creator included. */
  groupMin: 2,
  groupMax: 256,
  contentMax: 5_000,
  groupNameMax: 100,
  groupDescriptionMax: 500,
  clientMessageIdMax: 64,
  mediaPerMessage: 10,
  searchQueryMax: 200,
  locationNameMax: 200,
  locationAddressMax: 500,
  emojiMax: 16,
  presenceUsersMax: 100,
  /** Characters of content kept as the conversation's lastMessage and the event's preview. */
  previewMax: 200,
} as const;
