import type { Supergraph } from '@social/testing';
import { MongoClient, type Db } from 'mongodb';

export const MONGO_SUBGRAPHS = ['profile', 'chat', 'feed', 'media', 'notification'] as const;

/**
 * Collections a service fills from other services' events (replicas, inboxes, caches): they may
 * change at any moment because of earlier, successful writes, so they are no evidence of what a
 * rejected mutation stored.
 */
const EVENT_FED =
  /^(system\.|social_edges$|social_users$|feed_authors$|media_refs$|email_addresses$|.*(inbox|outbox|processed|events|consumer|cursor|locks?)$)/;

/** Read access to every store of the stack, for the fuzzer's partial-write and invariant checks. */
export class Stores {
  private constructor(
    private readonly sg: Supergraph,
    private readonly client: MongoClient,
  ) {}

  static async open(sg: Supergraph): Promise<Stores> {
    const client = new MongoClient(sg.mongoUrl);
    await client.connect();
    return new Stores(sg, client);
  }

  db(subgraph: string): Db {
    return this.client.db(`${this.sg.mongoDbPrefix}social_${subgraph}`);
  }

  /**
   * Everything `subgraph` stored itself: its own collections' documents by `collection/_id`, or
   * for auth a digest per table. Equal before and after a rejected mutation when nothing was written.
   */
  async state(subgraph: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (subgraph === 'auth') {
      const tables = await this.sg.sql<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_%' ORDER BY 1",
      );
      for (const { name } of tables) {
        const [row] = await this.sg.sql<{ digest: string | null }>(
          `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${name}" t`,
        );
        out.set(name, row?.digest ?? '');
      }
      return out;
    }
    const db = this.db(subgraph);
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      if (EVENT_FED.test(name)) continue;
      for (const doc of await db.collection(name).find({}).toArray()) {
        out.set(`${name}/${JSON.stringify(doc._id)}`, JSON.stringify(doc));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Fields that services copy from other services' events (a participant's name and avatar in a
 * chat conversation, a notification's actor): an earlier write's event may land at any moment.
 */
const EVENT_FED_PATHS = [
  /^conversations\/.*:participants\.\d+\.(username|displayName|avatarUrl)$/,
  // A notification's text names its actor, rewritten when the actor's profile changes.
  /^notifications\/.*:(message|actor\w*|updatedAt)$/,
];

/** The paths (`participants.1.displayName`) at which two JSON values differ. */
function changedPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length > 20 || JSON.stringify(a) === JSON.stringify(b)) return;
  const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object';
  if (!objects || Array.isArray(a) !== Array.isArray(b)) {
    out.push(path);
    return;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const key of keys) {
    changedPaths(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      path ? `${path}.${key}` : key,
      out,
    );
  }
}

/**
 * Documents added, removed or changed between two snapshots (`changed coll/id: a.b, c`), leaving
 * out changes only to event-fed fields.
 */
export function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [key, value] of after) {
    const previous = before.get(key);
    if (previous === value) continue;
    if (previous === undefined) {
      changed.push(`added ${key}`);
      continue;
    }
    const paths: string[] = [];
    // Documents are JSON; auth's tables are digests (no paths to tell apart).
    if (previous.startsWith('{') && value.startsWith('{')) {
      changedPaths(JSON.parse(previous), JSON.parse(value), '', paths);
    } else {
      paths.push('(digest)');
    }
    const relevant = paths.filter(
      (path) => !EVENT_FED_PATHS.some((pattern) => pattern.test(`${key}:${path}`)),
    );
    if (relevant.length > 0) changed.push(`changed ${key}: ${relevant.join(', ')}`);
  }
  for (const key of before.keys()) if (!after.has(key)) changed.push(`removed ${key}`);
  return changed;
}
