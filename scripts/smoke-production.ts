/**
 * `npm run smoke:production` (after `npm run build`; CI runs both): the compiled services in
 * production mode, started the way `npm start` starts them (`node packages/launcher/dist/cli.js
 * all`, NODE_ENV=production), against this machine's PostgreSQL (127.0.0.1:5432, a fresh
 * database dropped at the end) and Redis (127.0.0.1:6379, a key prefix of its own, deleted at the
 * end) and the compiled embedded MongoDB on a free port. Through the gateway, as a client would:
 *
 *   register → verify the email (code from the mail outbox) → log in → create a post → the home
 *   feed shows it → a second user → a direct conversation → a message, received live on a
 *   graphql-ws subscription through the gateway and read back from the history.
 *
 * Also: production mode shows (introspection refused), every process is plain `node` running
 * compiled JavaScript (no TypeScript loader on its command line or in NODE_OPTIONS), `cli.js
 * healthcheck` answers, and on SIGTERM every service and the launcher exit 0 within the timeout.
 * Any failed step exits 1 with the launcher's log.
 */
import { SERVICE_NAMES, generateSigningKeys, serviceInfo, type ServiceName } from '@social/kit';
import {
  connectGraphQL,
  eventually,
  latestMail,
  loginAccount,
  postGraphQL,
  type GraphQLResponse,
  type RequestOptions,
} from '@social/testing';
import { MONGO_EMBEDDED_BIN, uriOfChild } from '@social/mongo-embedded';
import { freePorts } from '@social/stack';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { repoRoot } from './subgraphs.js';

const POSTGRES_SERVER = process.env.SMOKE_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.SMOKE_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SHUTDOWN_TIMEOUT_MS = 10_000;
const LAUNCHER = join(repoRoot, 'packages/launcher/dist/cli.js');

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
function step(message: string): void {
  console.log(`[smoke ${elapsed().padStart(6)}] ${message}`);
}

class SmokeFailure extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SmokeFailure(message);
}

/** Waits for a child to exit (resolves with its code and signal), or undefined after `timeoutMs`. */
function exited(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    timer.unref();
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** A process's command line and environment, from /proc. */
function processInfo(pid: number): { argv: string[]; env: Map<string, string> } {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const env = new Map<string, string>();
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return { argv, env };
}

/** The direct children of a process (Linux: /proc/<pid>/task/<tid>/children). */
function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

/** Fails when a process runs anything but compiled JavaScript on plain node. */
function assertCompiledNode(pid: number, what: string): string[] {
  const { argv, env } = processInfo(pid);
  const loaderHint = /tsx|ts-node|--loader|--experimental-loader|--import|\.ts$|--conditions/;
  check(argv[0] === process.execPath || argv[0]?.endsWith('/node'), `${what} is not node: ${argv.join(' ')}`);
  check(
    !argv.some((arg) => loaderHint.test(arg)),
    `${what} runs with a TypeScript loader: ${argv.join(' ')}`,
  );
  const nodeOptions = env.get('NODE_OPTIONS') ?? '';
  check(!loaderHint.test(nodeOptions), `${what} has NODE_OPTIONS=${nodeOptions}`);
  check(env.get('NODE_ENV') === 'production', `${what} has NODE_ENV=${env.get('NODE_ENV')}`);
  return argv;
}

type Query = <T>(
  query: string,
  variables?: Record<string, unknown>,
  options?: RequestOptions,
) => Promise<GraphQLResponse<T>>;

/** The operation's data; any error fails the smoke test, naming the step. */
async function data<T>(
  query: Query,
  what: string,
  document: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await query<T>(document, variables, token ? { token } : {});
  check(
    !response.errors?.length && response.data,
    `${what} failed (HTTP ${response.status}): ${JSON.stringify(response.errors ?? response.data)}`,
  );
  return response.data as T;
}

interface Person {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

/** Register → verification code from the outbox → verifyEmail → login, each step checked. */
async function signUp(query: Query, outbox: string, name: string): Promise<Person> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 8);
  const username = `${name}_${suffix}`;
  const email = `${username}@example.com`;
  const password = `Sturdy-${suffix}-Pass!`;
  const registered = await data<{ register: { user: { id: string; username: string } } }>(
    query,
    `register ${name}`,
    'mutation ($input: RegisterInput!) { register(input: $input) { user { id username } } }',
    { input: { username, email, password, firstName: name, lastName: 'Tester' } },
  );
  check(registered.register.user.username === username, `register ${name} returned another user`);
  step(`registered ${username}`);
  const mail = await eventually(
    () => latestMail(outbox, email, 'email-verification'),
    (found) => found?.data?.code !== undefined,
    { what: `the verification mail to ${email}`, timeoutMs: 10_000 },
  );
  const verified = await data<{ verifyEmail: boolean }>(
    query,
    `verifyEmail ${name}`,
    'mutation ($input: VerifyEmailInput!) { verifyEmail(input: $input) }',
    { input: { email, code: mail?.data?.code } },
  );
  check(verified.verifyEmail === true, `verifyEmail ${name} returned ${verified.verifyEmail}`);
  const session = await loginAccount(query, username, password);
  check(session.token.split('.').length === 3, `login ${name} returned no access token`);
  const me = await data<{ me: { id: string; username: string } }>(
    query,
    `me as ${name}`,
    '{ me { id username } }',
    {},
    session.token,
  );
  check(me.me.id === registered.register.user.id, `me as ${name} is ${JSON.stringify(me.me)}`);
  step(`${username}: email verified, logged in`);
  return { id: me.me.id, username, token: session.token };
}

