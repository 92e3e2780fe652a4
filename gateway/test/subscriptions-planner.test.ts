/**
 * The planner glue of federated subscriptions, without servers: what goes to the owning subgraph,
 * what each event fetches afterwards (batched), and how the result is shaped.
 */
import { GraphQLError } from 'graphql';
import type { OperationValidator, PreparedOperation, SchemaSnapshot } from '../src/subscriptions/planner.js';
import { planRequest as request, recordingSnapshot } from './subscriptions-snapshot.js';

/** Subgraphs answering with data only (a subgraph without an answer is down). */
function snapshotWith(
  answers: Record<string, (variables: Record<string, unknown>) => Record<string, unknown>>,
  validate?: OperationValidator,
) {
  const withData = Object.fromEntries(
    Object.entries(answers).map(([name, answer]) => [
      name,
      (variables: Record<string, unknown>) => ({ data: answer(variables) }),
    ]),
  );
  return recordingSnapshot(withData, validate ? { validate } : {});
}

function prepared(
  snapshot: SchemaSnapshot,
  query: string,
  variables: Record<string, unknown>,
): PreparedOperation {
  const result = snapshot.prepare(query, undefined, variables);
  if (!('plan' in result)) throw new Error(JSON.stringify(result));
  return result;
}

const CHAT_ONLY = `subscription ($id: ID!) {
  conversationEvents(conversationId: $id) { ... on MessageAddedEvent { message { content sender { id } } } }
}`;

test('a subscription selecting only chat fields goes to chat alone and needs no follow-up fetch', async () => {
  const { snapshot, fetches } = snapshotWith({});
  const operation = prepared(snapshot, CHAT_ONLY, { id: 'c1', unused: 1 });
  expect(operation.kind).toBe('subscription');
  expect(operation.hasFollowUpFetches).toBe(false);
  const upstream = snapshot.primaryRequest(operation, { id: 'c1', unused: 1 });
  expect(upstream).toMatchObject({ subgraph: 'chat', variables: { id: 'c1' } });
  expect(upstream.query).toContain('conversationEvents(conversationId:$id)');

  // The event as chat sends it, with the __typename the plan asked for.
  const result = await snapshot.resolveEvent(
    operation,
    {
      data: {
        conversationEvents: {
          __typename: 'MessageAddedEvent',
          message: { content: 'hi', sender: { id: 'u1' } },
        },
      },
    },
    request(CHAT_ONLY, { id: 'c1' }),
  );
  expect(fetches).toEqual([]);
  expect(result).toEqual({
    data: { conversationEvents: { message: { content: 'hi', sender: { id: 'u1' } } } },
  });
});

const WITH_PROFILES = `subscription ($id: ID!) {
  conversationEvents(conversationId: $id) {
    ... on MessageReactionChangedEvent { message { reactions { users { displayName } } } }
  }
}`;

test('profile fields of an event are fetched in one batch per event, with the client’s credentials', async () => {
  const names: Record<string, string> = { u1: 'Ann', u2: 'Ben', u3: 'Cy' };
  const { snapshot, fetches } = snapshotWith({
    profile: (variables) => ({
      _entities: (variables.representations as Array<{ id: string }>).map(({ id }) => ({
        displayName: names[id],
      })),
    }),
  });
  const operation = prepared(snapshot, WITH_PROFILES, { id: 'c1' });
  expect(operation.hasFollowUpFetches).toBe(true);
  const upstream = snapshot.primaryRequest(operation, { id: 'c1' });
  // Chat is asked only for what it owns: the users' keys, to fetch the rest from profile.
  expect(upstream.query).not.toContain('displayName');

  const event = {
    data: {
      conversationEvents: {
        __typename: 'MessageReactionChangedEvent',
        message: {
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
  const result = await snapshot.resolveEvent(operation, event, request(WITH_PROFILES, { id: 'c1' }));
  expect(result).toEqual({
    data: {
      conversationEvents: {
        message: {
          reactions: [
            { users: [{ displayName: 'Ann' }, { displayName: 'Ben' }] },
            { users: [{ displayName: 'Cy' }] },
          ],
        },
      },
    },
  });
  expect(fetches).toHaveLength(1);
  expect(fetches[0]).toMatchObject({ subgraph: 'profile', authorization: 'Bearer alice' });
  expect((fetches[0]?.variables.representations as unknown[]).length).toBe(3);

  // The next event fetches again: nothing is cached between events.
  await snapshot.resolveEvent(operation, event, request(WITH_PROFILES, { id: 'c1' }));
  expect(fetches).toHaveLength(2);
});

test('an event’s own errors are kept, attributed to the owning subgraph', async () => {
  const { snapshot } = snapshotWith({});
  const operation = prepared(snapshot, CHAT_ONLY, { id: 'c1' });
  const refused = await snapshot.resolveEvent(
    operation,
    { errors: [{ message: 'Not a participant', extensions: { code: 'FORBIDDEN' } }] },
    request(CHAT_ONLY, { id: 'c1' }),
  );
  expect(refused.data).toBeUndefined();
  expect(refused.errors?.map((error) => error.toJSON())).toEqual([
    { message: 'Not a participant', extensions: { code: 'FORBIDDEN', serviceName: 'chat' } },
  ]);
});

test('invalid operations and variables are refused with the codes HTTP uses; plans are cached', () => {
  const { snapshot } = snapshotWith({});
  const unknownField = snapshot.prepare(
    'subscription { conversationEvents(conversationId: "1") { nope } }',
    undefined,
    {},
  );
  expect(unknownField).toEqual([
    expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
  ]);
  const syntax = snapshot.prepare('subscription {', undefined, {});
  expect(syntax).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
  const badVariables = snapshot.prepare(CHAT_ONLY, undefined, { id: { not: 'an id' } });
  expect(badVariables).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })]);
  expect(prepared(snapshot, CHAT_ONLY, { id: 'a' })).toBe(prepared(snapshot, CHAT_ONLY, { id: 'b' }));
});

test('the validation hook sees every operation with its variables, before it is planned', () => {
  const seen: Array<Record<string, unknown>> = [];
  const tooMany = new GraphQLError('Too many', { extensions: { code: 'OPERATION_LIMIT_EXCEEDED' } });
  const { snapshot } = snapshotWith({}, (_schema, _document, _name, variables) => {
    seen.push({ ...variables });
    return variables.id === 'huge' ? [tooMany] : [];
  });
  expect(snapshot.prepare(CHAT_ONLY, undefined, { id: 'huge' })).toEqual([tooMany]);
  expect('plan' in snapshot.prepare(CHAT_ONLY, undefined, { id: 'small' })).toBe(true);
  expect(snapshot.prepare(CHAT_ONLY, undefined, { id: 'huge' })).toEqual([tooMany]);
  expect(seen).toEqual([{ id: 'huge' }, { id: 'small' }, { id: 'huge' }]);
});
