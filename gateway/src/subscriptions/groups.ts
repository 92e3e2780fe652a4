import type { ExecutionResult } from 'graphql';
import type { EventStream } from './stream.js';
import type { UpstreamEvent, UpstreamFailure, UpstreamSink } from './upstream.js';

/** How a group's upstream operation runs: started once, each event resolved once for all members. */
export interface GroupSource {
  /** Starts the upstream operation delivering into `sink`; the returned function ends it. */
  start(sink: UpstreamSink): () => void;
  /** One event to the result every member receives (runs the rest of the plan). */
  resolve(event: UpstreamEvent): Promise<ExecutionResult>;
  /** The last result before the streams end because the upstream failed. */
  failure(failure: UpstreamFailure): ExecutionResult;
}

interface Group {
  readonly members: Set<EventStream>;
  source: GroupSource;
  stop: (() => void) | undefined;
  ended: boolean;
}

/**
 * Identical subscriptions share one upstream operation and one execution per event: the same
 * planned operation (same schema snapshot, document and operation name), the same variables, and
 * the same identity, i.e. the same `Authorization` (and client IP, which subgraphs see as the
 * request's origin). Each of a user's devices subscribed to a conversation with the same token
 * costs the subgraph and the gateway one operation instead of one per device.
 *
 * Only the identity's own subscriptions are merged, never two users' (or two sessions'): what the
 * subgraphs answer depends on the viewer (blocks, privacy, who may see a conversation), and a
 * session's expiry or revocation must end its subscriptions alone. Every member keeps its own
 * bounded queue, so a slow client is dropped without slowing the others; the upstream operation
 * ends with the last member, and when it ends every member's stream ends with it.
 */
export class SubscriptionGroups {
  private readonly groups = new Map<string, Group>();

  /** Adds `stream` to the group of `key`, starting the group's upstream with `source()` if there is none. */
  join(key: string, stream: EventStream, source: () => GroupSource): void {
    let group = this.groups.get(key);
    if (!group) {
      const created: Group = { members: new Set(), source: source(), stop: undefined, ended: false };
      group = created;
      this.groups.set(key, created);
      const end = (last?: ExecutionResult) => {
        if (created.ended) return;
        created.ended = true;
        created.stop = undefined;
        if (this.groups.get(key) === created) this.groups.delete(key);
        for (const member of created.members) member.finish(last);
        created.members.clear();
      };
      created.members.add(stream);
      const stop = created.source.start({
        next: (event) => {
          if (created.ended) return;
          const result = created.source.resolve(event);
          for (const member of created.members) member.push(result);
        },
        error: (failure) => end(created.source.failure(failure)),
        complete: () => end(),
      });
      // The upstream may have ended while starting.
      if (created.ended) stop();
      else created.stop = stop;
    } else {
      group.members.add(stream);
    }
    const joined = group;
    stream.onEnd(() => this.leave(key, joined, stream));
  }

  private leave(key: string, group: Group, stream: EventStream): void {
    if (!group.members.delete(stream) || group.members.size > 0 || group.ended) return;
    group.ended = true;
    if (this.groups.get(key) === group) this.groups.delete(key);
    const stop = group.stop;
    group.stop = undefined;
    stop?.();
  }
}