async function main(): Promise<void> {
  const missing = [LAUNCHER, MONGO_EMBEDDED_BIN.replace('bin/mongo-embedded.js', 'dist/cli.js')]
    .concat(SERVICE_NAMES.map((name) => join(repoRoot, serviceInfo(name).dir, 'dist/index.js')))
    .filter((file) => !existsSync(file));
  check(missing.length === 0, `not built (run \`npm run build\` first): ${missing.join(', ')}`);

  const runId = randomBytes(4).toString('hex');
  const work = mkdtempSync(join(tmpdir(), `smoke-production-${runId}-`));
  const databaseName = `smoke_${runId}`;
  const redisPrefix = `smoke-${runId}:`;
  const launcherLog = join(work, 'launcher.log');
  const cleanups: Array<[string, () => Promise<unknown>]> = [];
  let launcher: ChildProcess | undefined;
  let failed = false;

  try {
    const [mongoPort, closedPort, ...servicePorts] = await freePorts(2 + SERVICE_NAMES.length);
    const ports = new Map<ServiceName, number>(
      SERVICE_NAMES.map((name, index) => [name, servicePorts[index]!]),
    );
    const gatewayUrl = `http://127.0.0.1:${ports.get('gateway')}/graphql`;

    // The embedded MongoDB, compiled (its bin prefers dist/), on a temporary data directory.
    const mongo = spawn(
      process.execPath,
      [MONGO_EMBEDDED_BIN, '--port', String(mongoPort), '--data', join(work, 'mongo'), '--quiet'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push([
      'mongo-embedded',
      async () => {
        mongo.kill('SIGTERM');
        if (!(await exited(mongo, 10_000))) mongo.kill('SIGKILL');
      },
    ]);
    const mongoUrl = await uriOfChild(mongo);
    step(`embedded MongoDB at ${mongoUrl}`);

    const admin = new pg.Client({ connectionString: POSTGRES_SERVER });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${databaseName}`);
    } finally {
      await admin.end();
    }
    cleanups.push([
      `database ${databaseName}`,
      async () => {
        const client = new pg.Client({ connectionString: POSTGRES_SERVER });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    ]);
    const databaseUrl = new URL(POSTGRES_SERVER);
    databaseUrl.pathname = `/${databaseName}`;
    step(`PostgreSQL database ${databaseName}`);

    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    cleanups.push([
      `redis keys ${redisPrefix}*`,
      async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
        redis.disconnect();
      },
    ]);

    const keys = await generateSigningKeys();
    const outbox = join(work, 'mail-outbox.jsonl');
    // A clean environment: nothing of this (tsx-run) process leaks in, NODE_OPTIONS included.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl.toString(),
      MONGO_URL: mongoUrl,
      REDIS_URL,
      REDIS_KEY_PREFIX: redisPrefix,
      // Only the private key: `all` derives the public key every service verifies with.
      JWT_PRIVATE_KEY: keys.privateKeyPem,
      BCRYPT_COST: '10',
      MAIL_OUTBOX: outbox,
      MEDIA_STORAGE_DIR: join(work, 'media'),
      MEDIA_URL_SECRET: randomBytes(32).toString('hex'),
      MEDIA_PUBLIC_URL: `http://127.0.0.1:${ports.get('media')}`,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      ...Object.fromEntries(
        SERVICE_NAMES.map((name) => [`${name.toUpperCase()}_PORT`, String(ports.get(name))]),
      ),
    };
    const log = createWriteStream(launcherLog);
    const launched = spawn(process.execPath, [LAUNCHER, 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    launcher = launched;
    launched.stdout!.pipe(log, { end: false });
    launched.stderr!.pipe(log, { end: false });
    const launcherExit = exited(launched, 24 * 3600_000);
    step(`node packages/launcher/dist/cli.js all (pid ${launched.pid}), gateway on ${gatewayUrl}`);

    const readyUrl = gatewayUrl.replace('/graphql', '/ready');
    await Promise.race([
      eventually(
        () =>
          fetch(readyUrl)
            .then((response) => response.status)
            .catch(() => 0),
        (status) => status === 200,
        { what: `${readyUrl} answering 200`, timeoutMs: 90_000 },
      ),
      launcherExit.then((exit) => {
        throw new SmokeFailure(`the launcher exited before the gateway was ready: ${JSON.stringify(exit)}`);
      }),
    ]);
    step('gateway /ready: every subgraph answers');

    // Seven services, each a child of the launcher, each plain node on compiled code.
    assertCompiledNode(launched.pid!, 'the launcher');
    const services = new Map<string, number>();
    for (const pid of childPids(launched.pid!)) {
      const argv = assertCompiledNode(pid, `process ${pid}`);
      check(argv.at(-2) === LAUNCHER, `process ${pid} is not the compiled launcher: ${argv.join(' ')}`);
      services.set(argv.at(-1)!, pid);
    }
    check(
      [...services.keys()].sort().join() === [...SERVICE_NAMES].sort().join(),
      `the launcher runs ${[...services.keys()].join(', ')}`,
    );
    step(
      `7 services on plain node from dist/ (pids ${[...services.values()].join(', ')}), no TypeScript loader`,
    );

    const healthcheck = (args: string[], portEnv: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const probe = spawn(process.execPath, [LAUNCHER, 'healthcheck', ...args], {
          env: { PATH: process.env.PATH, ...portEnv },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        probe.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        probe.on('close', (code) => resolve({ code, stderr }));
      });
    const probes = await Promise.all([
      ...SERVICE_NAMES.map((name) => healthcheck([name], { PORT: String(ports.get(name)) })),
      healthcheck([], { HEALTHCHECK_PORT: String(closedPort) }),
    ]);
    SERVICE_NAMES.forEach((name, index) =>
      check(
        probes[index]?.code === 0,
        `healthcheck ${name} exited ${probes[index]?.code}: ${probes[index]?.stderr}`,
      ),
    );
    check(probes.at(-1)?.code === 1, `healthcheck of a closed port exited ${probes.at(-1)?.code}`);
    step('cli.js healthcheck: 0 for every service, 1 for a closed port');

    const query: Query = (document, variables, options) =>
      postGraphQL(gatewayUrl, document, variables, options);
    const introspection = await query<{ __schema?: unknown }>('{ __schema { queryType { name } } }');
    check(
      introspection.errors?.length && !introspection.data?.__schema,
      `introspection answered in production: ${JSON.stringify(introspection.data)}`,
    );
    step(`production mode: introspection refused (${introspection.errors?.[0]?.message})`);

    const alice = await signUp(query, outbox, 'alice');
    const content = `Hello from the production smoke test ${runId}`;
    const post = await data<{ createPost: { id: string; content: string; author: { id: string } } }>(
      query,
      'createPost',
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { id content author { id } } }',
      { input: { content, visibility: 'PUBLIC' } },
      alice.token,
    );
    check(
      post.createPost.content === content && post.createPost.author.id === alice.id,
      'createPost returned another post',
    );
    step(`alice posted ${post.createPost.id}`);
    type Feed = {
      feed: { edges: Array<{ node: { id: string; content: string; author: { username: string } } }> };
    };
    const feed = await eventually(
      () =>
        data<Feed>(
          query,
          'feed',
          '{ feed(first: 10) { edges { node { id content author { username } } } } }',
          {},
          alice.token,
        ),
      (page) => page.feed.edges.some((edge) => edge.node.id === post.createPost.id),
      { what: "the post in alice's home feed", timeoutMs: 15_000 },
    );
    const inFeed = feed.feed.edges.find((edge) => edge.node.id === post.createPost.id)!.node;
    check(
      inFeed.content === content && inFeed.author.username === alice.username,
      `feed shows ${JSON.stringify(inFeed)}`,
    );
    step("alice's home feed shows the post, author resolved by auth");

    const bob = await signUp(query, outbox, 'bob');
    const conversation = await data<{ startDirectConversation: { id: string } }>(
      query,
      'startDirectConversation',
      'mutation ($id: ID!) { startDirectConversation(userId: $id) { id } }',
      { id: bob.id },
      alice.token,
    );
    const conversationId = conversation.startDirectConversation.id;
    step(`alice started conversation ${conversationId} with bob`);

    const socket = connectGraphQL(gatewayUrl, { token: bob.token });
    cleanups.push(['subscription socket', () => socket.close()]);
    type Added = {
      conversationEvents: {
        __typename: string;
        message?: { id: string; content: string; sender: { username: string } };
      };
    };
    const events = socket.subscribe<Added>(
      `subscription ($id: ID!) {
        conversationEvents(conversationId: $id) {
          __typename
          ... on MessageAddedEvent { message { id content sender { username } } }
        }
      }`,
      { id: conversationId },
    );
    await events.connected;
    // The chat service listens on Redis once the gateway's upstream subscription reached it.
    const channel = `${redisPrefix}chat:conversation:${conversationId}`;
    await eventually(
      async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1],
      (count) => count > 0,
      { what: `a subscriber on ${channel}`, timeoutMs: 15_000 },
    );
    step('bob subscribed to the conversation through the gateway (graphql-ws)');

    const text = `Hi bob, ${runId}`;
    const sent = await data<{ sendMessage: { id: string; sequence: number } }>(
      query,
      'sendMessage',
      'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id sequence } }',
      { input: { conversationId, clientMessageId: randomUUID(), content: text } },
      alice.token,
    );
    step(`alice sent message ${sent.sendMessage.id}`);
    const event = await events.next(15_000);
    const live = event.data?.conversationEvents;
    check(
      live?.__typename === 'MessageAddedEvent' &&
        live.message?.id === sent.sendMessage.id &&
        live.message.content === text &&
        live.message.sender.username === alice.username,
      `bob's subscription delivered ${JSON.stringify(event)}`,
    );
    step('bob received it live, sender resolved across subgraphs');

    const history = await data<{
      messages: { edges: Array<{ node: { id: string; content: string; sender: { id: string } } }> };
    }>(
      query,
      'messages',
      'query ($id: ID!) { messages(conversationId: $id, last: 10) { edges { node { id content sender { id } } } } }',
      { id: conversationId },
      bob.token,
    );
    const read = history.messages.edges.map((edge) => edge.node);
    check(
      read.length === 1 &&
        read[0]?.id === sent.sendMessage.id &&
        read[0].content === text &&
        read[0].sender.id === alice.id,
      `bob reads back ${JSON.stringify(read)}`,
    );
    step('bob read the message back from the history');
    await socket.close();

    // SIGTERM: every service drains and exits 0, then the launcher exits 0.
    const stopStarted = Date.now();
    launched.kill('SIGTERM');
    const exit = await exited(launched, SHUTDOWN_TIMEOUT_MS + 10_000);
    check(exit, `the launcher did not exit within ${SHUTDOWN_TIMEOUT_MS + 10_000} ms of SIGTERM`);
    check(exit.code === 0, `the launcher exited with ${JSON.stringify(exit)}`);
    for (const [name, pid] of services) {
      check(
        !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '),
        `${name} (pid ${pid}) still runs`,
      );
    }
    await new Promise((resolve) => log.end(resolve));
    const summary = readFileSync(launcherLog, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map(
        (line) =>
          JSON.parse(line) as {
            msg?: string;
            exits?: Array<{ name: string; code: number | null; signal: string | null }>;
          },
      )
      .find((entry) => entry.msg === 'all services stopped');
    check(summary?.exits, 'the launcher logged no summary of its services');
    const unclean = summary.exits.filter((child) => child.code !== 0);
    check(
      summary.exits.length === SERVICE_NAMES.length && unclean.length === 0,
      `services did not exit 0: ${JSON.stringify(summary.exits)}`,
    );
    step(`SIGTERM: all 7 services and the launcher exited 0 in ${Date.now() - stopStarted} ms`);
    launcher = undefined;
  } catch (error) {
    failed = true;
    console.error(
      `\nSMOKE TEST FAILED: ${error instanceof SmokeFailure ? error.message : (error as Error).stack}`,
    );
    if (existsSync(launcherLog)) {
      const lines = readFileSync(launcherLog, 'utf8').trimEnd().split('\n');
      console.error(
        `\n--- last 80 lines of the launcher's output (${launcherLog}) ---\n${lines.slice(-80).join('\n')}`,
      );
    }
  } finally {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGTERM');
      if (!(await exited(launcher, SHUTDOWN_TIMEOUT_MS + 5_000))) launcher.kill('SIGKILL');
    }
    for (const [what, cleanup] of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => console.error(`cleanup of ${what} failed: ${String(error)}`));
    }
    if (!failed) rmSync(work, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
  step('production smoke test passed');
}

await main();
