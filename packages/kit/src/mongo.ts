import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import type { Logger } from 'pino';

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
  /** Readiness check: resolves when the server answers `ping`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface MongoConnectOptions {
  readonly url: string;
  /** Each service has its own database (`social_profile`, `social_chat`, ...; DESIGN 2). */
  readonly dbName: string;
  readonly logger: Logger;
  readonly appName?: string;
  /**
   * Driver command monitoring, which {@link onMongoCommand} needs (tests and benchmarks count round
   * trips with it). It decodes every reply a second time, about 8% of a home-feed request's CPU,
   * so production turns it off. Default: on.
   */
  readonly monitorCommands?: boolean;
  readonly clientOptions?: MongoClientOptions;
}

/** A command a service's MongoClient sent (driver command monitoring). */
export interface MongoCommandEvent {
  /** The connection's appName (the service name, e.g. `profile`). */
  readonly appName: string;
  readonly databaseName: string;
  /** e.g. `find`, `insert`, `aggregate`, `hello`. */
  readonly commandName: string;
}

const commandListeners = new Set<(event: MongoCommandEvent) => void>();

/**
 * Observes every command the clients made by {@link connectMongo} send, in this process: how tests
 * and benchmarks count database round trips per request (DESIGN 10). Returns the unsubscribe.
 */
export function onMongoCommand(listener: (event: MongoCommandEvent) => void): () => void {
  commandListeners.add(listener);
  return () => commandListeners.delete(listener);
}

/** Redacts the password of a connection string for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

/**
 * One MongoClient per process (STYLE 6), connected before the service listens so a wrong URL
 * fails at boot with a clear message instead of on the first request.
 */
export async function connectMongo(options: MongoConnectOptions): Promise<MongoConnection> {
  const appName = options.appName ?? options.dbName;
  const client = new MongoClient(options.url, {
    appName,
    serverSelectionTimeoutMS: 5_000,
    monitorCommands: options.monitorCommands ?? true,
    ...options.clientOptions,
  });
  client.on('commandStarted', (event) => {
    if (commandListeners.size === 0) return;
    const observed = { appName, databaseName: event.databaseName, commandName: event.commandName };
    for (const listener of commandListeners) listener(observed);
  });
  try {
    await client.connect();
    await client.db(options.dbName).command({ ping: 1 });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`Cannot connect to MongoDB at ${redactUrl(options.url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const db = client.db(options.dbName);
  options.logger.info({ url: redactUrl(options.url), db: options.dbName }, 'mongo connected');
  return {
    client,
    db,
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}

/**
 * The database a Mongo-backed service uses: `social_<service>` (DESIGN 2), prefixed with
 * `MONGO_DB_PREFIX` when set, so test runs sharing one MongoDB server stay apart.
 */
export function mongoDatabaseName(
  service: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return `${env.MONGO_DB_PREFIX ?? ''}social_${service}`;
}
