import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import { applyRewrites, isObjectOfType } from '@apollo/gateway/dist/dataRewrites.js';
import type { FetchNode, PlanNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { isBatchable, mergedOperation, mergedVariables, splitAnswer } from './entity-batching.js';
import { isInherited } from './projection.js';

/**
 * Runs a query plan's fetches and merges their results in place, as `@apollo/gateway`'s
 * `executeQueryPlan` does before it shapes the response: Sequence in order, Parallel at once,
 * Flatten into the entities at a path (`@` for every list element), Condition on a variable, and
 * a Fetch either at the root or, with `requires`, as `_entities` over the representations built
 * from the data so far. Errors of a fetch are kept with their code and re-pathed into the client's
 * response; a fetch that fails altogether adds its error and leaves its fields out (the projection
 * then nulls them), so the other subgraphs' data still reaches the client.
 */

type Data = Record<string, unknown>;
type Path = Array<string | number>;

/** What a subgraph answered: the GraphQL response body. */
export interface SubgraphResult {
  readonly data?: Data | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

/** Sends one fetch (its request body already JSON) to its subgraph with the client's headers. */
export type SubgraphSend = (fetch: FetchNode, body: string) => Promise<SubgraphResult>;

export interface PlanRunOptions {
  /** The client's variables as sent (the fetches forward those they use). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Defaults of the operation's variables, for Condition nodes. */
  readonly variableDefaults: ReadonlyMap<string, unknown>;
  readonly supergraphSchema: GraphQLSchema;
  readonly send: SubgraphSend;
}

/** An entity fetch waiting to go out with the others of its moment (entity-batching.ts). */
interface Queued {
  readonly fetch: FetchNode;
  readonly variables: Data;
  resolve(result: SubgraphResult | Promise<SubgraphResult>): void;
  reject(error: unknown): void;
}

interface Cursor {
  readonly path: Path;
  readonly data: unknown;
  readonly fullResult: Data;
}

const isObject = (value: unknown): value is Data =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function getOwn(object: Data, key: string): unknown {
  return isInherited(key) && !Object.hasOwn(object, key) ? undefined : object[key];
}

function setOwn(object: Data, key: string, value: unknown): void {
  if (isInherited(key))
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** `@apollo/gateway`'s deepMerge: objects merge key by key, same-length lists element-wise. */
function deepMerge(target: Data, source: unknown): void {
  if (!isObject(source)) return;
  for (const key in source) {
    const value = source[key];
    if (value === undefined) continue;
    const existing = getOwn(target, key);
    if (existing && isObject(value) && isObject(existing)) deepMerge(existing, value);
    else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        const into = existing[i];
        if (isObject(into) && isObject(value[i])) deepMerge(into, value[i]);
        else existing[i] = value[i];
      }
    } else setOwn(target, key, value);
  }
}

/** The bodies' constant parts, built once per fetch node (the query text is escaped once). */
const bodyParts = new WeakMap<FetchNode, { readonly head: string; readonly tail: string }>();

function requestBody(fetch: FetchNode, variables: Data): string {
  let parts = bodyParts.get(fetch);
  if (!parts) {
    parts = {
      head: `{"query":${JSON.stringify(fetch.operation)},"variables":`,
      tail:
        fetch.operationName === undefined ? '}' : `,"operationName":${JSON.stringify(fetch.operationName)}}`,
    };
    bodyParts.set(fetch, parts);
  }
  return parts.head + JSON.stringify(variables) + parts.tail;
}

/** The representation of an entity for `requires`, or null when the data lacks a required field. */
function representation(
  schema: GraphQLSchema,
  source: unknown,
  selections: readonly QueryPlanSelectionNode[],
): Data | null {
  if (source === null || typeof source !== 'object') return null;
  const entity = source as Data;
  const result: Data = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = getOwn(entity, name);
      if (value === undefined) return null;
      const sub = selection.selections;
      if (Array.isArray(value))
        setOwn(
          result,
          name,
          value.map((element) => (sub ? representation(schema, element, sub) : element)),
        );
      else setOwn(result, name, sub ? representation(schema, value, sub) : value);
    } else if (selection.typeCondition && isObjectOfType(schema, entity, selection.typeCondition)) {
      deepMerge(result, representation(schema, entity, selection.selections));
    }
  }
  return result;
}

