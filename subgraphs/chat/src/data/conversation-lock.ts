/**
 * Runs the writes to one conversation one at a time within this process. Correctness never
 * depends on it: every such write is a transaction, and concurrent ones conflict on the
 * conversation document and are retried by the driver. But a retry starts over at once, so many
 * senders in one busy conversation would spend most of their round trips on transactions doomed
 * to conflict; queueing them here leaves conflicts to writers on other instances only.
 */
export class ConversationLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(conversationId) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(conversationId, tail);
    void tail.then(() => {
      if (this.tails.get(conversationId) === tail) this.tails.delete(conversationId);
    });
    return result;
  }
}
