import { GraphQLError } from 'graphql';
import { badUserInput, maskError, notFound, rateLimited } from '../src/errors.js';

test('constructors carry the shared codes and useful extensions', () => {
  expect(notFound('Post', 'p1').extensions).toEqual({ code: 'NOT_FOUND', entity: 'Post', id: 'p1' });
  expect(notFound('Post').message).toBe('Post not found');
  expect(badUserInput('bio must be at most 500 characters', 'input.bio').extensions).toEqual({
    code: 'BAD_USER_INPUT',
    field: 'input.bio',
  });
  expect(rateLimited(2.2).extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 3 });
});

describe('maskError', () => {
  const internal = {
    message: 'connection refused at 10.0.0.5:27017',
    path: ['post'],
    extensions: { code: 'ECONNREFUSED' },
  };

  test('in production an internal error reaches the client as a generic message and is reported', () => {
    const reported: unknown[] = [];
    const format = maskError({
      exposeInternal: false,
      onInternal: (_f, original) => reported.push(original),
    });
    const original = new Error('boom');
    expect(format(internal, original)).toEqual({
      message: 'Internal server error',
      path: ['post'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(reported).toEqual([original]);
  });

  test('errors raised on purpose pass through, without stack traces in production', () => {
    const format = maskError({ exposeInternal: false });
    const formatted = { message: 'Post not found', extensions: { code: 'NOT_FOUND', stacktrace: ['at x'] } };
    expect(format(formatted, new GraphQLError('Post not found'))).toEqual({
      message: 'Post not found',
      extensions: { code: 'NOT_FOUND' },
    });
  });

  test('in production an outage keeps its reason, with a message naming no service or address', () => {
    const reported: unknown[] = [];
    const format = maskError({
      exposeInternal: false,
      onInternal: (_f, original) => reported.push(original),
    });
    const outage = {
      message: 'The profile service is unavailable',
      path: ['post', 'author'],
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        reason: 'SUBGRAPH_UNAVAILABLE',
        serviceName: 'profile',
        stacktrace: ['Error: connect ECONNREFUSED 10.0.0.5:4002'],
      },
    };
    expect(format(outage, new Error('connect ECONNREFUSED'))).toEqual({
      message: 'A service this field needs is temporarily unavailable, try again shortly',
      path: ['post', 'author'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'SUBGRAPH_UNAVAILABLE' },
    });
    // Still reported (logged) as an internal error; an unknown reason is masked as before.
    expect(reported).toHaveLength(1);
    const spoofed = { ...internal, extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'ANYTHING' } };
    expect(format(spoofed, new Error('boom')).message).toBe('Internal server error');
  });

  test('in development the internal message stays visible, coded INTERNAL_SERVER_ERROR', () => {
    const format = maskError({ exposeInternal: true });
    expect(format(internal, new Error('boom'))).toMatchObject({
      message: internal.message,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });
});
