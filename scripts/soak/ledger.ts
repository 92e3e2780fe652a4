/**
 * Everything the soak's clients were told succeeded (the acknowledged writes), and what arrived
 * on their live subscriptions: what the stores and the API are reconciled against at the end.
 */

export interface SoakUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
  /** Friends made during setup (each friendship is mutual). */
  readonly friends: Set<string>;
}

export interface SoakPost {
  readonly id: string;
  readonly authorId: string;
  readonly visibility: 'PUBLIC' | 'FRIENDS';
  readonly ackAt: number;
}

export interface SoakConversation {
  readonly id: string;
  readonly members: readonly string[];
  /** Members holding a conversationEvents subscription for the whole run (chat's "viewing"). */
  readonly viewers: readonly string[];
}

export interface SoakMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly clientMessageId: string;
  readonly sentAt: number;
  readonly ackAt: number;
}

export interface Friendship {
  readonly senderId: string;
  readonly receiverId: string;
  readonly requestId: string;
}

export class Ledger {
  readonly users = new Map<string, SoakUser>();
  readonly friendships: Friendship[] = [];
  readonly posts = new Map<string, SoakPost>();
  readonly conversations: SoakConversation[] = [];
  readonly messages = new Map<string, SoakMessage>();
  /** `${postId}:${userId}` → acknowledged at (ms). */
  readonly reactions = new Map<string, number>();
  /** Reactions being sent: never chosen twice. */
  readonly reacting = new Set<string>();
  /** Comment id → its post, author and acknowledgement time. */
  readonly comments = new Map<string, { postId: string; authorId: string; ackAt: number }>();
  /** Writes that failed: their outcome is unknown (any is also an error of the run). */
  readonly unacknowledged: string[] = [];

  /** `${subscriberId}|${messageId}` → arrival times on that subscriber's conversationEvents. */
  readonly messageArrivals = new Map<string, number[]>();
  /**
   * First arrival of each notification event on its recipient's notificationAdded, keyed as the
   * expectations are: `post|recipient|postId`, `like|recipient|postId|actor`,
   * `comment|recipient|postId|actor`, `message|recipient|messageId`.
   */
  readonly notificationArrivals = new Map<string, number>();
  notificationEvents = 0;
}

export const reactionKey = (postId: string, userId: string) => `${postId}:${userId}`;
