/**
 * The authorization matrix (issue 13): every field of the supergraph is classified in
 * access-classification.json (an unclassified or stale field fails), and every Query, Mutation and
 * Subscription field runs as anonymous, stranger, friend, owner, a user the owner blocked, and an
 * admin against the owner's data. Each cell's outcome must match the classification, a refused
 * mutation must leave the owner's data as it was, and no response to anyone but the owner may
 * contain the owner's private data (markers planted in messages, notifications, sessions, login
 * history, private posts, hidden profile fields and private media), however deeply nested.
 *
 * It takes minutes, so it runs with the long suites (`npm run test:reliability`); that every
 * field is classified and every root field has a row is checked in `npm test`
 * (access-classification.test.ts).
 */
import { getNamedType, isLeafType } from 'graphql';
import type { TestAccount } from '@social/testing';
import { buildFixtures, type Fixtures } from './authorization-fixtures.js';
import { rows, subscriptionRows, type Row } from './authorization-cells.js';
import { loadSupergraph, readClassification, type AccessLevel } from './authorization-schema.js';
import {
  DENY_CODES,
  VIEWERS,
  fieldViolations,
  type FieldRules,
  leaks,
  selectionsOf,
  verdict,
  type Outcome,
  type Viewer,
} from './authorization-selection.js';

const ALLOWED: Record<Exclude<AccessLevel, 'parent'>, readonly Viewer[]> = {
  public: VIEWERS,
  authenticated: ['stranger', 'friend', 'owner', 'blocked', 'admin'],
  owner: ['owner'],
  participant: ['owner'],
  'friend-visible': ['owner', 'friend'],
  admin: ['admin'],
};
// Mutations run with the owner last, so the refused cells meet the owner's data intact.
const MUTATION_ORDER: readonly Viewer[] = ['anonymous', 'stranger', 'friend', 'blocked', 'admin', 'owner'];

const classification = readClassification();
const { schema } = loadSupergraph();
let fx: Fixtures;
let cells = 0;
/** What the owner was shown: every marker must be in it, or the leak scan could not see it. */
const ownerSaw: unknown[] = [];
const tally: Record<string, number> = {};

let rules: FieldRules;
const timings: string[] = [];

beforeAll(async () => {
  fx = await buildFixtures();
  const { ids } = fx;
  rules = {
    classification,
    ownerId: fx.accounts.owner.id,
    ownerObjects: new Set([
      ids.publicPost,
      ids.friendsPost,
      ids.privatePost,
      ids.customPost,
      ids.pollPost,
      ids.friendsComment,
      ids.message,
      ids.groupMessage,
      ids.privateMedia,
      ids.notification,
    ]),
    // The fixture's privacy settings (authorization-fixtures.ts) hide these from friends too.
    hiddenFromFriends: new Set([
      'contactEmail',
      'phoneNumber',
      'dateOfBirth',
      'location',
      'education',
      'experience',
      'isOnline',
      'lastSeenAt',
    ]),
  };
}, 300_000);
afterAll(async () => {
  if (timings.length) console.log(timings.join('\n'));
  console.log(`authorization matrix: ${cells} cells (field x viewer) ${JSON.stringify(tally)}`);
  await fx?.stop();
});

function expected(row: Pick<Row, 'field' | 'access' | 'expect'>, viewer: Viewer): Outcome {
  const override = row.expect?.[viewer];
  if (override) return override;
  const access = row.access ?? classification[row.field]?.access;
  if (!access || access === 'parent') throw new Error(`${row.field} has no root classification`);
  return ALLOWED[access].includes(viewer) ? 'allow' : 'deny';
}

/**
 * The documents of a row: one per selection chunk (the gateway's 1000-token limit) for queries;
 * mutations and subscriptions take the first chunk only (a mutation must run once per cell).
 */
