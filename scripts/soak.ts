/**
 * `npm run soak -- [--minutes N | --seconds N] [--users N] [--connections N] [--rate OPS] [--publish]`: the soak
 * test (scripts/soak/): the supergraph as seven processes plus the embedded MongoDB, against this
 * machine's Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432), under a mixed workload for
 * the duration (default 2 minutes; SOAK_SECONDS also sets it), then every acknowledged write
 * reconciled. Prints the report; `--publish` writes it into docs/RELIABILITY.md between
 * `<!-- soak:start -->` and `<!-- soak:end -->`. Exits 1 when a bound is broken.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo, replaceSection } from '../bench/report.js';
import { runSoak, verdict } from './soak/index.js';
import { soakReport } from './soak/report.js';

const RELIABILITY_MD = fileURLToPath(new URL('../docs/RELIABILITY.md', import.meta.url));

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    users: { type: 'string', default: '24' },
    connections: { type: 'string', default: '8' },
    rate: { type: 'string', default: '5' },
    publish: { type: 'boolean', default: false },
  },
});

const durationSeconds = values.seconds
  ? Number(values.seconds)
  : values.minutes
    ? Number(values.minutes) * 60
    : Number(process.env.SOAK_SECONDS ?? 120);
const users = Number(values.users);
const concurrency = Number(values.connections);
const rate = Number(values.rate);
for (const [name, value] of Object.entries({ durationSeconds, users, concurrency })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`invalid ${name}: ${value}`);
}
if (!Number.isFinite(rate) || rate < 0) throw new Error(`invalid rate: ${values.rate}`);

// Ctrl-C: exit, which stops the services (scripts/soak/stack.ts kills them on exit).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const started = Date.now();
const result = await runSoak({
  durationSeconds,
  users,
  concurrency,
  rate,
  progress: (line) =>
    console.log(`[soak ${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${line}`),
});
const report = soakReport(result);
console.log(`\n${report}\n`);
if (values.publish) {
  const command = [
    'npm run soak --',
    values.minutes ? `--minutes ${values.minutes}` : `--seconds ${durationSeconds}`,
  ]
    .concat(values.users !== '24' ? [`--users ${users}`] : [])
    .concat(values.connections !== '8' ? [`--connections ${concurrency}`] : [])
    .concat(values.rate !== '5' ? [`--rate ${rate}`] : [])
    .concat('--publish')
    .join(' ');
  const body = [
    '## Soak',
    '',
    'The seven services each in a process of its own (`packages/launcher` from source), the',
    'embedded MongoDB in another, this machine’s Redis (event streams, pub/sub) and PostgreSQL. Each',
    'client loops over home feed reads (authors, media, reactions), posts, reactions (each user at',
    'most once per post), comments, group chat messages, notification reads and marking ungrouped',
    'notifications read; every user holds a graphql-ws connection to the gateway subscribed to',
    '`notificationAdded`, two members of each group also to its `conversationEvents`. Every',
    'acknowledged write is recorded and reconciled against the stores and the API at the end.',
    '',
    'The load is offered on a fixed schedule (`--rate`, default 5 operations/s), which this shared',
    'machine sustains. Beyond it the stack saturates: in a closed loop (`--rate 0`, 8 clients,',
    'measured 2026-11-21 with other suites running) it did 11.4 operations/s at a median latency of',
    '624 ms, and the notification service’s consumer of feed events fell behind by ~1.6 events/s',
    '(event lag p99 27 s and growing) because it handles one event at a time per stream; nothing was',
    'lost or duplicated and it drained 5 s after the load stopped.',
    '',
    report,
    '',
    `${machineInfo()}. Command: \`${command}\`.`,
  ].join('\n');
  await replaceSection('soak', body, RELIABILITY_MD);
  console.log('docs/RELIABILITY.md: soak section updated');
}
process.exit(verdict(result).length === 0 ? 0 : 1);
