import type { Db } from 'mongodb';
import type { TestAccount } from './accounts.js';
import type { Supergraph } from './harness.js';
import { gatewayOperations } from './operations.js';
import { eventually } from './wait.js';

/**
 * Changes of the social graph made as a person makes them (profile's mutations through the
 * gateway), each resolving once every given service's social replica (the kit's SocialReplica,
 * collection `social_edges`) holds the new edge: what feed, chat and notification decide by.
 */
export interface SocialActions {
  /** A friend request from `a`, accepted by `b`. */
  befriend(a: TestAccount, b: TestAccount): Promise<void>;
  follow(follower: TestAccount, followee: TestAccount): Promise<void>;
  block(blocker: TestAccount, blocked: TestAccount): Promise<void>;
  unblock(blocker: TestAccount, blocked: TestAccount): Promise<void>;
}

export function socialActions(
  supergraph: Supergraph,
  replicas: readonly Db[],
  options: { timeoutMs?: number } = {},
): SocialActions {
  const { run } = gatewayOperations(supergraph);
  const edge = (id: string, active: boolean) =>
    Promise.all(
      replicas.map((db) =>
        eventually(
          () => db.collection('social_edges').findOne({ _id: id as never }),
          (found) => (found?.active ?? false) === active,
          {
            what: `edge ${id} ${active ? 'active' : 'gone'} in ${db.databaseName}`,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          },
        ),
      ),
    );
  return {
    async befriend(a, b) {
      const sent = await run<{ sendFriendRequest: { id: string } }>(
        'mutation ($id: ID!) { sendFriendRequest(userId: $id) { id } }',
        { id: b.id },
        a,
      );
      await run(
        'mutation ($id: ID!) { respondToFriendRequest(requestId: $id, accept: true) { id } }',
        { id: sent.sendFriendRequest.id },
        b,
      );
      await Promise.all([edge(`friend:${a.id}:${b.id}`, true), edge(`friend:${b.id}:${a.id}`, true)]);
    },
    async follow(follower, followee) {
      await run('mutation ($id: ID!) { follow(userId: $id) { id } }', { id: followee.id }, follower);
      await edge(`follow:${follower.id}:${followee.id}`, true);
    },
    async block(blocker, blocked) {
      await run('mutation ($id: ID!) { block(userId: $id) { id } }', { id: blocked.id }, blocker);
      await edge(`block:${blocker.id}:${blocked.id}`, true);
    },
    async unblock(blocker, blocked) {
      await run('mutation ($id: ID!) { unblock(userId: $id) { id } }', { id: blocked.id }, blocker);
      await edge(`block:${blocker.id}:${blocked.id}`, false);
    },
  };
}
