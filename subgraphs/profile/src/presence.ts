/**
 * Presence (seed 001): a heartbeat keeps a user online for PRESENCE_TTL_SECONDS. Redis holds the
 * live state so every instance agrees; without Redis an in-process store with the same interface
 * is used. The profile document keeps the last known `isOnline` / `lastSeenAt` for queries and
 * the seed's `{ isOnline, lastSeenAt }` index.
 */
export interface PresenceStore {
  /** Marks the user online until now + TTL; resolves with whether they were offline before. */
  heartbeat(userId: string): Promise<boolean>;
  /** Marks the user offline now; resolves with whether they were online before. */
  offline(userId: string): Promise<boolean>;
  /** Whether each user is online, in the order given, in one round trip. */
  areOnline(userIds: readonly string[]): Promise<boolean[]>;
  /** Removes and returns the users whose heartbeat lapsed (for the offline sweep). */
  takeExpired(): Promise<string[]>;
}
