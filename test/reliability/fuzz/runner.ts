import { connectGraphQL, type Supergraph } from '@social/testing';
import type { GraphQLField, GraphQLSchema } from 'graphql';
import { checkHttp, checkResult, type Verdict } from './check.js';
import type { FuzzWorld } from './fixtures.js';
import { generateOperation, type FuzzOperation, type RootKind } from './generate.js';
import { corruptDocument, malformedRequests, type RawRequest } from './malformed.js';
import { Random } from './random.js';
import { diffSnapshots, type Stores } from './stores.js';

export type ViewerName = 'anonymous' | 'user' | 'friend' | 'admin';
export type OpKind = RootKind | 'malformed' | 'corrupted';

/** One planned request. */
export type Planned =
  | {
      readonly kind: RootKind | 'corrupted';
      readonly viewer: ViewerName;
      readonly op: FuzzOperation;
      readonly checkWrites: boolean;
    }
  | {
      readonly kind: 'malformed';
      readonly viewer: ViewerName;
      readonly raw: RawRequest;
      readonly checkWrites: false;
    };

export interface Failure {
  readonly seed: number;
  readonly index: number;
  readonly kind: OpKind;
  readonly viewer: ViewerName;
  readonly what: string;
  readonly problems: readonly string[];
  readonly request: string;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly operations: number;
  readonly byKind: Record<string, number>;
  readonly byCode: Record<string, number>;
  /** Root fields fuzzed (of all Query, Mutation and Subscription fields). */
  readonly fieldsCovered: number;
  readonly fieldsTotal: number;
  /** Rejected mutations whose owning store was compared before and after. */
  readonly writeChecks: number;
  readonly accepted: number;
  readonly failures: Failure[];
  readonly durationMs: number;
  /** Time spent on the write-checked mutations (run alone, stores read before and after). */
  readonly writeCheckMs: number;
  readonly slowest: ReadonlyArray<{ ms: number; what: string }>;
  /** Of the write checks, mutations refused by a resolver (past parsing and validation). */
  readonly resolverWriteChecks: number;
  /** Requests sent again after the connection was closed under them. */
  readonly networkRetries: number;
  /** Where the request time went: total milliseconds by root field. */
  readonly busiest: ReadonlyArray<[string, number]>;
}

export interface PlanOptions {
  readonly schema: GraphQLSchema;
  readonly world: FuzzWorld;
  readonly seed: number;
  readonly total: number;
  /** Share of mutations whose owning store is compared before and after (when rejected). */
  readonly writeCheckRate: number;
}

const PASSWORD_HASHING = new Set([
  'login',
  'register',
  'deleteAccount',
  'changePassword',
  'changeEmail',
  'resetPassword',
]);

const VIEWERS: ReadonlyArray<[ViewerName, number]> = [
  ['anonymous', 0.2],
  ['user', 0.55],
  ['friend', 0.1],
  ['admin', 0.15],
];

function pickViewer(random: Random): ViewerName {
  let roll = random.next();
  for (const [name, weight] of VIEWERS) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return 'user';
}

/**
 * The whole run, decided up front from the seed: every request i is generated from its own
 * generator (`seed`, `i`), so `FUZZ_SEED` + `FUZZ_ONLY=i` replays one request alone.
 */