/** The values at a plan path (`@` enters every element of a list), lists flattened. */
function flattenAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current: unknown = value;
  let many = false;
  for (const step of path) {
    if (step === '@') {
      if (many) {
        const next: unknown[] = [];
        for (const element of current as unknown[])
          if (Array.isArray(element)) for (const item of element) next.push(item);
        current = next;
      } else {
        if (!Array.isArray(current)) return undefined;
        many = true;
      }
      continue;
    }
    const key = String(step);
    if (many) {
      const next: unknown[] = [];
      for (const element of current as unknown[]) {
        if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
          const child = getOwn(element as Data, key);
          if (child !== undefined && child !== null) next.push(child);
        }
      }
      current = next;
    } else {
      if (current === null || current === undefined || Array.isArray(current) || typeof current !== 'object')
        return undefined;
      current = getOwn(current as Data, key);
      if (current === undefined || current === null) return current;
    }
  }
  return current;
}

/** Every concrete path of the entities at a `@`-path, as `_entities` errors are re-pathed. */
function hydratedPaths(parent: Path, path: readonly (string | number)[], data: unknown, into: Path[]): void {
  if (data === null || data === undefined) return;
  const head = path[0];
  if (head === undefined) into.push([...parent]);
  else if (head === '@') {
    if (!Array.isArray(data)) return;
    data.forEach((value, i) => {
      parent.push(i);
      hydratedPaths(parent, path.slice(1), value, into);
      parent.pop();
    });
  } else if (Array.isArray(data)) {
    data.forEach((value, i) => {
      parent.push(i);
      hydratedPaths(parent, path, value, into);
      parent.pop();
    });
  } else if (typeof data === 'object' && Object.hasOwn(data, head)) {
    parent.push(head);
    hydratedPaths(parent, path.slice(1), (data as Data)[head as string], into);
    parent.pop();
  }
}

/** A subgraph's error as the gateway reports it: its code kept (else a federation one), re-pathed. */
function downstreamError(
  error: GraphQLFormattedError,
  serviceName: string,
  path: Path | undefined,
): GraphQLError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: error as unknown as Error,
    ...(path ? { path } : {}),
    extensions: { ...error.extensions, serviceName },
  };
  const codeDef = errorCodeDef(error);
  if (!codeDef && error.extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}

export class PlanRun {
  readonly data: Data = {};
  /** Fetch errors: subgraph errors (re-pathed GraphQLErrors) and failed fetches (thrown errors). */
  readonly errors: unknown[] = [];

  /** Entity fetches sent in the current synchronous pass, by subgraph; flushed on a microtask. */
  private queued: Map<string, Queued[]> | undefined;

  constructor(private readonly options: PlanRunOptions) {}

  run(node: PlanNode): Promise<void> {
    return this.node(node, { path: [], data: this.data, fullResult: this.data });
  }

  private async node(node: PlanNode, cursor: Cursor): Promise<void> {
    switch (node.kind) {
      case 'Sequence':
        for (const child of node.nodes) await this.node(child, cursor);
        return;
      case 'Parallel':
        await Promise.all(node.nodes.map((child) => this.node(child, cursor)));
        return;
      case 'Flatten': {
        const data = flattenAt(cursor.data, node.path);
        if (data === undefined || data === null) return;
        await this.node(node.node, {
          path: [...cursor.path, ...node.path],
          data,
          fullResult: cursor.fullResult,
        });
        return;
      }
      case 'Fetch':
        try {
          await this.fetch(node, cursor);
        } catch (error) {
          this.errors.push(error);
        }
        return;
      case 'Condition': {
        const name = node.condition;
        const given = this.options.variables[name];
        const value =
          given !== undefined && Object.hasOwn(this.options.variables, name)
            ? given
            : this.options.variableDefaults.get(name);
        if (typeof value !== 'boolean')
          throw new Error(`Missing value for variable $${name} (and no default found)`);
        const branch = value ? node.ifClause : node.elseClause;
        if (branch) await this.node(branch, cursor);
        return;
      }
      case 'Defer':
        // The planner is built without incremental delivery (as @apollo/gateway's): no Defer nodes.
        throw new Error('@defer support is not available in the gateway');
    }
  }

  private fetchVariables(fetch: FetchNode): Data {
    const variables: Data = {};
    const provided = this.options.variables;
    for (const name of fetch.variableUsages ?? []) {
      if (Object.hasOwn(provided, name) && provided[name] !== undefined)
        setOwn(variables, name, provided[name]);
    }
    return variables;
  }

