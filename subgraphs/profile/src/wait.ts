import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Looks `probe` up until it finds something or `waitMs` passed (EVENT_WAIT_MS): what a mutation
 * does about another service's event that has not arrived yet. Null when it never came.
 */
export async function waitForEvent<T>(probe: () => Promise<T | null>, waitMs: number): Promise<T | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await probe();
    if (found || Date.now() >= deadline) return found;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}
