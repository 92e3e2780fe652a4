/**
 * The TCP server: one connection per socket, messages handled in arrival order, replies framed
 * as OP_MSG (or OP_REPLY for legacy OP_QUERY). `hello` with `topologyVersion` and
 * `maxAwaitTimeMS` is the driver's awaitable monitoring check: it is answered after
 * `maxAwaitTimeMS` (the topology never changes) and, when the request allows exhaust, the
 * answer is repeated with `moreToCome` every `maxAwaitTimeMS` until the connection or server ends.
 */
import net from 'node:net';
import { dispatch } from './commands/dispatch.js';
import type { ConnectionInfo, Services } from './commands/context.js';
import { CommandError, Codes } from './errors.js';
import type { Logger } from './logger.js';
import { isPlainObject, valueKey, type Doc } from './values.js';
import {
  encodeMsg,
  encodeReply,
  FLAG_MORE_TO_COME,
  MessageFramer,
  parseMessage,
  ProtocolError,
  type MsgRequest,
  type QueryRequest,
} from './wire.js';

/** What holds a write's reply until its changes are on disk (persistence's group commit). */
export interface Durability {
  /** Changes recorded so far: a command that moved it wrote something. */
  readonly sequence: number;
  /** Resolves once every change recorded so far is on disk; rejects if it cannot be written. */
  whenDurable(): Promise<void>;
}

const HELLO_NAMES = new Set(['hello', 'isMaster', 'ismaster']);
const MAX_AWAIT_MS = 60_000;

let nextResponseId = 1;
function responseId(): number {
  nextResponseId = (nextResponseId % 0x7fffffff) + 1;
  return nextResponseId;
}

class Connection {
  readonly info: ConnectionInfo;
  private readonly socket: net.Socket;
  private readonly services: Services;
  private readonly logger: Logger;
  private readonly framer = new MessageFramer();
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly durability: Durability | undefined;