  private async fetch(fetch: FetchNode, cursor: Cursor): Promise<void> {
    const entities: Data[] = [];
    if (Array.isArray(cursor.data)) {
      for (const entity of cursor.data)
        if (entity !== null && entity !== undefined) entities.push(entity as Data);
    } else entities.push(cursor.data as Data);
    if (entities.length < 1) return;
    const variables = this.fetchVariables(fetch);
    const schema = this.options.supergraphSchema;
    if (!fetch.requires) {
      const data = await this.send(fetch, variables, cursor);
      if (data) applyRewrites(schema, fetch.outputRewrites, data);
      for (const entity of entities) deepMerge(entity, data);
      return;
    }
    const representations: Data[] = [];
    const owners: Data[] = [];
    for (const entity of entities) {
      const represented = representation(schema, entity, fetch.requires);
      if (represented && represented.__typename) {
        applyRewrites(schema, fetch.inputRewrites, represented);
        representations.push(represented);
        owners.push(entity);
      }
    }
    if (representations.length < 1) return;
    if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
    variables.representations = representations;
    const data = await this.send(fetch, variables, cursor);
    if (!data) return;
    const received = data._entities;
    if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
    if (received.length !== representations.length)
      throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
    for (let i = 0; i < received.length; i++) {
      const entity = received[i] as Data | null | undefined;
      const owner = owners[i]!;
      if (entity && !entity.__typename) entity.__typename = owner.__typename;
      if (entity) applyRewrites(schema, fetch.outputRewrites, entity);
      deepMerge(owner, entity);
    }
  }

  private async send(fetch: FetchNode, variables: Data, cursor: Cursor): Promise<Data | null | undefined> {
    const response = await this.dispatch(fetch, variables);
    if (response.errors) {
      let hydrated: Path[] | undefined;
      const pathOf = (errorPath: readonly (string | number)[] | undefined): Path | undefined => {
        if (fetch.requires && typeof errorPath?.[1] === 'number') {
          if (!hydrated) {
            hydrated = [];
            hydratedPaths([], cursor.path, cursor.fullResult, hydrated);
          }
          return [...(hydrated[errorPath[1]] ?? []), ...errorPath.slice(2)];
        }
        return errorPath ? [...cursor.path, ...errorPath] : undefined;
      };
      for (const error of response.errors)
        this.errors.push(downstreamError(error, fetch.serviceName, pathOf(error.path)));
    }
    return response.data;
  }

  /**
   * Sends a fetch. Entity fetches wait for the end of the synchronous pass that sends them (the
   * branches of a Parallel all start in one), then those to one subgraph go as one request.
   */
  private dispatch(fetch: FetchNode, variables: Data): Promise<SubgraphResult> {
    if (!isBatchable(fetch)) return this.options.send(fetch, requestBody(fetch, variables));
    return new Promise((resolve, reject) => {
      if (!this.queued) {
        this.queued = new Map();
        queueMicrotask(() => this.flush());
      }
      const batch = this.queued.get(fetch.serviceName);
      const entry = { fetch, variables, resolve, reject };
      if (batch) batch.push(entry);
      else this.queued.set(fetch.serviceName, [entry]);
    });
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = undefined;
    for (const batch of queued?.values() ?? []) {
      if (batch.length === 1) this.sendAlone(batch[0]!);
      else void this.sendMerged(batch);
    }
  }

  private sendAlone({ fetch, variables, resolve, reject }: Queued): void {
    try {
      resolve(this.options.send(fetch, requestBody(fetch, variables)));
    } catch (error) {
      reject(error);
    }
  }

  private async sendMerged(batch: readonly Queued[]): Promise<void> {
    const fetches = batch.map((entry) => entry.fetch);
    let answers;
    try {
      // Inside the try: whatever fails, every waiting fetch settles.
      const body = JSON.stringify({
        query: mergedOperation(fetches),
        variables: mergedVariables(batch.map((entry) => entry.variables)),
        operationName: fetches[0]!.operationName,
      });
      answers = splitAnswer(await this.options.send(fetches[0]!, body), batch.length);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    if (!answers) {
      for (const entry of batch) this.sendAlone(entry);
      return;
    }
    batch.forEach((entry, index) => entry.resolve(answers[index]!));
  }
}
