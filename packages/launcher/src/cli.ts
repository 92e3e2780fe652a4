#!/usr/bin/env node
/**
 * The production entry point:
 *
 *   node packages/launcher/dist/cli.js <service>        auth | profile | chat | feed | media | notification | gateway
 *   node packages/launcher/dist/cli.js migrate          apply prisma/auth/migrations to DATABASE_URL
 *   node packages/launcher/dist/cli.js healthcheck [service]
 *   node packages/launcher/dist/cli.js all              migrate, then all seven services (`npm start`)
 */
// Only the topology up front: the health check, run every few seconds, loads nothing else.
import { SERVICE_NAMES, isServiceName } from '@social/kit/topology';

const USAGE = `usage: cli.js <command>

  ${SERVICE_NAMES.join(' | ')}
                 run that service in this process (PORT, HOST; see its config.ts)
  migrate        apply the auth database's migrations to DATABASE_URL, then exit
  healthcheck [service]
                 exit 0 if http://127.0.0.1:<HEALTHCHECK_PORT|PORT|default>/health answers 200
  all            migrate, then run the seven services as child processes until SIGTERM/SIGINT
                 (ports: <NAME>_PORT or the defaults, 4001-4006 and 4000 for the gateway)`;

const [command, argument, ...rest] = process.argv.slice(2);

function usage(problem: string): never {
  console.error(`${problem}\n\n${USAGE}`);
  process.exit(2);
}

if (command === undefined || command === '--help' || command === '-h') {
  if (command === undefined) usage('a command is required');
  console.error(USAGE);
  process.exit(0);
}
if (command === 'healthcheck') {
  if (argument !== undefined && !isServiceName(argument)) usage(`unknown service "${argument}"`);
  if (rest.length > 0) usage(`unexpected arguments: ${rest.join(' ')}`);
  const { runHealthcheck } = await import('./healthcheck.js');
  process.exit(await runHealthcheck(argument));
}
if (argument !== undefined) usage(`unexpected arguments: ${[argument, ...rest].join(' ')}`);
if (command !== 'migrate' && command !== 'all' && !isServiceName(command))
  usage(`unknown command "${command}"`);

const { runAll, runMigrate, runServiceHere } = await import('./launcher.js');
if (command === 'migrate') {
  process.exit(await runMigrate());
} else if (command === 'all') {
  process.exit(await runAll());
} else {
  try {
    await runServiceHere(command);
  } catch (error) {
    console.error(`${command} failed to start: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  }
}