function operations(
  kind: 'query' | 'mutation' | 'subscription',
  row: Pick<Row, 'field' | 'sig' | 'depth'>,
): string[] {
  const name = row.field.split('.')[1] ?? '';
  const root =
    kind === 'query'
      ? schema.getQueryType()
      : kind === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const field = root?.getFields()[name];
  if (!field) throw new Error(`${row.field} is not in the supergraph`);
  const type = getNamedType(field.type);
  const depth = row.depth ?? (kind === 'query' ? 3 : 1);
  const selections = isLeafType(type) ? [''] : selectionsOf(schema, type.name, depth, 850);
  const variables = row.sig ? row.sig.split(',').map((part) => part.trim().split(':')[0]?.trim() ?? '') : [];
  const definitions = row.sig ? `(${row.sig.replace(/(^|,\s*)(\w+)/g, '$1$$$2')})` : '';
  // Pages of two keep every document under the gateway's cost limit.
  const given = variables.map((variable) => `${variable}: $${variable}`);
  if (!variables.includes('first') && field.args.some((arg) => arg.name === 'first')) given.push('first: 2');
  const args = given.length ? `(${given.join(', ')})` : '';
  const documents = selections.map(
    (selection) => `${kind} Matrix${definitions} { ${name}${args} ${selection} }`,
  );
  return kind === 'query' ? documents : documents.slice(0, 1);
}

const rowName = (row: Pick<Row, 'field' | 'label'>) =>
  row.label ? `${row.field} [${row.label}]` : row.field;

async function accountFor(row: Row, viewer: Viewer): Promise<TestAccount | undefined> {
  if (!row.freshAccount || viewer === 'anonymous') return fx.as(viewer);
  return fx.sg.user(viewer === 'admin' ? { role: 'ADMIN' } : {});
}

/** One cell: the row's documents as one viewer, judged; the problems found. */
async function runCell(
  kind: 'query' | 'mutation',
  row: Row,
  documents: string[],
  viewer: Viewer,
): Promise<string[]> {
  const problems: string[] = [];
  const name = row.field.split('.')[1] ?? '';
  const want = expected(row, viewer);
  const account = await accountFor(row, viewer);
  const vars = (await row.vars?.(fx, viewer, account)) ?? {};
  const keep = want !== 'allow' || Boolean(row.unchangedFor?.includes(viewer));
  const before = keep && row.readback ? JSON.stringify(await row.readback(fx, vars)) : undefined;
  const responses = [];
  for (const document of documents) {
    responses.push(await fx.sg.query(document, vars, account ? { token: account.token } : {}));
  }
  cells += 1;
  const verdicts = responses.map((response) => verdict(name, response, row.emptyMeansDeny));
  const outcomes = new Set(verdicts.map((one) => one.outcome));
  const got =
    outcomes.size === 1
      ? (verdicts[0] ?? { outcome: 'error' as const, detail: 'no response' })
      : {
          outcome: 'error' as const,
          detail: `parts disagree: ${verdicts.map((one) => `${one.outcome} ${one.detail}`).join(' | ')}`,
        };
  tally[got.outcome] = (tally[got.outcome] ?? 0) + 1;
  const refused = (outcome: string) => outcome === 'deny' || outcome === 'reject';
  if (got.outcome === 'error' || (want === 'allow' ? got.outcome !== 'allow' : !refused(got.outcome))) {
    problems.push(`${rowName(row)} as ${viewer}: expected ${want}, got ${got.outcome} (${got.detail})`);
  } else if (want === 'deny' && got.outcome === 'reject') {
    problems.push(`${rowName(row)} as ${viewer}: refused without an authorization code (${got.detail})`);
  }
  if (before !== undefined && row.readback) {
    const after = JSON.stringify(await row.readback(fx, vars));
    if (after !== before)
      problems.push(`${rowName(row)} as ${viewer}: changed the owner's data ${before} -> ${after}`);
  }
  if (viewer === 'owner') ownerSaw.push(responses);
  else {
    const leaked = leaks(fx.markers, viewer, responses, vars);
    if (leaked.length) problems.push(`${rowName(row)} as ${viewer}: leaked ${leaked.join(', ')}`);
    const shown = fieldViolations(rules, viewer, responses);
    if (shown.length) problems.push(`${rowName(row)} as ${viewer}: shown the owner's ${shown.join(', ')}`);
  }
  await row.after?.(fx, viewer);
  return problems;
}

