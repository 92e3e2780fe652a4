// Shared helpers for this package's tests: a server with a connected driver, and a raw socket.
import net from 'node:net';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { startMongoEmbedded, type MongoEmbedded, type MongoEmbeddedOptions } from '../src/index.js';
import { MessageFramer, parseReply } from '../src/wire.js';
import type { Doc } from '../src/values.js';

export interface Harness {
  readonly server: MongoEmbedded;
  readonly client: MongoClient;
  close(): Promise<void>;
}

export async function startWithClient(
  options: MongoEmbeddedOptions = {},
  clientOptions: MongoClientOptions = {},
): Promise<Harness> {
  const server = await startMongoEmbedded({ port: 0, ...options });
  const client = new MongoClient(server.uri, clientOptions);
  await client.connect();
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.stop();
    },
  };
}

/** A raw TCP connection that sends bytes and collects whole reply messages. */
export class RawConnection {
  private readonly socket: net.Socket;
  private readonly framer = new MessageFramer();
  private readonly messages: Buffer[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.messages.push(...this.framer.push(chunk));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** The next reply, or `undefined` if none arrives within `timeoutMs`. */
  async next(
    timeoutMs = 2000,
  ): Promise<{ opCode: number; flags: number; responseTo: number; doc: Doc } | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const message = this.messages.shift();
    return message ? parseReply(message) : undefined;
  }

  close(): void {
    this.socket.destroy();
  }
}