export function plan(options: PlanOptions): Planned[] {
  const { schema, world, seed, total } = options;
  const base = new Random(seed);
  type Root = readonly [RootKind, GraphQLField<unknown, unknown>];
  const queries = Object.values(schema.getQueryType()?.getFields() ?? {}).map((f): Root => ['query', f]);
  const mutations = Object.values(schema.getMutationType()?.getFields() ?? {}).map((f): Root => [
    'mutation',
    f,
  ]);
  // Queries and mutations about evenly, whatever the number of fields of each; the fields that
  // hash a password (bcrypt, by design slow) a quarter as often, so the run stays short.
  const pickRoot = (random: Random) => {
    const pick = () => random.pick(random.chance(0.45) ? queries : mutations);
    const first = pick();
    return PASSWORD_HASHING.has(first[1].name) && random.chance(0.75) ? pick() : first;
  };
  const subscriptions = Object.values(schema.getSubscriptionType()?.getFields() ?? {});
  const malformedCount = Math.round(total * 0.05);
  const malformed = malformedRequests(base.fork(-1), malformedCount, 0);
  const out: Planned[] = [];
  let nextMalformed = 0;
  for (let index = 0; index < total; index += 1) {
    const random = base.fork(index);
    const roll = random.next();
    const viewer = pickViewer(random);
    const generate = (kind: RootKind, field: GraphQLField<unknown, unknown>) =>
      generateOperation(
        { schema, random, fixtures: world.fixtures, disposable: world.disposable },
        kind,
        field,
        index,
      );
    if (roll < 0.05 && nextMalformed < malformed.length) {
      const raw = malformed[nextMalformed] as RawRequest;
      nextMalformed += 1;
      out.push({ kind: 'malformed', viewer, raw: { ...raw, index }, checkWrites: false });
    } else if (roll < 0.09) {
      const [kind, field] = pickRoot(random);
      const op = generate(kind, field);
      out.push({
        kind: 'corrupted',
        viewer,
        op: { ...op, query: corruptDocument(op.query, random) },
        checkWrites: false,
      });
    } else if (roll < 0.11 && subscriptions.length > 0) {
      out.push({
        kind: 'subscription',
        viewer,
        op: generate('subscription', random.pick(subscriptions)),
        checkWrites: false,
      });
    } else {
      const [kind, field] = pickRoot(random);
      const op = generate(kind, field);
      const checkWrites =
        kind === 'mutation' && viewer !== 'anonymous' && random.chance(options.writeCheckRate);
      out.push({ kind, viewer, op, checkWrites });
    }
  }
  return out;
}

/**
 * What a refused mutation records on purpose: a failed login's history row and lockout counter,
 * a wrong code's attempt count. Anything else it changes is a partial write.
 */
const AUDIT_WRITES: Readonly<Record<string, RegExp>> = {
  login: /^(user_login_history|users)$/,
  verifyEmail: /^(verification_codes|users)$/,
  resetPassword: /^(password_reset_tokens|users)$/,
};

const truncate = (text: string, max = 600) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

export interface RunOptions {
  readonly sg: Supergraph;
  readonly world: FuzzWorld;
  readonly stores: Stores;
  /** Root field → owning subgraph (`Mutation.createPost` → `feed`). */
  readonly owners: ReadonlyMap<string, string>;
  readonly seed: number;
  readonly concurrency: number;
  readonly fieldsTotal: number;
  readonly log?: (line: string) => void;
}