  constructor(
    id: number,
    socket: net.Socket,
    services: Services,
    logger: Logger,
    durability: Durability | undefined,
  ) {
    this.socket = socket;
    this.durability = durability;
    this.services = services;
    this.logger = logger;
    this.info = { id, remote: `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}` };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.logger.debug({ err: error, connection: id }, 'connection error'));
    socket.on('close', () => this.close());
  }

  private onData(chunk: Buffer): void {
    try {
      this.queue.push(...this.framer.push(chunk));
    } catch (error) {
      this.logger.warn(
        { err: error, connection: this.info.id },
        'closing a connection that sent an invalid message',
      );
      this.socket.destroy();
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const message = this.queue.shift() as Buffer;
        await this.handle(message);
      }
    } catch (error) {
      this.logger.error({ err: error, connection: this.info.id }, 'connection failed');
      this.socket.destroy();
    } finally {
      this.busy = false;
    }
  }

  private write(buf: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(buf);
  }

  private async handle(message: Buffer): Promise<void> {
    let request;
    try {
      request = parseMessage(message);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.logger.warn(
          { err: error, connection: this.info.id },
          'closing a connection that sent a malformed message',
        );
        this.socket.destroy();
        return;
      }
      throw error;
    }
    if (request.kind === 'msg') await this.handleMsg(request);
    else if (request.kind === 'query') await this.handleQuery(request);
    else {
      this.logger.warn(
        { opCode: request.opCode, connection: this.info.id },
        'closing a connection that used an unsupported opcode',
      );
      this.socket.destroy();
    }
  }

  private async handleMsg(request: MsgRequest): Promise<void> {
    const cmd = request.command;
    const db = typeof cmd.$db === 'string' ? cmd.$db : undefined;
    if (db === undefined) {
      const reply = new CommandError(Codes.FailedToParse, 'OP_MSG requests require a $db argument').toReply();
      if (!request.moreToCome) this.write(encodeMsg(responseId(), request.requestId, reply));
      return;
    }
    const name = Object.keys(cmd)[0] ?? '';
    if (HELLO_NAMES.has(name) && this.isAwaitable(cmd)) {
      await this.awaitableHello(request, db);
      return;
    }
    const reply = await this.run(db, cmd);
    if (reply && !request.moreToCome) this.write(encodeMsg(responseId(), request.requestId, reply));
  }

  /**
   * Runs a command; when it changed data, the reply waits until the change is on disk, so an
   * acknowledged write survives a crash. If it cannot be written the connection is dropped
   * (undefined): the client sees a network error, never an acknowledgement.
   */
  private async run(db: string, cmd: Doc): Promise<Doc | undefined> {
    const before = this.durability?.sequence;
    const reply = dispatch(this.services, this.info, db, cmd);
    if (this.durability && this.durability.sequence !== before) {
      try {
        await this.durability.whenDurable();
      } catch (error) {
        this.logger.error({ err: error, connection: this.info.id }, 'a write could not be made durable');
        this.socket.destroy();
        return undefined;
      }
    }
    return reply;
  }

  private isAwaitable(cmd: Doc): boolean {
    const tv = cmd.topologyVersion;
    if (!isPlainObject(tv) || cmd.maxAwaitTimeMS === undefined) return false;
    return valueKey(tv.processId) === valueKey(this.services.server.processId);
  }

  private async awaitableHello(request: MsgRequest, db: string): Promise<void> {
    const cmd = request.command;
    const waitMs = Math.min(Math.max(Number(cmd.maxAwaitTimeMS) || 0, 0), MAX_AWAIT_MS);
    let responseTo = request.requestId;
    for (;;) {
      const finished = await this.wait(waitMs);
      if (!finished || this.closed) return;
      const reply = dispatch(this.services, this.info, db, cmd);
      const id = responseId();
      if (!request.exhaustAllowed) {
        this.write(encodeMsg(id, responseTo, reply));
        return;
      }
      // Exhaust: every reply says more is coming and answers the previous one.
      this.write(encodeMsg(id, responseTo, reply, FLAG_MORE_TO_COME));
      responseTo = id;
    }
  }

  /** Resolves `true` after `ms`, or `false` if the connection closes first. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.waits.delete(entry);
          resolve(true);
        }, ms),
        resolve: () => resolve(false),
      };
      this.waits.add(entry);
    });
  }

  private async handleQuery(request: QueryRequest): Promise<void> {
    const ns = request.fullCollectionName;
    const suffix = '.$cmd';
    if (!ns.endsWith(suffix)) {
      const error = {
        $err: 'OP_QUERY is only supported for commands',
        code: Codes.CommandNotSupported,
        ok: 0,
      };
      this.write(encodeReply(responseId(), request.requestId, [error], 2));
      return;
    }
    const db = ns.slice(0, -suffix.length);
    const query = request.query;
    // Drivers wrap the command as `{ $query: {...}, $readPreference }` when they send a read preference.
    const cmd = isPlainObject(query.$query) ? query.$query : query;
    const reply = await this.run(db, cmd);
    if (reply) this.write(encodeReply(responseId(), request.requestId, [reply]));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.waits) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.waits.clear();
    this.queue.length = 0;
  }

  destroy(): void {
    this.close();
    this.socket.destroy();
  }
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
}

/** Accepts connections and hands them their messages. */
export class WireServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private total = 0;
  private readonly logger: Logger;
  private services: Services | undefined;
  private readonly durability: Durability | undefined;

  /** With `durability`, a command's reply waits until the changes it made are on disk. */
  constructor(logger: Logger, durability?: Durability) {
    this.logger = logger;
    this.durability = durability;
    this.server = net.createServer((socket) => this.accept(socket));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get totalConnections(): number {
    return this.total;
  }

  /** Binds the port; services are attached once the bound address is known. */
  async listen(options: ListenOptions): Promise<{ address: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(options.port, options.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
    return { address: address.address, port: address.port };
  }

  attach(services: Services): void {
    this.services = services;
  }

  private accept(socket: net.Socket): void {
    if (!this.services) {
      socket.destroy();
      return;
    }
    this.total++;
    const connection = new Connection(
      this.nextConnectionId++,
      socket,
      this.services,
      this.logger,
      this.durability,
    );
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    await closed;
  }
}
