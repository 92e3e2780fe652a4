/**
 * Where the token-attack suite presents each credential: every subgraph's HTTP endpoint (an
 * authenticated field of its own), the gateway (all six at once), and graphql-ws on the gateway
 * and on the two subgraphs that serve subscriptions themselves. A cell's outcome is a short
 * string, so a failing matrix reads as a list of what got in where.
 */
import type { SubgraphName } from '@social/kit';
import { connectGraphQL, type Supergraph } from '@social/testing';

/** An authenticated query field of each subgraph: anonymous or forged callers get nothing. */
export const AUTHENTICATED_QUERIES: Readonly<Record<SubgraphName, string>> = {
  auth: '{ sessions { id } }',
  profile: '{ blockedUsers { edges { cursor } } }',
  chat: '{ totalUnreadCount }',
  feed: '{ feed { edges { cursor } } }',
  media: '{ myMedia { edges { cursor } } }',
  notification: '{ unreadNotificationCount }',
};

export const GATEWAY_QUERY = `{
  sessions { id }
  blockedUsers { edges { cursor } }
  totalUnreadCount
  feed { edges { cursor } }
  myMedia { edges { cursor } }
  unreadNotificationCount
}`;

/** The graphql-ws endpoints and a subscription each serves to an authenticated viewer. */
export const WEBSOCKET_TARGETS = [
  { name: 'gateway', subscription: 'subscription { unreadNotificationCountChanged }' },
  { name: 'chat', subscription: 'subscription { myConversationsUpdated { __typename } }' },
  { name: 'notification', subscription: 'subscription { unreadNotificationCountChanged }' },
] as const satisfies ReadonlyArray<{ name: 'gateway' | SubgraphName; subscription: string }>;

export type WebSocketTarget = (typeof WEBSOCKET_TARGETS)[number]['name'];

const SUBGRAPHS = Object.keys(AUTHENTICATED_QUERIES) as SubgraphName[];

/** graphql-ws refuses a connection whose `onConnect` says no with 4403 Forbidden. */
export const WS_REFUSED = 'closed 4403 Forbidden';

/**
 * One HTTP cell: `refused` when the request as a whole is rejected as UNAUTHENTICATED (401, no
 * data); `accepted` when every field has data and there is no error; anything else verbatim.
 */
export async function httpOutcome(
  sg: Supergraph,
  target: 'gateway' | SubgraphName,
  authorization: string,
): Promise<string> {
  const response = await sg.query(
    target === 'gateway' ? GATEWAY_QUERY : AUTHENTICATED_QUERIES[target],
    {},
    { headers: { authorization }, ...(target === 'gateway' ? {} : { target }) },
  );
  const codes = (response.errors ?? []).map((error) => error.extensions?.code);
  const hasData = response.data !== undefined && response.data !== null;
  if (
    response.status === 401 &&
    !hasData &&
    codes.length > 0 &&
    codes.every((c) => c === 'UNAUTHENTICATED')
  ) {
    return 'refused';
  }
  if (response.status === 200 && hasData && codes.length === 0) {
    const values = Object.values(response.data ?? {});
    if (values.every((value) => value !== null && value !== undefined)) return 'accepted';
  }
  return `status ${response.status} codes ${JSON.stringify(codes)} data ${JSON.stringify(response.data)}`;
}

function wsUrl(sg: Supergraph, target: WebSocketTarget): string {
  return target === 'gateway' ? sg.gatewayUrl : sg.subgraphUrls[target];
}

/**
 * One graphql-ws cell: connects with `connectionParams.authorization` and subscribes. `accepted`
 * when the server acknowledged the connection (the caller closes it); otherwise how it closed and
 * whether the subscription delivered anything before.
 */
export async function wsOutcome(
  sg: Supergraph,
  target: WebSocketTarget,
  authorization: string,
): Promise<string> {
  const spec = WEBSOCKET_TARGETS.find((t) => t.name === target)!;
  const socket = connectGraphQL(wsUrl(sg, target), { connectionParams: { authorization } });
  const subscription = socket.subscribe(spec.subscription);
  try {
    const outcome = await Promise.race([
      socket.connected.then(() => 'accepted'),
      socket.closed.then(({ code, reason }) => `closed ${code} ${reason}`),
    ]);
    if (outcome === 'accepted') return outcome;
    const delivered = await subscription.next(1).then(
      (event) => `; delivered ${JSON.stringify(event)}`,
      () => '',
    );
    return `${outcome}${delivered}`;
  } finally {
    await socket.close();
  }
}

export interface Cell {
  readonly target: string;
  readonly outcome: string;
}

/** Every HTTP and graphql-ws cell for one `Authorization` value, in parallel. */
export async function outcomesFor(sg: Supergraph, authorization: string): Promise<Cell[]> {
  const http = (['gateway', ...SUBGRAPHS] as const).map(async (target) => ({
    target: `http ${target}`,
    outcome: await httpOutcome(sg, target, authorization),
  }));
  const ws = WEBSOCKET_TARGETS.map(async ({ name }) => ({
    target: `ws ${name}`,
    outcome: await wsOutcome(sg, name, authorization),
  }));
  return Promise.all([...http, ...ws]);
}

/** The cells whose outcome is not the expected one (an empty list is a pass). */
export async function unexpected(
  sg: Supergraph,
  authorization: string,
  expected: { http: string; ws: string },
): Promise<Cell[]> {
  const cells = await outcomesFor(sg, authorization);
  return cells.filter(
    (cell) => cell.outcome !== (cell.target.startsWith('ws ') ? expected.ws : expected.http),
  );
}

export const REFUSED = { http: 'refused', ws: WS_REFUSED } as const;
export const ACCEPTED = { http: 'accepted', ws: 'accepted' } as const;
