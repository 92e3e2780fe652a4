/**
 * Polls `probe` until `condition` holds and resolves with that value: for what happens after a
 * response (events handled by another service, background processing). The deadline only
 * bounds a broken run; no test asserts how long it took.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  condition: (value: T) => boolean,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (condition(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${options.what ?? 'condition'} not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
