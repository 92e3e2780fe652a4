/**
 * Runs every benchmark in bench/, in turn: `npm run bench -- [--full] [--write]`.
 * `--full` measures longer; `--write` updates each benchmark's section of docs/BENCHMARKS.md.
 */
import { runAuthLoginBench } from './auth-login.js';
import { runChatFanoutBench } from './chat-fanout.js';
import { runFederationBench } from './federation.js';
import { runGatewaySubscriptionsBench } from './gateway-subscriptions.js';
import { runGatewayExecutionBench } from './gateway-execution.js';
import { runMongoEmbeddedBench } from './mongo-embedded.js';
import type { BenchOptions } from './report.js';
import { runSocialFeedBench } from './social-feed.js';

const args = process.argv.slice(2);
const full = args.includes('--full');
const write = args.includes('--write');
const flags = [...(full ? ['--full'] : []), ...(write ? ['--write'] : [])];
const options: BenchOptions = {
  full,
  write,
  command: flags.length > 0 ? `npm run bench -- ${flags.join(' ')}` : 'npm run bench',
};

const benchmarks: [string, (o: BenchOptions) => Promise<unknown>][] = [
  ['mongo-embedded', runMongoEmbeddedBench],
  ['chat-fanout', runChatFanoutBench],
  ['gateway-subscriptions', runGatewaySubscriptionsBench],
  ['gateway-execution', runGatewayExecutionBench],
  ['auth-login', runAuthLoginBench],
  ['federation-gateways', runFederationBench],
  ['social-feed', runSocialFeedBench],
];

for (const [name, run] of benchmarks) {
  console.log(`# ${name}`);
  await run(options);
}
