/**
 * One subgraph of a harness moved into a child process (the production launcher from source,
 * `packages/launcher/src/cli.ts <name>`) on the port the gateway already knows, so it can crash
 * for real (SIGKILL) and come back. The harness must use Redis: the child shares the other
 * services' event streams and pub/sub channels only through it.
 */
import type { SubgraphName } from '@social/kit';
import type { Supergraph } from '@social/testing';
import { nodeFromSource, whenListening, type ManagedProcess } from './processes.js';

const LAUNCHER = 'packages/launcher/src/cli.ts';

export interface SubgraphProcess {
  readonly name: SubgraphName;
  readonly port: number;
  readonly running: boolean;
  /** SIGKILL: no drain, no goodbye; open sockets are reset. */
  kill(): Promise<void>;
  /** Starts it again on the same port (resolves once it listens). */
  start(): Promise<void>;
  /** SIGTERM and wait (end of test). */
  stop(): Promise<void>;
}

export async function moveSubgraphToChild(sg: Supergraph, name: SubgraphName): Promise<SubgraphProcess> {
  const env = sg.stack.resources.env;
  if (!env.REDIS_URL) throw new Error('a subgraph in a child process needs a harness with redisUrl');
  const port = Number(new URL(sg.subgraphUrls[name]).port);
  await sg.stack.stopSubgraph(name);
  let proc: ManagedProcess | undefined;
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.FAULT_CHILD_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
  };
  const start = async () => {
    proc = nodeFromSource(name, LAUNCHER, [name], childEnv);
    await whenListening(proc, port);
  };
  await start();
  const running = () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
  return {
    name,
    port,
    get running() {
      return running();
    },
    kill: async () => proc?.kill('SIGKILL'),
    start,
    stop: async () => proc?.kill('SIGTERM'),
  };
}
