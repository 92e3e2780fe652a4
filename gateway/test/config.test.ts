import { ConfigError, loadConfig } from '@social/kit';
import { z } from 'zod';
import { corsFromConfig, edgeConfigShape, limitsFromConfig, watchFromConfig } from '../src/config.js';

/** The gateway's edge settings as an operator writes them in the environment. */

const schema = z.object(edgeConfigShape);
const load = (env: Record<string, string>) => loadConfig('gateway', schema, env);

test('unset and empty variables mean the defaults', () => {
  const empty = { BODY_LIMIT: '', MAX_BATCH_SIZE: '', APQ_TTL_SECONDS: '', LIMIT_MAX_DEPTH: '' };
  for (const env of [{}, empty] as Array<Record<string, string>>) {
    const config = load(env);
    expect(config).toMatchObject({
      BODY_LIMIT: '1mb',
      MAX_BATCH_SIZE: 0,
      APQ_ENABLED: true,
      APQ_CACHE_MAX_BYTES: 16 * 1024 * 1024,
      METRICS_ENABLED: true,
    });
    expect(limitsFromConfig(config)).toEqual({});
    expect(corsFromConfig(config)).toBeUndefined();
    expect(watchFromConfig(config, false)).toBe(true);
    expect(watchFromConfig(config, true)).toBe(false);
  }
});

test('limits, CORS origins and hot reload are read from the environment', () => {
  const config = load({
    LIMIT_MAX_DEPTH: '8',
    LIMIT_MAX_COST: '20000',
    LIMIT_MAX_ALIASES: '0',
    CORS_ORIGINS: 'https://app.example.com/, https://admin.example.com,localhost',
    CORS_CREDENTIALS: 'false',
    SUPERGRAPH_WATCH: 'true',
    MAX_BATCH_SIZE: '5',
  });
  expect(limitsFromConfig(config)).toEqual({ maxDepth: 8, maxCost: 20000, maxAliases: 0 });
  expect(corsFromConfig(config)).toEqual({
    origins: ['https://app.example.com', 'https://admin.example.com', 'localhost'],
    credentials: false,
  });
  expect(watchFromConfig(config, true)).toBe(true);
  expect(config.MAX_BATCH_SIZE).toBe(5);
});

test('bad values stop the gateway, naming each variable', () => {
  let error: unknown;
  try {
    load({ LIMIT_MAX_DEPTH: 'deep', BODY_LIMIT: 'huge', MAX_BATCH_SIZE: '1000', SUPERGRAPH_WATCH: 'yes' });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const problems = (error as ConfigError).problems.join('\n');
  for (const variable of ['LIMIT_MAX_DEPTH', 'BODY_LIMIT', 'MAX_BATCH_SIZE', 'SUPERGRAPH_WATCH']) {
    expect(problems).toContain(variable);
  }
});
