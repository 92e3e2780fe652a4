/** Handshake and server-level informational commands. */
import os from 'node:os';
import { Long, ObjectId, UUID } from 'bson';
import { CommandError, Codes } from '../errors.js';
import type { Doc } from '../values.js';
import type { CommandContext, ConnectionInfo, Handler, Services } from './context.js';

export const VERSION = '7.0.0';
export const VERSION_ARRAY = [7, 0, 0, 0];
export const MAX_WIRE_VERSION = 21;
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;

/** The `hello` / `isMaster` reply of a single-node replica set primary. */
export function helloReply(services: Services, conn: ConnectionInfo, legacy: boolean, cmd: Doc): Doc {
  const { server, engine } = services;
  const ts = engine.clusterTime();
  const now = new Date();
  const opTime = { ts, t: Long.fromNumber(1) };
  const reply: Doc = {
    topologyVersion: { processId: server.processId, counter: Long.ZERO },
    hosts: [server.hostPort],
    setName: server.setName,
    setVersion: 1,
  };
  if (legacy) reply.ismaster = true;
  else reply.isWritablePrimary = true;
  Object.assign(reply, {
    secondary: false,
    primary: server.hostPort,
    me: server.hostPort,
    electionId: server.electionId,
    lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId: conn.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  });
  if (cmd.helloOk === true) reply.helloOk = true;
  reply.ok = 1;
  return reply;
}

const hello: Handler = (ctx) => helloReply(ctx.services, ctx.conn, false, ctx.cmd);
const isMaster: Handler = (ctx) => helloReply(ctx.services, ctx.conn, true, ctx.cmd);

const buildInfo: Handler = () => ({
  version: VERSION,
  gitVersion: '0000000000000000000000000000000000000000',
  modules: [],
  allocator: 'system',
  javascriptEngine: 'none',
  sysInfo: 'deprecated',
  versionArray: VERSION_ARRAY,
  openssl: { running: 'disabled', compiled: 'disabled' },
  buildEnvironment: { distmod: 'mongo-embedded', target_os: process.platform, target_arch: process.arch },
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['inMemory'],
  ok: 1,
});

const PARAMETERS: Record<string, unknown> = {
  featureCompatibilityVersion: { version: '7.0' },
  authenticationMechanisms: [],
  transactionLifetimeLimitSeconds: 60,
  maxTransactionLockRequestTimeoutMillis: 5,
  cursorTimeoutMillis: Long.fromNumber(600_000),
  internalQueryMaxBlockingSortMemoryUsageBytes: 100 * 1024 * 1024,
  logLevel: 0,
  quiet: false,
  textSearchEnabled: true,
  ttlMonitorEnabled: true,
};

const getParameter: Handler = (ctx) => {
  const selector = ctx.cmd.getParameter;
  const all =
    selector === '*' ||
    (typeof selector === 'object' && selector !== null && (selector as Doc).allParameters === true);
  const reply: Doc = {};
  for (const [name, value] of Object.entries(PARAMETERS)) {
    if (all || name in ctx.cmd) reply[name] = value;
  }
  if (!all && Object.keys(reply).length === 0)
    throw new CommandError(Codes.InvalidOptions, 'no option found to get');
  reply.ok = 1;
  return reply;
};

const hostInfo: Handler = () => ({
  system: {
    currentTime: new Date(),
    hostname: os.hostname() || 'localhost',
    cpuAddrSize: 64,
    memSizeMB: Math.max(1, Math.round(os.totalmem() / 1024 / 1024)),
    memLimitMB: Math.max(1, Math.round(os.totalmem() / 1024 / 1024)),
    numCores: Math.max(1, os.cpus().length),
    numPhysicalCores: Math.max(1, os.cpus().length),
    numCpuSockets: 1,
    cpuArch: os.arch(),
    numaEnabled: false,
  },
  os: { type: os.type(), name: os.type(), version: os.release() },
  extra: {},
  ok: 1,
});

const serverStatus: Handler = (ctx) => {
  const uptimeMs = Date.now() - ctx.services.server.startedAt.getTime();
  return {
    host: ctx.services.server.hostPort,
    version: VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(uptimeMs / 1000),
    uptimeMillis: Long.fromNumber(uptimeMs),
    uptimeEstimate: Long.fromNumber(Math.floor(uptimeMs / 1000)),
    localTime: new Date(),
    connections: {
      current: ctx.services.connectionCount(),
      available: 1_000_000,
      totalCreated: ctx.services.totalConnections(),
      active: ctx.services.connectionCount(),
    },
    metrics: { cursor: { open: { total: Long.fromNumber(ctx.services.cursors.size) } } },
    transactions: { currentOpen: Long.fromNumber(ctx.services.sessions.openTransactions) },
    repl: {
      setName: ctx.services.server.setName,
      isWritablePrimary: true,
      primary: ctx.services.server.hostPort,
    },
    storageEngine: { name: 'inMemory', supportsCommittedReads: true, persistent: false },
    ok: 1,
  };
};

const replSetGetStatus: Handler = (ctx) => {
  const now = new Date();
  const ts = ctx.engine.clusterTime();
  return {
    set: ctx.services.server.setName,
    date: now,
    myState: 1,
    term: Long.ONE,
    members: [
      {
        _id: 0,
        name: ctx.services.server.hostPort,
        health: 1,
        state: 1,
        stateStr: 'PRIMARY',
        uptime: Math.floor((Date.now() - ctx.services.server.startedAt.getTime()) / 1000),
        optime: { ts, t: Long.ONE },
        optimeDate: now,
        self: true,
      },
    ],
    ok: 1,
  };
};

const listCommands: Handler = () => {
  const commands: Doc = {};
  for (const name of commandNames)
    commands[name] = { help: '', requiresAuth: false, secondaryOk: true, adminOnly: false };
  return { commands, ok: 1 };
};

let commandNames: string[] = [];
export function setCommandNames(names: string[]): void {
  commandNames = [...names].sort();
}

const ok: Handler = () => ({ ok: 1 });

export const serverInfoCommands: Record<string, Handler> = {
  hello,
  isMaster,
  ismaster: isMaster,
  ping: ok,
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  hostInfo,
  serverStatus,
  replSetGetStatus,
  listCommands,
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  whatsmyuri: (ctx: CommandContext) => ({ you: ctx.conn.remote, ok: 1 }),
  getCmdLineOpts: () => ({ argv: ['mongo-embedded'], parsed: {}, ok: 1 }),
  getLog: (ctx: CommandContext) =>
    ctx.cmd.getLog === '*'
      ? { names: ['global', 'startupWarnings'], ok: 1 }
      : { totalLinesWritten: 0, log: [], ok: 1 },
  getFreeMonitoringStatus: () => ({ state: 'disabled', ok: 1 }),
  currentOp: () => ({ inprog: [], ok: 1 }),
  killOp: ok,
  fsync: () => ({ numFiles: 1, ok: 1 }),
  logout: ok,
  setParameter: () => ({ was: null, ok: 1 }),
  startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }),
  refreshSessions: ok,
  getLastError: () => ({ n: 0, err: null, ok: 1 }),
  features: () => ({ oidMachine: 0, ok: 1 }),
  serverId: () => ({ id: new ObjectId(), ok: 1 }),
};
