import type { Role } from '@social/kit';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { GraphQLResponse, RequestOptions } from './client.js';

/** A message the auth service wrote to the development mail outbox (DESIGN 3). */
export interface OutboxMail {
  readonly to: string;
  readonly kind: string;
  readonly subject: string;
  readonly text: string;
  readonly data?: Record<string, string>;
  readonly sentAt: string;
}

/** Every message in the outbox file, oldest first (an absent file is an empty outbox). */
export async function readOutbox(path: string): Promise<OutboxMail[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // Every message ends with a newline; text after the last one is a message still being
  // appended (a reader can see an append half done), so only complete lines are read.
  return content
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OutboxMail);
}

/** The newest message to `to` (of `kind`, if given), or undefined. */
export async function latestMail(path: string, to: string, kind?: string): Promise<OutboxMail | undefined> {
  const mails = await readOutbox(path);
  return mails
    .filter((mail) => mail.to.toLowerCase() === to.toLowerCase() && (!kind || mail.kind === kind))
    .at(-1);
}

/** A registered, verified and logged-in account. */
export interface TestAccount {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly role: Role;
  readonly sessionId: string;
  /** A valid access token of a real session. */
  readonly token: string;
  readonly refreshToken: string;
}

export interface AccountOptions {
  readonly username?: string;
  readonly email?: string;
  readonly password?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly role?: Role;
  /** Stop after registering: no verification, no login (token and session are empty). */
  readonly verify?: boolean;
}

type Query = <T>(
  query: string,
  variables?: Record<string, unknown>,
  options?: RequestOptions,
) => Promise<GraphQLResponse<T>>;

function dataOrThrow<T>(response: GraphQLResponse<T>, what: string): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`${what} failed: ${JSON.stringify(response.errors ?? response)}`);
  }
  return response.data;
}

/** Runs SQL on a database (the auth database of a harness), one short-lived connection. */
export async function runSql<T extends pg.QueryResultRow = pg.QueryResultRow>(
  databaseUrl: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const ROLE_VALUES: Record<Role, string> = { USER: 'User', ADMIN: 'Admin', MODERATOR: 'Moderator' };

/**
 * Creates an account the way a person does, through the gateway: register, read the code from
 * the mail outbox, verify, log in. Staff roles are granted in the database first (there is no
 * API to become the first admin).
 */
export async function createAccount(
  env: { query: Query; outboxPath: string; databaseUrl: string },
  options: AccountOptions = {},
): Promise<TestAccount> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const username = options.username ?? `user_${suffix}`;
  const email = options.email ?? `${username.toLowerCase()}_${suffix}@example.com`;
  const password = options.password ?? `Sturdy-${suffix}-Pass!`;
  const role = options.role ?? 'USER';
  const registered = dataOrThrow(
    await env.query<{ register: { user: { id: string } } }>(
      'mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }',
      {
        input: {
          username,
          email,
          password,
          firstName: options.firstName ?? 'Test',
          lastName: options.lastName ?? 'User',
        },
      },
    ),
    'register',
  );
  const id = registered.register.user.id;
  if (options.verify === false) {
    return { id, username, email, password, role: 'USER', sessionId: '', token: '', refreshToken: '' };
  }
  const mail = await latestMail(env.outboxPath, email, 'email-verification');
  const code = mail?.data?.code;
  if (!code) throw new Error(`no verification code was mailed to ${email}`);
  dataOrThrow(
    await env.query('mutation ($input: VerifyEmailInput!) { verifyEmail(input: $input) }', {
      input: { email, code },
    }),
    'verifyEmail',
  );
  if (role !== 'USER') {
    await runSql(env.databaseUrl, 'UPDATE users SET role = $1 WHERE user_id = $2', [ROLE_VALUES[role], id]);
  }
  const session = await loginAccount(env.query, username, password);
  return { id, username, email, password, role, ...session };
}

/** Logs in and returns the session's tokens. */
export async function loginAccount(
  query: Query,
  identifier: string,
  password: string,
): Promise<{ sessionId: string; token: string; refreshToken: string }> {
  const data = dataOrThrow(
    await query<{ login: { accessToken: string; refreshToken: string; session: { id: string } } }>(
      'mutation ($input: LoginInput!) { login(input: $input) { accessToken refreshToken session { id } } }',
      { input: { identifier, password } },
    ),
    'login',
  );
  return {
    sessionId: data.login.session.id,
    token: data.login.accessToken,
    refreshToken: data.login.refreshToken,
  };
}
