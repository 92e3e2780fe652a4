/**
 * The one registry of what each production process reads from its environment: the zod schemas
 * the processes themselves parse at start, grouped per process, plus one description per
 * variable. `scripts/config-reference.ts` renders docs/OPERATIONS.md's configuration reference
 * from it (and fails on drift or on a variable without a description); `test/deploy/` checks
 * docker/compose.yaml against it. A variable a process reads that is missing here is a bug here.
 */
import {
  SUBGRAPH_NAMES,
  baseConfigShape,
  defaultPort,
  optionalString,
  optionalUrl,
  port,
  processConfigSchema,
  subgraphTopology,
  type SubgraphName,
} from '@social/kit';
import { z } from 'zod';
import { gatewayConfigSchema } from '../gateway/src/config.js';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from '../gateway/src/limits.js';
import {
  DEFAULT_SUBSCRIPTION_OPTIONS,
  type SubscriptionOptions,
} from '../gateway/src/subscriptions/options.js';
import { authConfigSchema } from '../subgraphs/auth/src/config.js';
import { chatConfigSchema } from '../subgraphs/chat/src/config.js';
import { feedConfigSchema } from '../subgraphs/feed/src/config.js';
import { mediaConfigSchema } from '../subgraphs/media/src/config.js';
import { notificationConfigSchema } from '../subgraphs/notification/src/config.js';
import { profileConfigSchema } from '../subgraphs/profile/src/config.js';

export type ProcessName = SubgraphName | 'gateway' | 'migrate';

/** A zod object a process parses from its whole environment (extra keys are ignored). */
export type ConfigPart = z.ZodObject;

export interface ProcessConfig {
  readonly name: ProcessName;
  /** One line: what the process is. */
  readonly summary: string;
  /**
   * Every schema the process parses its environment with, each on its own (so each one's
   * refinements apply): a subgraph parses the kit's `processConfigSchema` and `PORT` in
   * `runService`, then its own schema.
   */
  readonly parts: readonly ConfigPart[];
}

/** `PORT` as `runService` reads it for a subgraph (kit `service.ts`). */
const portPart = (name: SubgraphName) => z.object({ PORT: port(defaultPort(name)) });

/**
 * Read by the kit's `mongoDatabaseName` (packages/kit/src/mongo.ts) in every Mongo-backed
 * service: the database is `<MONGO_DB_PREFIX>social_<service>`.
 */
const mongoDatabasePart = z.object({ MONGO_DB_PREFIX: z.string().default('') });

/**
 * The gateway reads `<NAME>_URL` for every subgraph of the supergraph it serves
 * (gateway/src/supergraph.ts `subgraphUrlsFromEnv`), outside its zod schema; for this
 * repository's supergraph that is the topology's six.
 */
const subgraphUrlPart = z.object(
  Object.fromEntries(subgraphTopology.map((info) => [info.urlEnv, optionalUrl()])) as Record<
    string,
    ReturnType<typeof optionalUrl>
  >,
);

/**
 * What the launcher's `migrate` command parses (packages/launcher/src/launcher.ts: its migrate
 * and log settings).
 */
export const migrateConfigSchema = z.object({
  DATABASE_URL: z.url({ message: 'DATABASE_URL must be the PostgreSQL URL of the auth database to migrate' }),
  MIGRATIONS_DIR: optionalString(),
  LOG_LEVEL: baseConfigShape.LOG_LEVEL,
  LOG_PRETTY: baseConfigShape.LOG_PRETTY,
});

/**
 * `cli.js healthcheck` (packages/launcher/src/launcher.ts), run in each service's container by
 * Docker's HEALTHCHECK: it asks HEALTHCHECK_PORT, else PORT.
 */
const healthcheckPart = z.object({
  HEALTHCHECK_PORT: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.coerce.number().int().min(1).max(65_535).optional(),
  ),
});

const serviceSchemas: Record<SubgraphName, ConfigPart> = {
  auth: authConfigSchema,
  profile: profileConfigSchema,
  chat: chatConfigSchema,
  feed: feedConfigSchema,
  media: mediaConfigSchema,
  notification: notificationConfigSchema,
};