/** The subgraph that resolves a root field (its `@join__field(graph: ...)`). */
function subgraphOf(field: string): string {
  const [type, name] = field.split('.');
  const root =
    type === 'Query'
      ? schema.getQueryType()
      : type === 'Mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const fields = root?.getFields() ?? {};
  const directive = fields[name ?? '']?.astNode?.directives?.find((one) => one.name.value === 'join__field');
  const graph = directive?.arguments?.find((arg) => arg.name.value === 'graph')?.value;
  return graph && 'value' in graph ? String(graph.value) : 'unknown';
}

/**
 * Mutations that change the social graph around the owner, or whose targets other services'
 * events change (notifications group new events into old ones): run alone, after the others.
 */
const SERIAL = new Set([
  'Mutation.sendFriendRequest',
  'Mutation.respondToFriendRequest',
  'Mutation.cancelFriendRequest',
  'Mutation.follow',
  'Mutation.unfollow',
  'Mutation.removeFriend',
  'Mutation.unblock',
  'Mutation.block',
]);

async function runRows(kind: 'query' | 'mutation', selected: Row[]): Promise<string[]> {
  const problems: string[] = [];
  const runRow = async (row: Row) => {
    const documents = operations(kind, row);
    const started = Date.now();
    if (kind === 'query') {
      // Reads change nothing: the six viewers ask at once.
      const found = await Promise.all(VIEWERS.map((viewer) => runCell(kind, row, documents, viewer)));
      problems.push(...found.flat());
    } else {
      for (const viewer of MUTATION_ORDER) problems.push(...(await runCell(kind, row, documents, viewer)));
    }
    // AUTHZ_TIMING=1 prints each row's duration (to see where the matrix spends its time).
    if (process.env.AUTHZ_TIMING)
      timings.push(`${rowName(row)} ${documents.length} docs ${Date.now() - started} ms`);
  };
  // Each subgraph's rows in order, the subgraphs side by side (their targets are disjoint); the
  // serial rows and notification's last, one at a time.
  const serial = selected.filter((row) => SERIAL.has(row.field) || subgraphOf(row.field) === 'NOTIFICATION');
  const lanes = new Map<string, Row[]>();
  for (const row of selected) {
    if (serial.includes(row)) continue;
    const lane = kind === 'query' ? row.field : subgraphOf(row.field);
    lanes.set(lane, [...(lanes.get(lane) ?? []), row]);
  }
  const width = kind === 'query' ? 3 : lanes.size;
  const queue = [...lanes.values()];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) for (const row of lane) await runRow(row);
    }),
  );
  for (const row of serial) await runRow(row);
  return problems;
}

test('queries: every viewer gets what the classification allows, and nothing private of the owner', async () => {
  const problems = await runRows(
    'query',
    rows().filter((row) => row.field.startsWith('Query.')),
  );
  expect(problems).toEqual([]);
  // The scan is only as good as its markers: the owner's own queries return every one of them.
  const unseen = fx.markers.filter(
    (marker) => !marker.pagedOut && leaks([{ ...marker, seenBy: [] }], 'owner', ownerSaw).length === 0,
  );
  expect(unseen.map((marker) => marker.what)).toEqual([]);
  // Likewise the field checks: had a stranger been shown what the owner was, they would object.
  const objections = fieldViolations(rules, 'stranger', ownerSaw);
  const expectedObjections = [
    'User.email',
    'User.loginHistory',
    'User.phoneNumber',
    'User.bio',
    'User.privacySettings',
    'Message.clientMessageId',
    'Post.audience',
  ];
  expect(expectedObjections.filter((field) => !objections.includes(field))).toEqual([]);
}, 600_000);

test("mutations: refused where the classification says so, leaving the owner's data unchanged", async () => {
  const problems = await runRows(
    'mutation',
    rows().filter((row) => row.field.startsWith('Mutation.')),
  );
  expect(problems).toEqual([]);
}, 600_000);

type Event = {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
};

