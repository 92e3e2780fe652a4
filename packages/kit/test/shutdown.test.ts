import { postGraphQL, subscribeGraphQL } from '@social/testing';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { runShutdown } from '../src/shutdown.js';
import { silentLogger } from '../src/logger.js';

const fixture = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));

/** Resolves with the first stdout line starting with `prefix`. */
function waitForLine(
  child: ChildProcessWithoutNullStreams,
  prefix: string,
  timeoutMs = 20_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`no "${prefix}" line within ${timeoutMs} ms: ${buffer}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith(prefix));
      if (line) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(line);
      }
    };
    child.stdout.on('data', onData);
  });
}

function healthOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url.replace(/\/graphql$/, '/health'), { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

test('SIGTERM during a slow request: the request completes, subscriptions close 1001, the process exits 0', async () => {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', fixture], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const [, url, token] = (await waitForLine(child, 'LISTENING')).split(' ') as [string, string, string];

    const subscription = subscribeGraphQL(url, 'subscription { ticks(channel: "c") { id } }', {}, { token });
    await waitForLine(child, 'SUBSCRIBED');

    const slowStarted = waitForLine(child, 'SLOW_STARTED');
    const slow = postGraphQL<{ slow: string }>(url, '{ slow(ms: 1500) }');
    await slowStarted;
    child.kill('SIGTERM');

    // The subscription is told the server is going away so the client reconnects elsewhere.
    await expect(subscription.next(5_000)).rejects.toMatchObject({ code: 1001 });
    await subscription.close();
    // New connections are refused while the in-flight request is still being served.
    await expect(healthOnNewConnection(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ slow: 'slept 1500' });
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (child.exitCode !== 0 && stderr) console.error(stderr);
  }
});

test('a shutdown step that hangs past the budget makes the shutdown unclean', async () => {
  const order: string[] = [];
  const clean = await runShutdown(
    [
      { name: 'server', run: async () => void order.push('server') },
      { name: 'stuck client', run: () => new Promise(() => undefined) },
      { name: 'never reached', run: async () => void order.push('never') },
    ],
    silentLogger(),
    200,
  );
  expect(clean).toBe(false);
  expect(order).toEqual(['server']);
});

test('a failing step is reported but later steps still run', async () => {
  const order: string[] = [];
  const clean = await runShutdown(
    [
      {
        name: 'server',
        run: async () => {
          throw new Error('already closed');
        },
      },
      { name: 'database', run: async () => void order.push('database') },
    ],
    silentLogger(),
    1_000,
  );
  expect(clean).toBe(false);
  expect(order).toEqual(['database']);
});
