import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import { isAuthenticationUnavailable, type TokenVerifier } from './auth.js';
import { unauthenticated } from './errors.js';

/** graphql-ws close code for a connection whose credentials are no longer valid (clients reconnect). */
export const SOCKET_FORBIDDEN = 4403;

/** Default interval between re-verifications of open sockets' tokens. */
export const SOCKET_REVERIFY_MS = 60_000;

const MAX_TIMER_MS = 2_147_483_647;

/** Why a tracked credential stopped being valid. */
export type InvalidReason = 'token revoked' | 'token expired';

/**
 * Keeps the tokens of open graphql-ws connections and subscriptions honest (DESIGN 7): whatever
 * was accepted with an `authorization` is ended when its token expires (at its `exp`) or when a
 * periodic re-verification finds its session revoked (logout, suspension, deletion), so a
 * subscription does not outlive the credentials it was opened with. The gateway does the same for
 * its own sockets (gateway/src/subscriptions/server.ts).
 */
export interface SocketReverifier {
  /**
   * Watches `key` (a socket, an operation) accepted with `authorization`; `end` is called once
   * when it is no longer valid. Anonymous (no authorization) is not tracked.
   */
  track(key: object, authorization: string | undefined, end: (why: InvalidReason) => void): void;
  /** The socket closed or the operation finished. */
  forget(key: object): void;
  /** Stops the timers (server shutdown). */
  stop(): void;
}

/** When a bearer token expires (its `exp`, already verified), or undefined. */
function expiryOf(authorization: string): number | undefined {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (!token) return undefined;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function createSocketReverifier(
  verifier: TokenVerifier,
  options: { intervalMs?: number; logger: Logger },
): SocketReverifier {
  interface Entry {
    readonly authorization: string;
    readonly end: (why: InvalidReason) => void;
    readonly expiry: NodeJS.Timeout | undefined;
  }
  const tracked = new Map<object, Entry>();
  const forget = (key: object) => {
    const entry = tracked.get(key);
    if (entry?.expiry) clearTimeout(entry.expiry);
    tracked.delete(key);
  };
  const invalid = (key: object, why: InvalidReason) => {
    const entry = tracked.get(key);
    if (!entry) return;
    forget(key);
    options.logger.info({ why }, 'websocket credentials no longer valid');
    entry.end(why);
  };
  const timer = setInterval(() => {
    for (const [key, { authorization }] of tracked) {
      verifier.viewerFromAuthorization(authorization).catch((error: unknown) => {
        // Revocations cannot be checked right now (Redis down, or its state not restored yet):
        // no verdict, the next round decides; new connections and requests are refused meanwhile.
        if (isAuthenticationUnavailable(error)) return;
        invalid(key, 'token revoked');
      });
    }
  }, options.intervalMs ?? SOCKET_REVERIFY_MS);
  timer.unref();
  return {
    track(key, authorization, end) {
      if (!authorization) return;
      const expiresAt = expiryOf(authorization);
      const expiry =
        expiresAt === undefined
          ? undefined
          : setTimeout(
              () => invalid(key, 'token expired'),
              Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())),
            );
      expiry?.unref();
      tracked.set(key, { authorization, end, expiry });
    },
    forget,
    stop() {
      clearInterval(timer);
      for (const key of [...tracked.keys()]) forget(key);
    },
  };
}

/** Closes a graphql-ws socket whose credentials are no longer valid (clients reconnect on 4403). */
export function closeForbidden(
  socket: { close(code: number, reason: string): void },
  why: InvalidReason,
): void {
  socket.close(SOCKET_FORBIDDEN, `Forbidden: ${why}`);
}

/**
 * A subscription's event stream that fails with UNAUTHENTICATED once the operation's own
 * credentials (`extensions.authorization` on a shared connection) are no longer valid; graphql-ws
 * sends that error for the operation and ends it, leaving the connection's other operations alone.
 */
export function endWhenInvalid<T>(
  source: AsyncIterableIterator<T>,
  reverifier: SocketReverifier,
  authorization: string,
): AsyncIterableIterator<T> {
  const key = {};
  // Once the credentials are invalid, every `next()` (the pending one included) rejects with this.
  // Deliberately not a long-lived promise raced against each `source.next()`: every race would add
  // a reaction to it that is only released when it settles, so a subscription living for hours
  // would retain every event it ever delivered.
  let failure: { error: unknown } | undefined;
  let rejectPending: ((error: unknown) => void) | undefined;
  reverifier.track(key, authorization, (why) => {
    const error = unauthenticated(
      why === 'token expired' ? 'Access token has expired' : 'Session has been revoked',
    );
    failure = { error };
    rejectPending?.(error);
    void source.return?.();
  });
  const finish = async (): Promise<IteratorResult<T>> => {
    reverifier.forget(key);
    await source.return?.();
    return { done: true, value: undefined };
  };
  const nextOrFailure = (): Promise<IteratorResult<T>> => {
    if (failure) return Promise.reject(failure.error);
    let reject!: (error: unknown) => void;
    const pending = new Promise<IteratorResult<T>>((resolve, rejectThis) => {
      reject = rejectThis;
      source.next().then(resolve, rejectThis);
    });
    rejectPending = reject;
    return pending.finally(() => {
      if (rejectPending === reject) rejectPending = undefined;
    });
  };
  return {
    async next() {
      try {
        const result = await nextOrFailure();
        if (result.done) reverifier.forget(key);
        return result;
      } catch (error) {
        reverifier.forget(key);
        throw error;
      }
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