test("subscriptions: only entitled viewers listen to the owner's streams, and nothing private leaks", async () => {
  const problems: string[] = [];
  let listening = true;
  const streams = subscriptionRows().flatMap((row) =>
    VIEWERS.map((viewer) => {
      const account = fx.as(viewer);
      const handle = fx.sg.subscribe(
        operations('subscription', row)[0] ?? '',
        row.vars?.(fx) ?? {},
        account ? { token: account.token } : {},
      );
      const events: Event[] = [];
      let failure: unknown;
      const drained = (async () => {
        // Short waits, so nothing is left pending once the test stops listening.
        while (listening) {
          try {
            events.push(await handle.next(250));
          } catch (error) {
            if (error instanceof Error && error.message.startsWith('no subscription event within')) continue;
            failure = error;
            return;
          }
        }
      })();
      return { row, viewer, handle, events, drained, failure: () => failure };
    }),
  );
  await Promise.all(streams.map((stream) => stream.handle.connected.catch(() => undefined)));
  // Give every subscription time to be set up (or refused) before the events happen.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const { owner, confidant } = fx.accounts;
  await fx.run('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }', {
    input: {
      conversationId: fx.ids.direct,
      clientMessageId: `sub-${Date.now()}`,
      messageType: 'TEXT',
      content: 'ping',
    },
  });
  await fx.run(
    'mutation ($id: ID!) { setTyping(conversationId: $id, isTyping: true) }',
    { id: fx.ids.direct },
    confidant,
  );
  // The owner hides its online status: nobody else may hear of these.
  await fx.run('mutation { setPresence(online: false) }', {}, owner);
  await fx.run('mutation { setPresence(online: true) }', {}, owner);
  // A new kind of notification for the owner (a reaction; earlier comments group together).
  const fresh = await fx.post('PUBLIC', 'react to this');
  await fx.run(
    'mutation ($input: ReactInput!) { react(input: $input) { __typename } }',
    { input: { entityId: fresh, entityType: 'POST', reaction: 'WOW' } },
    confidant,
  );
  // The owner's own streams prove the events happened; the others had the same chance.
  const live = [
    'conversationEvents',
    'myConversationsUpdated',
    'typing',
    'notificationAdded',
    'unreadNotificationCountChanged',
  ];
  const deadline = Date.now() + 60_000;
  while (
    streams.some(
      (stream) =>
        stream.viewer === 'owner' &&
        live.some((name) => stream.row.field.endsWith(`.${name}`)) &&
        !stream.events.length,
    ) &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const stream of streams) {
    const { row, viewer, events } = stream;
    cells += 1;
    const errors = events.flatMap((event) => event.errors ?? []);
    const failure = stream.failure();
    const failureErrors = Array.isArray(failure) ? (failure as Event['errors'] & unknown[]) : [];
    const codes = [...errors, ...(failureErrors ?? [])].map((error) =>
      String(error.extensions?.code ?? 'NO_CODE'),
    );
    const closed =
      failure !== undefined && !Array.isArray(failure)
        ? String((failure as { code?: number }).code ?? failure)
        : '';
    const outcome: Outcome | 'error' =
      codes.length > 0
        ? codes.every((code) => DENY_CODES.has(code))
          ? 'deny'
          : 'error'
        : closed
          ? closed.startsWith('44')
            ? 'deny'
            : 'error'
          : 'allow';
    tally[outcome] = (tally[outcome] ?? 0) + 1;
    const want = expected(row, viewer);
    if (outcome !== want) {
      problems.push(
        `${row.field} as ${viewer}: expected ${want}, got ${outcome} (${codes.join(',')} ${closed})`,
      );
    }
    if (
      viewer === 'owner' &&
      live.some((name) => row.field.endsWith(`.${name}`)) &&
      !events.some((event) => event.data)
    ) {
      problems.push(`${row.field} as owner: no event arrived`);
    }
    if (
      row.field === 'Subscription.presenceChanged' &&
      viewer !== 'owner' &&
      events.some((event) => event.data)
    ) {
      problems.push(`${row.field} as ${viewer}: heard the presence of an owner who hides it`);
    }
    if (viewer !== 'owner') {
      const leaked = leaks(fx.markers, viewer, events);
      if (leaked.length) problems.push(`${row.field} as ${viewer}: leaked ${leaked.join(', ')}`);
    }
  }
  listening = false;
  await Promise.all(streams.map((stream) => stream.drained));
  await Promise.all(streams.map((stream) => stream.handle.close()));
  expect(problems).toEqual([]);
}, 600_000);
