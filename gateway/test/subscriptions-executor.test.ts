/**
 * Subscription events resolved by our executor (src/execution/: plan run + compiled projection)
 * give the payloads `@apollo/gateway`'s `executeQueryPlan` gave: entity fields from other
 * subgraphs batched once per event with the subscriber's credentials, an entity fetch's errors
 * re-pathed, a failed fetch, null propagation, the event's own errors.
 */
import { jest } from '@jest/globals';
import type { ExecutionResult } from 'graphql';
import { PlanRun } from '../src/execution/plan.js';
import type { PreparedOperation } from '../src/subscriptions/planner.js';
import { planRequest as request, recordingSnapshot, type SubgraphAnswer } from './subscriptions-snapshot.js';

type Answer = SubgraphAnswer;

/** The fetches of one event, as the two executors must agree on them: subgraph, batch size, credentials. */
function snapshot(executor: 'ours' | 'apollo', answers: Record<string, Answer>) {
  const { snapshot: snap, fetches } = recordingSnapshot(answers, { eventExecutor: executor });
  const batches = () =>
    fetches.map(({ subgraph, variables, authorization }) => ({
      subgraph,
      count: (variables.representations as unknown[] | undefined)?.length ?? 0,
      authorization,
    }));
  return { snap, batches };
}

const REACTIONS = `subscription ($id: ID!, $skills: Boolean = true) {
  conversationEvents(conversationId: $id) {
    __typename
    ... on MessageReactionChangedEvent {
      message { id reactions { users { id displayName skills @include(if: $skills) { name } } } }
    }
    ... on MessageAddedEvent { message { content sender { id displayName } } }
  }
}`;

const reactionEvent = {
  data: {
    conversationEvents: {
      __typename: 'MessageReactionChangedEvent',
      message: {
        id: 'm1',
        reactions: [
          {
            users: [
              { __typename: 'User', id: 'u1' },
              { __typename: 'User', id: 'u2' },
            ],
          },
          { users: [{ __typename: 'User', id: 'u3' }] },
        ],
      },
    },
  },
};

const profiles = (
  shape: (id: string, index: number) => unknown,
  errors?: (ids: string[]) => unknown[],
): Answer => {
  return (variables) => {
    const ids = (variables.representations as Array<{ id: string }>).map(({ id }) => id);
    return { data: { _entities: ids.map(shape) }, ...(errors ? { errors: errors(ids) } : {}) };
  };
};

const CASES: ReadonlyArray<{
  name: string;
  answers: Record<string, Answer>;
  event: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
  variables?: Record<string, unknown>;
}> = [
  {
    name: 'profile fields, one batch',
    answers: { profile: profiles((id) => ({ displayName: `Name ${id}`, skills: [{ name: `s-${id}` }] })) },
    event: reactionEvent,
  },
  {
    name: 'skip by variable',
    answers: { profile: profiles((id) => ({ displayName: `Name ${id}` })) },
    event: reactionEvent,
    variables: { skills: false },
  },
  {
    name: 'entity fetch with an error on one entity',
    answers: {
      profile: profiles(
        (id, i) => (i === 1 ? null : { displayName: `Name ${id}`, skills: [] }),
        () => [{ message: 'Blocked', path: ['_entities', 1], extensions: { code: 'FORBIDDEN' } }],
      ),
    },
    event: reactionEvent,
  },
  { name: 'profile down', answers: {}, event: reactionEvent },
  {
    name: 'null propagation from a non-null field',
    answers: {
      profile: profiles((id, i) => ({ displayName: `Name ${id}`, skills: [{ name: i === 0 ? null : 'x' }] })),
    },
    event: reactionEvent,
  },
  {
    name: 'the event’s own errors next to its data',
    answers: { profile: profiles((id) => ({ displayName: `Name ${id}` })) },
    event: {
      data: {
        conversationEvents: {
          __typename: 'MessageAddedEvent',
          message: { content: 'hi', sender: { __typename: 'User', id: 'u9' } },
        },
      },
      errors: [{ message: 'Partly hidden', extensions: { code: 'FORBIDDEN' } }],
    },
  },
  {
    name: 'event data null with an error',
    answers: {},
    event: { data: null, errors: [{ message: 'Not a participant', extensions: { code: 'FORBIDDEN' } }] },
  },
];

const plain = (result: ExecutionResult) => JSON.parse(JSON.stringify(result)) as unknown;

test.each(CASES)('$name: our executor gives the old payload', async ({ answers, event, variables }) => {
  const vars = { id: 'c1', ...variables };
  const results = [];
  const fetchLogs = [];
  for (const executor of ['ours', 'apollo'] as const) {
    const { snap, batches } = snapshot(executor, answers);
    const prepared = snap.prepare(REACTIONS, undefined, vars) as PreparedOperation;
    expect(prepared.kind).toBe('subscription');
    results.push(plain(await snap.resolveEvent(prepared, event, request(REACTIONS, vars))));
    fetchLogs.push(batches());
  }
  expect(results[0]).toEqual(results[1]);
  expect(fetchLogs[0]).toEqual(fetchLogs[1]);
});

test('the cases exercise what they name', async () => {
  const run = async (index: number) => {
    const { answers, event, variables } = CASES[index]!;
    const vars = { id: 'c1', ...variables };
    const { snap, batches } = snapshot('ours', answers);
    const prepared = snap.prepare(REACTIONS, undefined, vars) as PreparedOperation;
    const result = plain(await snap.resolveEvent(prepared, event, request(REACTIONS, vars)));
    return { result, fetches: batches() };
  };
  const planRuns = jest.spyOn(PlanRun.prototype, 'run');
  const batched = await run(0);
  // Our executor ran the event's plan (not executeQueryPlan).
  expect(planRuns).toHaveBeenCalled();
  planRuns.mockRestore();
  expect(batched.fetches).toEqual([{ subgraph: 'profile', count: 3, authorization: 'Bearer alice' }]);
  expect(batched.result).toMatchObject({
    data: {
      conversationEvents: { message: { reactions: [{ users: [{ displayName: 'Name u1' }, {}] }, {}] } },
    },
  });
  const blocked = (await run(2)).result as { errors: Array<{ message: string; path: unknown[] }> };
  expect(blocked.errors[0]).toMatchObject({
    message: 'Blocked',
    path: ['conversationEvents', 'message', 'reactions', 0, 'users', 1],
  });
  const down = (await run(3)).result as { errors: unknown[]; data: unknown };
  expect(down.errors).toHaveLength(1);
  expect(down.data).toMatchObject({ conversationEvents: { message: { id: 'm1' } } });
  const nulled = (await run(4)).result as {
    data: { conversationEvents: { message: { reactions: Array<{ users: Array<{ skills: unknown }> }> } } };
  };
  expect(nulled.data.conversationEvents.message.reactions[0]!.users[0]!.skills).toBeNull();
  expect(nulled.data.conversationEvents.message.reactions[0]!.users[1]!.skills).toEqual([{ name: 'x' }]);
});
