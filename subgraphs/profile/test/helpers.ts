import {
  eventually as waitUntil,
  startSupergraph,
  type AccountOptions,
  type Supergraph,
  type TestAccount,
} from '@social/testing';
import { MongoClient, type Db } from 'mongodb';

/**
 * Shared set-up of the profile tests: a supergraph with cheap password hashing (accounts are
 * real: registered, verified and logged in through auth) and direct access to the profile
 * database for waiting on event-driven work and for simulating time passing (TTL).
 */
export interface ProfileTestbed {
  readonly supergraph: Supergraph;
  /** The profile service's database (for waits and time travel, not for assertions a user sees). */
  readonly db: Db;
  /** A real account whose profile exists (UserRegistered has been handled). */
  member(options?: AccountOptions): Promise<TestAccount>;
  /** Resolves once `condition` holds, polling; fails after `timeoutMs`. */
  eventually<T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startProfileTestbed(env: Record<string, string> = {}): Promise<ProfileTestbed> {
  const supergraph = await startSupergraph({ env: { BCRYPT_COST: '4', ...env } });
  const client = await MongoClient.connect(supergraph.mongoUrl);
  const db = client.db(`${supergraph.mongoDbPrefix}social_profile`);

  const eventually = <T>(probe: () => Promise<T>, condition: (value: T) => boolean, timeoutMs?: number) =>
    waitUntil(probe, condition, timeoutMs === undefined ? {} : { timeoutMs });

  return {
    supergraph,
    db,
    eventually,
    async member(options) {
      const account = await supergraph.user(options);
      await eventually(
        () => db.collection('user_profiles').findOne({ _id: account.id as never }),
        (profile) => profile !== null,
      );
      return account;
    },
    async stop() {
      await client.close();
      await supergraph.stop();
    },
  };
}
