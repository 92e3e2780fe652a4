/**
 * The launcher's parts that `npm run smoke:production` cannot break on purpose: the supervisor's
 * one-fate rule (a crash stops the rest and fails; a requested stop waits and succeeds only if
 * every child stopped cleanly; a child that ignores SIGTERM is killed and fails), the health
 * check's exit codes, and the environment `all` gives each service.
 */
import { jest } from '@jest/globals';
import { generateSigningKeys, silentLogger } from '@social/kit';
import { createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { healthcheckPort, runHealthcheck } from '../src/healthcheck.js';
import { childEnvironments } from '../src/launcher.js';
import { supervise, type ChildSpec } from '../src/supervisor.js';

/** A child that prints `up`, then on SIGTERM prints `bye` and exits with `code` (or ignores it). */
function child(name: string, onTerm: 'exit0' | 'exit3' | 'ignore', extra = ''): ChildSpec {
  const handler =
    onTerm === 'ignore'
      ? "process.on('SIGTERM', () => console.log('ignored'));"
      : `process.on('SIGTERM', () => { console.log('bye'); process.exit(${onTerm === 'exit0' ? 0 : 3}); });`;
  return {
    name,
    command: process.execPath,
    args: ['-e', `${handler} console.log('up'); ${extra} setInterval(() => {}, 1000);`],
    env: { PATH: process.env.PATH },
  };
}

/** Collects written text; `waitFor` resolves once it contains a string. */
function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return {
    stream,
    text: () => text,
    async waitFor(needle: string, count = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (text.split(needle).length - 1 < count) {
        if (Date.now() > deadline) throw new Error(`"${needle}" x${count} not seen in: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

test('a requested stop forwards SIGTERM, waits for every child and succeeds when all exited 0', async () => {
  const out = sink();
  const supervisor = supervise({
    children: [child('auth', 'exit0'), child('gateway', 'exit0')],
    logger: silentLogger(),
    stopTimeoutMs: 10_000,
    stdout: out.stream,
  });
  await out.waitFor('up', 2);
  expect(await supervisor.stop('SIGTERM')).toBe(0);
  // Every line carries its service's name, padded to the longest.
  expect(out.text()).toContain('[auth   ] up\n');
  expect(out.text()).toContain('[gateway] bye\n');
  expect(supervisor.exits.map((exit) => [exit.name, exit.code, exit.unexpected]).sort()).toEqual([
    ['auth', 0, false],
    ['gateway', 0, false],
  ]);
  expect(await supervisor.stop('again')).toBe(0);
}, 30_000);

test('a child that exits on its own stops the others, and the supervisor fails', async () => {
  const out = sink();
  const supervisor = supervise({
    children: [
      child('chat', 'exit0'),
      child('feed', 'exit0', "setTimeout(() => { console.error('boom'); process.exit(7); }, 300);"),
    ],
    logger: silentLogger(),
    stopTimeoutMs: 10_000,
    stdout: out.stream,
    stderr: out.stream,
  });
  expect(await supervisor.done).toBe(1);
  expect(out.text()).toContain('[feed] boom\n');
  expect(out.text()).toContain('[chat] bye\n');
  const feed = supervisor.exits.find((exit) => exit.name === 'feed');
  const chat = supervisor.exits.find((exit) => exit.name === 'chat');
  expect(feed).toMatchObject({ code: 7, unexpected: true });
  expect(chat).toMatchObject({ code: 0, unexpected: false });
}, 30_000);

test('a stop fails when a child has to be killed after the timeout, or exits non-zero on SIGTERM', async () => {
  const out = sink();
  const stubborn = supervise({
    children: [child('media', 'ignore')],
    logger: silentLogger(),
    stopTimeoutMs: 500,
    stdout: out.stream,
  });
  await out.waitFor('up');
  expect(await stubborn.stop('SIGTERM')).toBe(1);
  expect(out.text()).toContain('[media] ignored\n');
  expect(stubborn.exits[0]).toMatchObject({ signal: 'SIGKILL' });

  const failing = supervise({
    children: [child('profile', 'exit3')],
    logger: silentLogger(),
    stopTimeoutMs: 10_000,
    stdout: out.stream,
  });
  await out.waitFor('[profile] up');
  expect(await failing.stop('SIGTERM')).toBe(1);
  expect(failing.exits[0]).toMatchObject({ code: 3, unexpected: false });
}, 30_000);

test('a command that cannot be spawned fails the supervisor', async () => {
  const supervisor = supervise({
    children: [{ name: 'auth', command: '/nonexistent/node', args: [], env: {} }],
    logger: silentLogger(),
    stopTimeoutMs: 1_000,
  });
  expect(await supervisor.done).toBe(1);
  expect(supervisor.exits[0]).toMatchObject({ name: 'auth', unexpected: true });
});

describe('healthcheck', () => {
  let server: Server;
  let status = 200;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/health' ? status : 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('exits 0 when /health answers 200 and 1 otherwise', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    status = 200;
    expect(await runHealthcheck('chat', { PORT: String(port) })).toBe(0);
    expect(await runHealthcheck(undefined, { HEALTHCHECK_PORT: String(port), PORT: '1' })).toBe(0);
    status = 503;
    expect(await runHealthcheck('chat', { PORT: String(port) })).toBe(1);
    expect(await runHealthcheck('chat', { PORT: 'eighty' })).toBe(1);
    expect(errors).toHaveBeenCalledWith('PORT must be a port number (1-65535), got "eighty"');
    expect(errors).toHaveBeenCalledWith(`unhealthy: GET http://127.0.0.1:${port}/health: it answered 503`);
    errors.mockRestore();
  });

  test('probes the service default port when neither HEALTHCHECK_PORT nor PORT is set', () => {
    expect(healthcheckPort('chat', {})).toBe(4003);
    expect(healthcheckPort(undefined, { PORT: '' })).toBe(4000);
    expect(healthcheckPort('auth', { PORT: '5001' })).toBe(5001);
  });
});

test('`all` gives each service its port, the gateway every subgraph URL, and everyone the public key', async () => {
  const keys = await generateSigningKeys();
  const envs = childEnvironments({
    JWT_PRIVATE_KEY: keys.privateKeyPem,
    CHAT_PORT: '5003',
    GATEWAY_PORT: '5000',
    FEED_URL: 'http://feed.internal:4004/graphql',
  });
  expect(envs.get('auth')?.PORT).toBe('4001');
  expect(envs.get('chat')?.PORT).toBe('5003');
  const gateway = envs.get('gateway');
  expect(gateway?.PORT).toBe('5000');
  expect(gateway?.CHAT_URL).toBe('http://127.0.0.1:5003/graphql');
  expect(gateway?.PROFILE_URL).toBe('http://127.0.0.1:4002/graphql');
  expect(gateway?.FEED_URL).toBe('http://feed.internal:4004/graphql');
  // The derived public key verifies what the private key signs.
  const publicKey = envs.get('notification')?.JWT_PUBLIC_KEY;
  expect(publicKey).toContain('BEGIN PUBLIC KEY');
  const signature = sign(null, Buffer.from('token'), createPrivateKey(keys.privateKeyPem));
  expect(verify(null, Buffer.from('token'), createPublicKey(publicKey!), signature)).toBe(true);
  // A configured public key or JWKS URL is kept as it is.
  expect(
    childEnvironments({ JWT_PRIVATE_KEY: keys.privateKeyPem, JWT_JWKS_URL: 'http://a/jwks' }).get('chat')
      ?.JWT_PUBLIC_KEY,
  ).toBeUndefined();
  expect(() => childEnvironments({ JWT_PRIVATE_KEY: 'not a key' })).toThrow(
    /JWT_PRIVATE_KEY is not a readable private key/,
  );
});
