import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Maps an async iterator lazily, forwarding `return()` so the source unsubscribes when the client leaves. */
export function mapAsyncIterator<T, U>(
  source: AsyncIterable<T>,
  mapper: (value: T) => Promise<U> | U,
): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const finish = async (): Promise<IteratorResult<U>> => {
    await iterator.return?.();
    return { done: true, value: undefined };
  };
  return {
    async next() {
      const result = await iterator.next();
      if (result.done) return { done: true, value: undefined };
      try {
        return { done: false, value: await mapper(result.value) };
      } catch (error) {
        await iterator.return?.();
        throw error;
      }
    },
    return: finish,
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * graphql-js `subscribe`, except that every event is executed with a context built afresh by
 * `contextForEvent`: DataLoaders made per event never serve a value cached before the event
 * happened (DESIGN 8).
 */
export async function subscribeWithFreshContext(
  args: ExecutionArgs,
  contextForEvent: () => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  // The subscribe resolver gets a context of its own too, like every event after it.
  const source = await createSourceEventStream({ ...args, contextValue: await contextForEvent() });
  if (!isAsyncIterable(source)) return source as ExecutionResult;
  return mapAsyncIterator(source, async (payload) => {
    const result = await execute({ ...args, rootValue: payload, contextValue: await contextForEvent() });
    return result as ExecutionResult;
  });
}
