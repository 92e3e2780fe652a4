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
  close(): Promise<void>;
}

/** Subscribes over graphql-ws and buffers events so a test can await them one by one. */
export function subscribeGraphQL<T = Record<string, unknown>>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: RequestOptions = {},
): SubscriptionHandle<T> {
  type Event = { data?: T | null; errors?: GraphQLResponse['errors'] };
  const queue: Event[] = [];
  const waiters: Array<{ resolve: (e: Event) => void; reject: (e: unknown) => void }> = [];
  let failure: unknown;
  let resolveConnected!: () => void;
  let rejectConnected!: (e: unknown) => void;
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  connected.catch(() => undefined);
  const fail = (error: unknown) => {
    failure = error;
    rejectConnected(error);
    for (const waiter of waiters.splice(0)) waiter.reject(error);
  };
  const client: Client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
    retryAttempts: 0,
    lazy: false,
    // Close events are reported through `closed` below; the default would print them to the console.
    onNonLazyError: () => undefined,
    on: {
      connected: () => resolveConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        if (code !== 1000)
          fail(Object.assign(new Error(`socket closed ${code} ${reason}`), { code, reason }));
      },
    },
  });
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        const event = value as Event;
        const waiter = waiters.shift();
        if (waiter) waiter.resolve(event);
        else queue.push(event);
      },
      error: (error) => fail(error),
      complete: () => undefined,
    },
  );
  return {
    connected,
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
      dispose();
      await client.dispose();
    },
  };
}
