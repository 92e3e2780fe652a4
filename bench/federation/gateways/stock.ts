/**
 * Stock Apollo: `@apollo/server` + `@apollo/gateway` with default settings, as The Guild's
 * `gateways/apollo-gateway` runs it (one process; it has no inbound deduplication, so `--dedupe`
 * must be off).
 *
 *   npx tsx bench/federation/gateways/stock.ts --supergraph bench/federation/supergraph.graphql --port 4000
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { readFileSync } from 'node:fs';
import { announceReady, gatewayRunnerArgs, runIfMain } from './cli.js';

runIfMain(import.meta.url, async () => {
  const args = gatewayRunnerArgs();
  if (args.dedupe) throw new Error('@apollo/gateway has no inbound deduplication: run it with --dedupe off');
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(args.supergraphPath, 'utf8') });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: args.port, host: '127.0.0.1' } });
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  announceReady(url);
});
