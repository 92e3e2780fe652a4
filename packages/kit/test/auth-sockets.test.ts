/**
 * endWhenInvalid: a subscription opened with credentials of its own (the gateway's multiplexed
 * upstream sockets) ends when they stop being valid, and otherwise holds on to nothing it has
 * already delivered, however long it lives.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { endWhenInvalid, type InvalidReason, type SocketReverifier } from '../src/auth-sockets.js';
import { codeOf } from '../src/errors.js';

/** A reverifier whose verdicts the test hands out. */
function manualReverifier() {
  const tracked = new Map<object, (why: InvalidReason) => void>();
  const reverifier: SocketReverifier = {
    track: (key, authorization, end) => {
      if (authorization) tracked.set(key, end);
    },
    forget: (key) => void tracked.delete(key),
    stop: () => tracked.clear(),
  };
  const invalidateAll = (why: InvalidReason) => {
    for (const [key, end] of [...tracked]) {
      tracked.delete(key);
      end(why);
    }
  };
  return { reverifier, tracked, invalidateAll };
}

/** A push source like the pub/sub's iterators: next() waits until something is pushed or it ends. */
function pushSource<T>() {
  const queued: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  let returns = 0;
  const source: AsyncIterableIterator<T> = {
    next: () => {
      if (queued.length > 0) return Promise.resolve({ value: queued.shift() as T, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: () => {
      returns += 1;
      ended = true;
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const push = (value: T) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve({ value, done: false });
    } else queued.push(value);
  };
  return { source, push, returns: () => returns };
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

test('a long-lived subscription does not retain the events it already delivered', async () => {
  const { reverifier } = manualReverifier();
  const { source, push } = pushSource<{ payload: string }>();
  const stream = endWhenInvalid(source, reverifier, 'Bearer a.b.c');
  const delivered: Array<WeakRef<object>> = [];
  const events = 200;
  for (let i = 0; i < events; i += 1) {
    // The consumer waits first, as graphql-ws does between events.
    const next = stream.next();
    const event = { payload: `event ${i} `.repeat(100) };
    delivered.push(new WeakRef(event));
    push(event);
    const result = await next;
    expect(result.value).toBe(event);
  }
  // WeakRefs are only cleared after the job that last dereferenced them.
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  const retained = delivered.filter((ref) => ref.deref() !== undefined).length;
  // Before the fix each event stayed reachable from the never-settled "credentials failed" promise.
  expect(retained).toBeLessThanOrEqual(1);
  await stream.return!();
});

test('invalid credentials reject the pending next() and every later one, and end the source', async () => {
  const { reverifier, tracked, invalidateAll } = manualReverifier();
  const { source, push, returns } = pushSource<number>();
  const stream = endWhenInvalid(source, reverifier, 'Bearer a.b.c');
  push(1);
  expect(await stream.next()).toEqual({ value: 1, done: false });
  const pending = stream.next();
  invalidateAll('token expired');
  const failure = await pending.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(codeOf(failure)).toBe('UNAUTHENTICATED');
  expect((failure as Error).message).toBe('Access token has expired');
  expect(returns()).toBe(1);
  await expect(stream.next()).rejects.toThrow('Access token has expired');
  expect(tracked.size).toBe(0);
});

test('credentials revoked between events fail the next pull; ending normally forgets the operation', async () => {
  const revoked = manualReverifier();
  const first = pushSource<number>();
  const stream = endWhenInvalid(first.source, revoked.reverifier, 'Bearer a.b.c');
  revoked.invalidateAll('token revoked');
  await expect(stream.next()).rejects.toThrow('Session has been revoked');

  const fine = manualReverifier();
  const second = pushSource<number>();
  const other = endWhenInvalid(second.source, fine.reverifier, 'Bearer a.b.c');
  expect(fine.tracked.size).toBe(1);
  second.push(7);
  expect(await other.next()).toEqual({ value: 7, done: false });
  await other.return!();
  expect(second.returns()).toBe(1);
  expect(fine.tracked.size).toBe(0);
});
