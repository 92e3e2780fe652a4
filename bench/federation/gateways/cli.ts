/**
 * What every gateway runner shares: its command line (`--supergraph PATH --port N --dedupe on|off`)
 * and the line it prints once it answers, `READY <url>`, which bench/federation.ts waits for.
 */
import { pathToFileURL } from 'node:url';

export interface GatewayRunnerArgs {
  readonly supergraphPath: string;
  readonly port: number;
  readonly dedupe: boolean;
}

export function gatewayRunnerArgs(argv: readonly string[] = process.argv.slice(2)): GatewayRunnerArgs {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const supergraphPath = value('--supergraph');
  if (!supergraphPath) throw new Error('--supergraph PATH is required');
  const port = Number(value('--port') ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`Invalid --port ${value('--port')}`);
  const dedupe = value('--dedupe') ?? 'off';
  if (dedupe !== 'on' && dedupe !== 'off') throw new Error(`--dedupe must be on or off, not ${dedupe}`);
  return { supergraphPath, port, dedupe: dedupe === 'on' };
}

export const READY_PREFIX = 'READY ';

export function announceReady(url: string): void {
  process.stdout.write(`${READY_PREFIX}${url}\n`);
}

/** Runs `main` when `moduleUrl` is the script node was started with; a failure exits 1. */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
