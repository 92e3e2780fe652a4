import pg from 'pg';

/**
 * Which auth instance relays the outbox right now. One at a time keeps events published in the
 * order they were committed and stops instances publishing the same rows twice, without holding
 * a transaction (or row locks) open while publishing to Redis (outbox.ts).
 */
export interface RelayLock {
  /** True when this process now holds the lock (it must `release` it); false when another does. */
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
  close(): Promise<void>;
}

/** Any constant shared by every auth instance (cleanup.ts uses another). */
const OUTBOX_RELAY_LOCK = 41_720_002;

/** Within one process only: relays of several processes may overlap (tests, a single instance). */
export function localRelayLock(): RelayLock {
  let held = false;
  return {
    async tryAcquire() {
      if (held) return false;
      held = true;
      return true;
    },
    async release() {
      held = false;
    },
    async close() {},
  };
}

/**
 * A PostgreSQL session-level advisory lock on a connection of its own: no transaction is open
 * while it is held, and the server releases it by itself when the holder dies (its connection
 * closes), so a crashed relay never blocks the others. A broken connection is replaced on the
 * next attempt.
 */
export function advisoryRelayLock(databaseUrl: string): RelayLock {
  let client: pg.Client | undefined;
  const drop = (broken: pg.Client) => {
    if (client === broken) client = undefined;
    broken.end().catch(() => undefined);
  };
  const connection = async () => {
    if (client) return client;
    const fresh = new pg.Client({
      connectionString: databaseUrl,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    fresh.on('error', () => drop(fresh));
    try {
      await fresh.connect();
    } catch (error) {
      fresh.end().catch(() => undefined);
      throw error;
    }
    client = fresh;
    return fresh;
  };
  return {
    async tryAcquire() {
      const conn = await connection();
      try {
        const { rows } = await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
          OUTBOX_RELAY_LOCK,
        ]);
        return rows[0]?.locked === true;
      } catch (error) {
        drop(conn);
        throw error;
      }
    },
    async release() {
      const conn = client;
      if (!conn) return; // the connection died: the server released the lock with it
      try {
        await conn.query('SELECT pg_advisory_unlock($1)', [OUTBOX_RELAY_LOCK]);
      } catch {
        drop(conn);
      }
    },
    async close() {
      const conn = client;
      client = undefined;
      await conn?.end().catch(() => undefined);
    },
  };
}
