import { z } from 'zod';
import {
  ConfigError,
  baseConfigShape,
  loadConfig,
  optionalUrl,
  port,
  processConfigSchema,
} from '../src/config.js';

const schema = z.object({ ...baseConfigShape, PORT: port(4001), MONGO_URL: optionalUrl() });

test('defaults fill what the environment leaves out, typed', () => {
  const config = loadConfig('profile', schema, {});
  expect(config).toMatchObject({ NODE_ENV: 'development', LOG_LEVEL: 'info', PORT: 4001, LOG_PRETTY: false });
  expect(config.REDIS_URL).toBeUndefined();
});

test('values are coerced from strings and empty strings count as unset', () => {
  const config = loadConfig('profile', schema, { PORT: '5000', LOG_PRETTY: 'true', REDIS_URL: '' });
  expect(config.PORT).toBe(5000);
  expect(config.LOG_PRETTY).toBe(true);
  expect(config.REDIS_URL).toBeUndefined();
});

test('every invalid variable is named in one clear error', () => {
  const attempt = () =>
    loadConfig('profile', schema, { PORT: 'eighty', NODE_ENV: 'staging', MONGO_URL: 'not a url' });
  expect(attempt).toThrow(ConfigError);
  try {
    attempt();
  } catch (error) {
    const message = (error as Error).message;
    expect(message).toContain('Invalid configuration for profile');
    expect(message).toMatch(/PORT: /);
    expect(message).toMatch(/NODE_ENV: /);
    expect(message).toMatch(/MONGO_URL: /);
    expect((error as ConfigError).problems).toHaveLength(3);
  }
});

test('a service cannot start without a way to verify access tokens', () => {
  expect(() => loadConfig('chat', processConfigSchema, {})).toThrow(
    /JWT_PUBLIC_KEY: one of JWT_PUBLIC_KEY or JWT_JWKS_URL/,
  );
  expect(
    loadConfig('chat', processConfigSchema, { JWT_JWKS_URL: 'http://auth:4001/.well-known/jwks.json' })
      .JWT_ALGORITHM,
  ).toBe('EdDSA');
});

test('a production service cannot start without Redis, which carries events between processes', () => {
  const jwks = { JWT_JWKS_URL: 'http://auth:4001/.well-known/jwks.json' };
  expect(() => loadConfig('chat', processConfigSchema, { ...jwks, NODE_ENV: 'production' })).toThrow(
    /REDIS_URL: is required in production/,
  );
  expect(
    loadConfig('chat', processConfigSchema, {
      ...jwks,
      NODE_ENV: 'production',
      REDIS_URL: 'redis://redis:6379',
    }).REDIS_URL,
  ).toBe('redis://redis:6379');
  expect(loadConfig('chat', processConfigSchema, jwks).REDIS_URL).toBeUndefined();
});