const summaries: Record<ProcessName, string> = {
  auth: 'accounts, sessions and tokens; PostgreSQL',
  profile: 'profiles and the social graph; MongoDB',
  chat: 'conversations, messages, presence and typing; MongoDB and Redis',
  feed: 'posts, comments, reactions and the home feed; MongoDB',
  media: 'uploads, storage and thumbnails; MongoDB and file storage',
  notification: 'notifications and unread counts; MongoDB',
  gateway: 'the supergraph API, subscriptions and the edge',
  migrate: 'one-shot: applies prisma/auth/migrations to DATABASE_URL, then exits',
};

/** Every production process, in the order the reference documents them. */
export const processes: readonly ProcessConfig[] = [
  ...SUBGRAPH_NAMES.map((name): ProcessConfig => ({
    name,
    summary: summaries[name],
    parts: [
      processConfigSchema,
      portPart(name),
      healthcheckPart,
      serviceSchemas[name],
      // A Mongo-backed service names its database with the kit's mongoDatabaseName.
      ...('MONGO_URL' in serviceSchemas[name].shape ? [mongoDatabasePart] : []),
    ],
  })),
  {
    name: 'gateway',
    summary: summaries.gateway,
    parts: [gatewayConfigSchema, healthcheckPart, subgraphUrlPart],
  },
  { name: 'migrate', summary: summaries.migrate, parts: [migrateConfigSchema] },
];

export function processConfig(name: ProcessName): ProcessConfig {
  const found = processes.find((entry) => entry.name === name);
  if (!found) throw new Error(`Unknown process ${name}`);
  return found;
}

/** Every variable a process reads, each with the schema that parses it (the last part wins). */
export function processVariables(name: ProcessName): Map<string, z.ZodType> {
  const variables = new Map<string, z.ZodType>();
  for (const part of processConfig(name).parts) {
    for (const [key, schema] of Object.entries(part.shape)) variables.set(key, schema as z.ZodType);
  }
  return variables;
}

/** Parses an environment with every part of a process's config; the problems, `VAR: message`. */
export function validateProcessEnv(name: ProcessName, env: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const part of processConfig(name).parts) {
    const result = part.safeParse(env);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
      }
    }
  }
  return [...new Set(problems)];
}

/**
 * What the reference says about a variable. `default` replaces the default read from the schema
 * where the schema cannot show it (applied later in code, or computed from the environment).
 */
export interface VariableDoc {
  readonly text: string;
  readonly default?: string;
}

const limitDefault = (limit: keyof OperationLimits) => `\`${DEFAULT_OPERATION_LIMITS[limit]}\``;
const subscriptionDefault = (option: keyof SubscriptionOptions) =>
  `\`${DEFAULT_SUBSCRIPTION_OPTIONS[option]}\``;
const portList = subgraphTopology.map((info) => `${info.name} ${info.port}`).join(', ');

/**
 * One description per variable, keyed by its name, or by `<process>.<NAME>` where one process
 * reads it differently. The reference fails without one, and on one no process reads.
 */
