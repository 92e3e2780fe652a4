/**
 * One gateway over the federation benchmark's subgraphs, for bench/gateway-execution.ts (started
 * as its own process so it can be pinned to a core):
 *
 *   tsx --conditions=development bench/gateway-execution/serve.ts <stock|ours|ours-dedupe|ours-apollo-executor> <supergraph file> [port]
 *
 * prints `{"url": ...}` once listening. `stock` is ApolloServer + ApolloGateway with default
 * settings; `ours` is `createGateway` in production mode (the edge included), inbound deduplication
 * off or on; `ours-apollo-executor` is our edge over `@apollo/gateway`'s executor. `FAST_PATH=off`
 * sends every request of ours through Apollo Server's pipeline (no edge fast path).
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { createGateway } from '../../gateway/src/gateway.js';

const [mode = 'ours', supergraphPath, portArg = '0'] = process.argv.slice(2);
if (!supergraphPath)
  throw new Error('usage: serve.ts <stock|ours|ours-dedupe|ours-apollo-executor> <supergraph file> [port]');
const supergraphSdl = readFileSync(supergraphPath, 'utf8');
const port = Number(portArg);

// SIGUSR2 starts a CPU profile, the next SIGUSR2 writes it to $PROFILE_FILE: steady state only.
const profileFile = process.env.PROFILE_FILE;
if (profileFile) {
  const session = new Session();
  session.connect();
  let profiling = false;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!profiling) {
        profiling = true;
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      } else {
        profiling = false;
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(profileFile, JSON.stringify(profile));
        console.log(JSON.stringify({ profile: profileFile }));
      }
    })();
  });
}

if (mode === 'stock') {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  console.log(JSON.stringify({ url }));
} else if (mode === 'ours' || mode === 'ours-dedupe' || mode === 'ours-apollo-executor') {
  const gateway = createGateway({
    supergraphSdl,
    logger: pino({ level: 'warn' }),
    production: true,
    watchSupergraph: false,
    graphiql: false,
    dedupeInbound: mode === 'ours-dedupe',
    // FAST_PATH=off: every request through Apollo Server's pipeline (the step before the fast path).
    fastPath: process.env.FAST_PATH !== 'off',
    apolloExecutor: mode === 'ours-apollo-executor',
  });
  const url = await gateway.listen(port, '127.0.0.1');
  console.log(JSON.stringify({ url }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