/** Sends the planned requests and checks every response (and, for sampled mutations, the stores). */
export async function run(planned: readonly Planned[], options: RunOptions): Promise<FuzzSummary> {
  const { sg, world, seed } = options;
  const started = Date.now();
  const tokens: Record<ViewerName, string | undefined> = {
    anonymous: undefined,
    user: world.viewers.user.token,
    friend: world.viewers.friend.token,
    admin: world.viewers.admin.token,
  };
  const byKind: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  const fields = new Set<string>();
  const failures: Failure[] = [];
  let writeChecks = 0;
  let accepted = 0;
  let networkRetries = 0;
  let resolverWriteChecks = 0;

  const record = (item: Planned, verdict: Verdict, extra: string[] = []) => {
    byKind[item.kind] = (byKind[item.kind] ?? 0) + 1;
    if (item.kind === 'query' || item.kind === 'mutation' || item.kind === 'subscription')
      fields.add(`${item.kind}.${item.op.field}`);
    for (const code of verdict.codes) byCode[code] = (byCode[code] ?? 0) + 1;
    if (verdict.codes.length === 0) accepted += 1;
    const problems = [...verdict.problems, ...extra];
    if (problems.length === 0) return;
    const request =
      item.kind === 'malformed'
        ? `${item.raw.method} ${item.raw.search ?? ''} ${JSON.stringify(item.raw.headers)} ${truncate(item.raw.body ?? '')}`
        : `${truncate(item.op.query)} variables=${truncate(JSON.stringify(item.op.variables))}`;
    const failure: Failure = {
      seed,
      index: item.kind === 'malformed' ? item.raw.index : item.op.index,
      kind: item.kind,
      viewer: item.viewer,
      what: item.kind === 'malformed' ? item.raw.label : `${item.op.field} [${item.op.hostile.join('; ')}]`,
      problems,
      request,
    };
    failures.push(failure);
    options.log?.(
      `FAIL seed=${seed} index=${failure.index} ${failure.kind} ${failure.what} as ${failure.viewer}: ${problems.join(' | ')}`,
    );
  };

  const post = async (init: {
    method: string;
    search?: string;
    headers: Record<string, string>;
    body?: string;
  }) => {
    const request = () =>
      fetch(`${sg.gatewayUrl}${init.search ?? ''}`, {
        method: init.method,
        headers: init.headers,
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    let response: Response;
    try {
      response = await request();
    } catch (error) {
      // A pooled keep-alive socket the server had just closed: once more on a fresh one (a
      // crashed gateway fails again, and the health check after the run sees it).
      if (!/other side closed|ECONNRESET/.test(describe(error))) throw error;
      networkRetries += 1;
      response = await request();
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  };

  const send = async (item: Planned): Promise<Verdict> => {
    const token = tokens[item.viewer];
    const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (item.kind === 'malformed') {
      const { raw } = item;
      const headers = raw.headers.authorization ? raw.headers : { ...raw.headers, ...auth };
      const answer = await post({ ...raw, headers });
      return checkHttp(answer.status, answer.contentType, answer.text, { allowHtml: raw.method === 'GET' });
    }
    if (item.kind === 'subscription') return subscribeOnce(sg, item.op, token);
    const answer = await post({
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query: item.op.query, variables: item.op.variables }),
    });
    return checkHttp(answer.status, answer.contentType, answer.text);
  };

  const slowest: Array<{ ms: number; what: string }> = [];
  const timeByField = new Map<string, number>();
  const attempt = async (item: Planned) => {
    const start = Date.now();
    try {
      record(item, await send(item));
    } catch (error) {
      record(item, { codes: [], problems: [`request failed: ${describe(error)}`], hasData: false });
    }
    const ms = Date.now() - start;
    const key = item.kind === 'malformed' ? 'malformed' : `${item.kind}.${item.op.field}`;
    timeByField.set(key, (timeByField.get(key) ?? 0) + ms);
    if (slowest.length < 10 || ms > (slowest.at(-1)?.ms ?? 0)) {
      slowest.push({
        ms,
        what: `#${item.kind === 'malformed' ? `${item.raw.index} ${item.raw.label}` : `${item.op.index} ${item.op.field} [${item.op.hostile.join('; ')}]`}`,
      });
      slowest.sort((a, b) => b.ms - a.ms);
      slowest.splice(10);
    }
  };

  /** A sampled mutation, alone: its owning store must be unchanged when it is rejected. */
  const checked = async (item: Planned & { kind: RootKind | 'corrupted' }) => {
    const owner = options.owners.get(`Mutation.${item.op.field}`);
    if (!owner) return attempt(item);
    const before = await quiet(() => options.stores.state(owner));
    let verdict: Verdict;
    try {
      verdict = await send(item);
    } catch (error) {
      verdict = { codes: [], problems: [`request failed: ${describe(error)}`], hasData: false };
    }
    const rejected = verdict.codes.length > 0 && !verdict.hasData;
    const extra: string[] = [];
    if (rejected) {
      writeChecks += 1;
      if (verdict.fromResolver) resolverWriteChecks += 1;
      const audited = AUDIT_WRITES[item.op.field];
      const changed = diffSnapshots(before, await options.stores.state(owner)).filter(
        (key) => !audited?.test(key.replace(/^\w+ /, '').replace(/[:/].*$/, '')),
      );
      if (changed.length > 0)
        extra.push(
          `partial write in ${owner} after a rejected mutation: ${truncate(changed.join(', '), 400)}`,
        );
    }
    record(item, verdict, extra);
  };

  let checkMs = 0;
  let cursor = 0;
  const worker = async (segment: readonly Planned[]) => {
    while (cursor < segment.length) {
      const item = segment[cursor] as Planned;
      cursor += 1;
      await attempt(item);
    }
  };
  // Segments of concurrent requests, each followed by one write-checked mutation run alone.
  let segment: Planned[] = [];
  const flush = async () => {
    cursor = 0;
    const current = segment;
    segment = [];
    await Promise.all(Array.from({ length: options.concurrency }, () => worker(current)));
  };
  for (const [i, item] of planned.entries()) {
    if (item.kind !== 'malformed' && item.checkWrites) {
      await flush();
      const start = Date.now();
      await checked(item);
      checkMs += Date.now() - start;
    } else {
      segment.push(item);
    }
    if (i > 0 && i % 1000 === 0)
      options.log?.(
        `${i} requests, ${failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s`,
      );
  }
  await flush();

  return {
    seed,
    operations: planned.length,
    byKind,
    byCode,
    fieldsCovered: fields.size,
    fieldsTotal: options.fieldsTotal,
    writeChecks,
    accepted,
    failures,
    durationMs: Date.now() - started,
    writeCheckMs: checkMs,
    slowest,
    networkRetries,
    resolverWriteChecks,
    busiest: [...timeByField].sort(([, a], [, b]) => b - a).slice(0, 8),
  };
}

/** An error with its causes (fetch's `TypeError: fetch failed` hides the socket error in `cause`). */
function describe(error: unknown): string {
  const parts: string[] = [];
  // Duck-typed: fetch's errors come from another realm than Jest's `Error`.
  for (
    let e = error as { message?: unknown; code?: unknown; cause?: unknown } | undefined;
    e && parts.length < 4;
  ) {
    if (typeof e !== 'object' || typeof e.message !== 'string') break;
    parts.push(`${e.message}${typeof e.code === 'string' ? ` (${e.code})` : ''}`);
    e = e.cause as typeof e;
  }
  return parts.length > 0 ? parts.join(': ') : String(error);
}

/** Reads `state` until two reads 150 ms apart agree (earlier writes' events have landed). */
async function quiet<T extends Map<string, string>>(state: () => Promise<T>): Promise<T> {
  let previous = await state();
  for (let i = 0; i < 30; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const current = await state();
    if (diffSnapshots(previous, current).length === 0) return current;
    previous = current;
  }
  return previous;
}

/** One subscription over graphql-ws: its first event or error within a moment, then closed. */
async function subscribeOnce(sg: Supergraph, op: FuzzOperation, token: string | undefined): Promise<Verdict> {
  const socket = connectGraphQL(sg.gatewayUrl, token ? { token } : {});
  try {
    const handle = socket.subscribe(op.query, op.variables);
    try {
      return checkResult(await handle.next(400));
    } catch (error) {
      if (Array.isArray(error)) return checkResult({ errors: error });
      const { code, reason } = error as { code?: number; reason?: string };
      if (typeof code === 'number') {
        // 4400-4499 are protocol rejections the client caused; 4500 is the server failing.
        if (code >= 4500 || code === 1011)
          return { codes: [], problems: [`socket closed ${code} ${reason}`], hasData: false };
        return { codes: [`CLOSE_${code}`], problems: [], hasData: false };
      }
      if (/no subscription event within/.test((error as Error).message))
        return { codes: [], problems: [], hasData: true };
      return { codes: [], problems: [`subscription failed: ${(error as Error).message}`], hasData: false };
    } finally {
      await handle.close();
    }
  } finally {
    await socket.close();
  }
}