export const variableDocs: Readonly<Record<string, string | VariableDoc>> = {
  // --- every service -------------------------------------------------------------------------
  NODE_ENV:
    '`production` turns off introspection, GraphiQL and stack traces, masks internal errors and makes production-only settings required',
  LOG_LEVEL: 'pino level: `fatal` `error` `warn` `info` `debug` `trace` `silent`',
  LOG_PRETTY:
    'human-readable logs instead of JSON lines (keep `false` in production: log shippers parse JSON)',
  HOST: 'interface the service listens on',
  PORT: {
    text: 'port the service listens on (and the one `cli.js healthcheck` asks)',
    default: `gateway ${defaultPort('gateway')}; ${portList}`,
  },
  REDIS_URL:
    'Redis 7 for pub/sub, the event streams between services, caches, rate limits and revoked sessions; required by the subgraphs in production (without it everything is in-process: one process only)',
  REDIS_KEY_PREFIX:
    'prepended to every Redis key and channel (streams, pub/sub, caches, rate limits), so deployments sharing one Redis keep apart',
  HEALTHCHECK_PORT: "port `cli.js healthcheck` (the image's HEALTHCHECK) asks instead of `PORT`",
  SHUTDOWN_TIMEOUT_MS: 'how long SIGTERM waits for in-flight requests and subscriptions to drain',
  JWT_PUBLIC_KEY:
    'PEM (SPKI) public key that verifies access tokens; this or `JWT_JWKS_URL` is required (the gateway verifies at the edge only when one is set)',
  JWT_JWKS_URL:
    'alternatively, a JWKS URL to fetch verification keys from (auth serves `/.well-known/jwks.json`)',
  JWT_ISSUER: 'required `iss` of access tokens (auth signs with it)',
  JWT_AUDIENCE: 'required `aud` of access tokens (auth signs with it)',
  JWT_ALGORITHM: 'signature algorithm of access tokens: `EdDSA`, `ES256` or `RS256`',
  MONGO_URL:
    'MongoDB for this service: a MongoDB 7 replica set (transactions and change streams need one), e.g. `mongodb://mongo:27017/?replicaSet=rs0`',
  MONGO_DB_PREFIX:
    'prepended to the service database name `social_<service>` (several deployments on one MongoDB)',
  OUTBOX_POLL_MS:
    'how often the event outbox is swept for events a crashed instance left unpublished (published events go out at once)',
  EVENT_WAIT_MS:
    "how long a mutation waits for another service's event it depends on (a user registered or a file uploaded a moment ago)",
  MAIL_OUTBOX: 'without `SMTP_URL`, every mail is appended here as one JSON line (development and tests)',
  SMTP_URL: 'SMTP transport for mail (`smtp://user:pass@host:587`, `smtps://…`); unset: `MAIL_OUTBOX`',
  MAIL_FROM: 'sender of every mail',

  // --- auth ----------------------------------------------------------------------------------
  DATABASE_URL: 'PostgreSQL URL of the auth database (`postgresql://user:password@host:5432/social_auth`)',
  JWT_PRIVATE_KEY:
    'PKCS#8 PEM key that signs access tokens; its public half is served at `/.well-known/jwks.json` (see Key rotation)',
  'media.JWT_PRIVATE_KEY':
    'outside production, the key a development `MEDIA_URL_SECRET` is derived from when unset',
  'media.JWT_PUBLIC_KEY':
    'outside production, derives a development `MEDIA_URL_SECRET` when neither it nor `JWT_PRIVATE_KEY` is set',
  AUTH_HASH_SECRET:
    'HMAC key of the stored hashes of refresh tokens, verification codes and reset tokens; unset: derived from `JWT_PRIVATE_KEY` (so rotating that key logs everyone out unless this is set)',
  ACCESS_TOKEN_TTL_SECONDS: 'access-token lifetime',
  REFRESH_TOKEN_TTL_SECONDS: 'refresh-token lifetime (renewed on every rotation)',
  BCRYPT_COST: 'bcrypt cost of password hashes (4–15)',
  VERIFICATION_CODE_TTL_SECONDS: 'lifetime of the 6-digit email verification code (5 attempts)',
  PASSWORD_RESET_TTL_SECONDS: 'lifetime of a password-reset token (single use)',
  LOGIN_MAX_FAILURES: 'consecutive failed logins that lock an account',
  LOGIN_LOCK_SECONDS: 'how long a locked account stays locked',
  RATE_LIMITS_ENABLED:
    'per-IP and per-identifier limits on login, registration, verification and password reset',
  RATE_LIMIT_WINDOW_SECONDS: 'window of every auth rate limit',
  RATE_LIMIT_LOGIN_PER_IP: 'logins per window from one IP',
  RATE_LIMIT_LOGIN_PER_IDENTIFIER: 'logins per window for one username or email',
  RATE_LIMIT_REGISTER_PER_IP: 'registrations per window from one IP',
  RATE_LIMIT_PASSWORD_RESET_PER_IP: 'reset requests and resets per window from one IP',
  RATE_LIMIT_VERIFICATION_PER_IP: 'verification attempts and code re-sends per window from one IP',
  CLEANUP_INTERVAL_MS: 'how often `cleanup_old_data()` removes expired sessions, codes and tokens',

  // --- profile -------------------------------------------------------------------------------
  FRIEND_REQUEST_TTL_SECONDS: 'friend requests are deleted this long after they were sent (TTL index)',
  ACTIVITY_TTL_SECONDS: 'activity-timeline entries are deleted this long after they happened (TTL index)',
  PRESENCE_TTL_SECONDS: 'a `setPresence(online: true)` heartbeat keeps a user online this long',
  PRESENCE_SWEEP_MS: 'how often lapsed heartbeats become offline users (and `PresenceChanged`)',
  MAX_FRIENDS: 'friends per user, so graph queries stay bounded',
  GRAPH_CLEANUP_BATCH: "a deleted user's edges are removed in the background, this many per transaction",
  GRAPH_CLEANUP_POLL_MS: 'how often the graph cleanup looks for jobs a dead instance left',
  GRAPH_CLEANUP_LEASE_MS:
    'how long a cleanup job stays with its instance without progress before another takes it',

  // --- chat ----------------------------------------------------------------------------------
  CHAT_SEND_RATE_POINTS: 'messages one sender may send per window',
  CHAT_SEND_RATE_WINDOW_SECONDS: 'length of the message rate-limit window',
  CHAT_EDIT_WINDOW_SECONDS: 'how long after sending its sender may edit a message',
  CHAT_TYPING_TTL_MS: 'a typing indicator lapses after this long unless renewed',
  CHAT_VIEWING_TTL_MS:
    'a `conversationEvents` subscriber counts as viewing the conversation (no message notification) this long, renewed every heartbeat',
  CHAT_VIEWING_HEARTBEAT_MS: 'how often a subscription renews its viewing mark',
  CHAT_GAP_FILL_MS:
    'how long a subscription waits for a missing sequence number before reading it from the database',
  CHAT_UNREAD_CACHE_TTL_SECONDS:
    "lifetime of a user's cached unread counts in Redis, renewed by every change",

  // --- feed ----------------------------------------------------------------------------------
  FEED_TRENDING_INTERVAL_MS: 'how often hashtag trend scores are recalculated',
  FEED_EXPLORE_WINDOW_DAYS: '`explore` ranks the public posts of this many recent days by engagement',

  // --- media ---------------------------------------------------------------------------------
  MEDIA_PUBLIC_URL:
    'origin clients reach the media routes at (`PUT /media/upload/:token`, `GET /media/:id/…`), used in every URL handed out; set it in production (a warning otherwise)',
  MEDIA_URL_SECRET:
    'HMAC key (32+ characters) of upload tickets and signed access URLs; required in production, elsewhere derived from the JWT keys',
  MEDIA_STORAGE: 'where the bytes live: `local` disk or `s3` (any S3-compatible store)',
  MEDIA_STORAGE_DIR: '`local` storage: the directory (a volume shared by every media instance)',
  MEDIA_S3_ENDPOINT: '`s3` storage: endpoint URL (required with `s3`)',
  MEDIA_S3_BUCKET: '`s3` storage: bucket (required with `s3`)',
  MEDIA_S3_REGION: '`s3` storage: region for SigV4 signatures',
  MEDIA_S3_ACCESS_KEY_ID: '`s3` storage: access key id (required with `s3`)',
  MEDIA_S3_SECRET_ACCESS_KEY: '`s3` storage: secret access key (required with `s3`)',
  MEDIA_S3_FORCE_PATH_STYLE: '`<endpoint>/<bucket>/<key>` URLs (MinIO); `false` for virtual-hosted buckets',
  MEDIA_UPLOAD_URL_TTL_SECONDS: 'lifetime of a one-time upload URL',
  MEDIA_SIGNED_URL_TTL_SECONDS: 'lifetime of the signed URLs of private files in answers (60 s – 7 days)',
  MEDIA_PROCESSING_ENABLED: 'whether this instance processes uploads (thumbnails, web variants, metadata)',
  MEDIA_PROCESSING_CONCURRENCY: 'files this instance processes at once',
  MEDIA_PROCESSING_POLL_MS:
    "how often the processor looks for work it was not told about (other instances', retries)",
  MEDIA_PROCESSING_LEASE_SECONDS:
    'a file processing longer is taken as abandoned (its processor died) and retried',
  MEDIA_PROCESSING_MAX_ATTEMPTS: 'processing attempts before a file ends `FAILED`',
  MEDIA_MAX_IMAGE_PIXELS:
    'larger images (all frames together) end `FAILED` instead of being decoded (decompression bombs)',
  MEDIA_SWEEP_INTERVAL_MS: "how often expired uploads and deleted files' bytes are cleaned up",
  MEDIA_DELETE_GRACE_SECONDS: "how long a deleted file's bytes are kept",
  MEDIA_ORPHAN_SCAN_INTERVAL_MS:
    'how often storage is scanned for bytes no record owns (after a crash); `0` turns it off',
  MEDIA_ORPHAN_MIN_AGE_SECONDS:
    'objects younger than this are never orphans (an upload may still be finishing)',

  // --- notification --------------------------------------------------------------------------
  NOTIFICATION_TTL_DAYS:
    'notifications are deleted this many days after creation (TTL index; fractions allowed)',
  NOTIFICATION_UNREAD_CACHE_TTL_SECONDS:
    'lifetime of a cached unread count; every change invalidates it, this only bounds a crashed write',
  NOTIFICATION_DELIVERY_CONCURRENCY: 'email and push deliveries in flight at once (after the commit)',

  // --- gateway -------------------------------------------------------------------------------
  ...Object.fromEntries(
    subgraphTopology.map((info) => [
      info.urlEnv,
      {
        text: `where subgraph \`${info.name}\` is (\`<NAME>_URL\` for any subgraph of the supergraph; asked again on a reload)`,
        default: `the URL in the supergraph (\`http://127.0.0.1:${info.port}/graphql\`)`,
      } satisfies VariableDoc,
    ]),
  ),
  SUPERGRAPH_PATH: 'the composed supergraph to serve',
  SUPERGRAPH_WATCH: {
    text: 'apply changes of `SUPERGRAPH_PATH` without a restart (`kill -HUP` reloads in any case)',
    default: 'on unless production',
  },
  TRUST_PROXY:
    "Express `trust proxy` (`loopback`, `uniquelocal`, CIDRs): which proxies' `X-Forwarded-For` decides the client IP",
  GRAPHIQL_ENABLED: { text: 'GraphiQL on `GET /graphql` for browsers', default: 'on unless production' },
  BODY_LIMIT: 'largest request body (`512kb`, `2mb`, …)',
  MAX_BATCH_SIZE: 'largest HTTP batch of operations (`0`: batching off; at most 100)',
  LIMIT_MAX_DEPTH: { text: 'fields on the longest path of an operation', default: limitDefault('maxDepth') },
  LIMIT_MAX_ALIASES: { text: 'aliases per operation', default: limitDefault('maxAliases') },
  LIMIT_MAX_ROOT_FIELDS: { text: 'fields selected on the root type', default: limitDefault('maxRootFields') },
  LIMIT_MAX_DIRECTIVES: { text: 'directive uses per operation', default: limitDefault('maxDirectives') },
  LIMIT_MAX_COST: {
    text: 'estimated cost (gateway/README.md: Operation limits)',
    default: limitDefault('maxCost'),
  },
  LIMIT_MAX_TOKENS: {
    text: 'lexical tokens of a document, checked while parsing',
    default: limitDefault('maxTokens'),
  },
  LIMIT_DEFAULT_LIST_SIZE: {
    text: 'assumed length of a list with no `first`/`last`/`ids` argument',
    default: limitDefault('defaultListSize'),
  },
  LIMIT_MAX_INTROSPECTION_DEPTH: {
    text: 'depth inside `__schema`/`__type` (production has no introspection)',
    default: limitDefault('maxIntrospectionDepth'),
  },
  APQ_ENABLED: 'automatic persisted queries',
  APQ_TTL_SECONDS: { text: 'how long a registered operation is kept', default: 'until evicted' },
  APQ_CACHE_MAX_BYTES: 'size of the in-memory APQ cache (without `REDIS_URL`; with it, replicas share Redis)',
  PERSISTED_OPERATIONS_PATH: 'allowlist mode: a manifest of the only operations that run',
  CORS_ORIGINS: {
    text: 'comma-separated allowed origins; `localhost` = any local port, `*` = any',
    default: '`localhost` unless production (then none)',
  },
  CORS_CREDENTIALS: '`Access-Control-Allow-Credentials` for allowed origins (never with `*`)',
  METRICS_ENABLED: 'Prometheus text on `GET /metrics`',
  METRICS_TOKEN: 'when set, `/metrics` requires `Authorization: Bearer <token>`',
  DEDUPE_INBOUND:
    'concurrent identical queries of the same caller (token, IP, user agent) share one execution',
  SUBSCRIPTIONS_PER_CONNECTION: {
    text: 'operations one socket may run at once',
    default: subscriptionDefault('maxPerConnection'),
  },
  SUBSCRIPTIONS_MAX: {
    text: 'operations the gateway runs at once over all sockets',
    default: subscriptionDefault('maxTotal'),
  },
  SUBSCRIPTIONS_MAX_MESSAGE_BYTES: {
    text: 'largest inbound WebSocket message; bigger closes the socket (1009)',
    default: subscriptionDefault('maxMessageBytes'),
  },
  SUBSCRIPTIONS_MAX_BUFFERED_BYTES: {
    text: 'unsent bytes after which a client that does not read is dropped (4008)',
    default: subscriptionDefault('maxBufferedBytes'),
  },
  SUBSCRIPTIONS_MAX_QUEUED_EVENTS: {
    text: 'events of one subscription waiting to be sent before its client counts as slow',
    default: subscriptionDefault('maxQueuedEvents'),
  },
  SUBSCRIPTIONS_UPSTREAM_CONNECTIONS: {
    text: "graphql-ws connections per subgraph carrying every client's operations",
    default: subscriptionDefault('upstreamConnections'),
  },
  SUBSCRIPTIONS_UPSTREAM_RETRIES: {
    text: "reconnect attempts before an upstream's operations end",
    default: subscriptionDefault('upstreamRetryAttempts'),
  },
  SUBSCRIPTIONS_UPSTREAM_RETRY_BASE_MS: {
    text: 'first reconnect delay, doubled per attempt (with jitter)',
    default: subscriptionDefault('upstreamRetryBaseMs'),
  },
  SUBSCRIPTIONS_UPSTREAM_RETRY_MAX_MS: {
    text: 'longest reconnect delay',
    default: subscriptionDefault('upstreamRetryMaxMs'),
  },
  SUBSCRIPTIONS_KEEPALIVE_MS: {
    text: 'ping interval on client and upstream sockets',
    default: subscriptionDefault('keepAliveMs'),
  },
  SUBSCRIPTIONS_EVENT_EXECUTOR: {
    text: "what resolves each event's fields from other subgraphs: `ours` (the gateway's plan executor) or `apollo` (`@apollo/gateway`'s, for comparison)",
    default: '`ours`',
  },
  SUBSCRIPTIONS_REVERIFY_MS: {
    text: "how often open sockets' sessions are checked for revocation and expiry",
    default: subscriptionDefault('reverifyMs'),
  },

  // --- migrate -------------------------------------------------------------------------------
  MIGRATIONS_DIR: { text: 'the migrations to apply', default: '`./prisma/auth/migrations`' },
};

/** The description of a variable as a process reads it, or undefined when there is none. */
export function variableDoc(processName: ProcessName, variable: string): VariableDoc | undefined {
  const entry = variableDocs[`${processName}.${variable}`] ?? variableDocs[variable];
  if (entry === undefined) return undefined;
  return typeof entry === 'string' ? { text: entry } : entry;
}
