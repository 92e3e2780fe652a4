import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  readonly status: number;
  readonly data?: TData | null;
  readonly errors?: ReadonlyArray<{
    message: string;
    path?: ReadonlyArray<string | number>;
    extensions?: Record<string, unknown>;
  }>;
  readonly headers: Headers;
}

export interface RequestOptions {
  /** Access token, sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

/** POSTs one GraphQL operation and returns status, body and headers. */
export async function postGraphQL<TData = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: RequestOptions = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: TData | null; errors?: GraphQLResponse['errors'] };
  return { status: response.status, headers: response.headers, ...body };
}

export interface SubscriptionHandle<T = Record<string, unknown>> {
  /** The next event; rejects after `timeoutMs` without one, or when the stream fails. */
  next(timeoutMs?: number): Promise<{ data?: T | null; errors?: GraphQLResponse['errors'] }>;
  /** Resolves when the server acknowledged the connection (connection_ack). */
  readonly connected: Promise<void>;
  /** Resolves when the stream ended: completed by the server, failed, or its socket closed. */
  readonly completed: Promise<void>;
  close(): Promise<void>;
}

/** One graphql-ws connection that can run several subscriptions (as an app's client does). */
export interface GraphQLSocket {
  /** Resolves on connection_ack; rejects with `{ code, reason }` when the socket closes first. */
  readonly connected: Promise<void>;
  /** Resolves with the close code and reason once the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  subscribe<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    extensions?: Record<string, unknown>,
  ): SubscriptionHandle<T>;
  close(): Promise<void>;
}

/**
 * Opens a graphql-ws connection with `connectionParams.authorization` from the token (no retries);
 * `connectionParams` replaces them as given (e.g. a malformed authorization).
 */
export function connectGraphQL(
  httpUrl: string,
  options: RequestOptions & { connectionParams?: Record<string, unknown> } = {},
): GraphQLSocket {
  let resolveConnected!: () => void;
  let rejectConnected!: (e: unknown) => void;
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  connected.catch(() => undefined);
  let resolveClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const socketFailures = new Set<(error: unknown) => void>();
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams:
      options.connectionParams ?? (options.token ? { authorization: `Bearer ${options.token}` } : {}),
    retryAttempts: 0,
    lazy: false,
    // Close events are reported through `closed` below; the default would print them to the console.
    onNonLazyError: () => undefined,
    on: {
      connected: () => resolveConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        resolveClosed({ code, reason });
        const error = Object.assign(new Error(`socket closed ${code} ${reason}`), { code, reason });
        rejectConnected(error);
        if (code !== 1000) for (const fail of socketFailures) fail(error);
      },
    },
  });

  const subscribe = <T>(
    query: string,
    variables: Record<string, unknown> = {},
    extensions?: Record<string, unknown>,
  ): SubscriptionHandle<T> => {
    type Event = { data?: T | null; errors?: GraphQLResponse['errors'] };
    const queue: Event[] = [];
    const waiters: Array<{ resolve: (e: Event) => void; reject: (e: unknown) => void }> = [];
    let failure: unknown;
    let resolveCompleted!: () => void;
    const completed = new Promise<void>((resolve) => (resolveCompleted = resolve));
    const fail = (error: unknown) => {
      if (failure === undefined) failure = error;
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      resolveCompleted();
    };
    socketFailures.add(fail);
    const dispose = client.subscribe<T>(
      { query, variables, ...(extensions ? { extensions } : {}) },
      {
        next: (value) => {
          const event = value as Event;
          const waiter = waiters.shift();
          if (waiter) waiter.resolve(event);
          else queue.push(event);
        },
        error: (error) => fail(error),
        complete: () => {
          socketFailures.delete(fail);
          resolveCompleted();
        },
      },
    );
    return {
      connected,
      completed,
      next(timeoutMs = 5_000) {
        const queued = queue.shift();
        if (queued) return Promise.resolve(queued);
        if (failure !== undefined) return Promise.reject(failure);
        return new Promise<Event>((resolve, reject) => {
          const timer = setTimeout(() => {
            const index = waiters.findIndex((w) => w.resolve === wrapped);
            if (index >= 0) waiters.splice(index, 1);
            reject(new Error(`no subscription event within ${timeoutMs} ms`));
          }, timeoutMs);
          const wrapped = (event: Event) => {
            clearTimeout(timer);
            resolve(event);
          };
          waiters.push({
            resolve: wrapped,
            reject: (error) => {
              clearTimeout(timer);
              reject(error);
            },
          });
        });
      },
      async close() {
        socketFailures.delete(fail);
        dispose();
      },
    };
  };

  return {
    connected,
    closed,
    subscribe,
    async close() {
      await client.dispose();
    },
  };
}

/** Subscribes over graphql-ws (a connection of its own) and buffers events so a test can await them one by one. */
export function subscribeGraphQL<T = Record<string, unknown>>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: RequestOptions = {},
): SubscriptionHandle<T> {
  const socket = connectGraphQL(httpUrl, options);
  const subscription = socket.subscribe<T>(query, variables);
  return {
    connected: subscription.connected,
    completed: subscription.completed,
    next: (timeoutMs) => subscription.next(timeoutMs),
    async close() {
      await subscription.close();
      await socket.close();
    },
  };
}

/**
 * What a subscription delivered once its socket was closed for a revoked or expired session:
 * 'nothing' (the close failed the stream first), 'a refusal, no data' (a subgraph noticed the
 * revocation before the gateway and its UNAUTHENTICATED-only error was relayed), or, a defect,
 * the event itself. Which of the first two a client sees is a race between two re-verification
 * timers; both are correct.
 */
export async function deliveredAfterRevocation(subscription: Pick<SubscriptionHandle, 'next'>) {
  return subscription.next(1).then(
    (event) => (isRefusal(event) ? 'a refusal, no data' : event),
    () => 'nothing',
  );
}

/** An event carrying only UNAUTHENTICATED errors and no data. */
function isRefusal(event: { data?: unknown; errors?: GraphQLResponse['errors'] }) {
  return (
    event.data == null &&
    (event.errors?.length ?? 0) > 0 &&
    event.errors!.every((error) => error.extensions?.code === 'UNAUTHENTICATED')
  );
}
