/**
 * Measures one gateway (serve.ts) over the federation benchmark's subgraphs: the subgraphs and the
 * load run in this process (pin it to core 0), the gateway in its own process pinned to core 1;
 * after a warm-up, 50 connections send The Guild's deep query for a fixed time and responses are
 * checked. Besides req/s and latencies it reports the gateway process's CPU time per request
 * (/proc), which stays comparable when other work shares the machine.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkFederationBody } from '../federation/check.js';
import { federationQuery, writeFederationSupergraph } from '../federation/compose.js';
import { startFederationSubgraphs } from '../federation/subgraphs.js';
import { load, type LoadResult } from './load.js';

export type GatewayMode = 'stock' | 'ours-apollo-executor' | 'ours' | 'ours-dedupe';

export interface Measurement extends LoadResult {
  readonly mode: GatewayMode;
  /** Gateway CPU time (user + system) per answered request, ms. */
  readonly cpuMsPerRequest: number;
  /** Peak RSS of the gateway process (VmHWM), MB. */
  readonly peakRssMb: number;
}

export async function measureGateway(
  mode: GatewayMode,
  options: { readonly warmupSeconds: number; readonly seconds: number; readonly profileFile?: string },
): Promise<Measurement> {
  const subgraphs = await startFederationSubgraphs({ port: 0 });
  const supergraph = writeFederationSupergraph(subgraphs.urls);
  const child = spawn(
    'taskset',
    [
      '-c',
      '1',
      process.execPath,
      '--conditions=development',
      '--import',
      'tsx',
      'bench/gateway-execution/serve.ts',
      mode,
      supergraph,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        ...(options.profileFile ? { PROFILE_FILE: options.profileFile } : {}),
      },
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as { url?: string };
          if (parsed.url) resolve(parsed.url);
        } catch {
          console.log(line);
        }
      });
    });
    const body = JSON.stringify({ query: federationQuery(), operationName: 'TestQuery' });
    const first = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const problems = checkFederationBody(await first.text());
    if (problems.length > 0) throw new Error(`${mode}: wrong response: ${problems.join('; ')}`);
    await load({
      url,
      body,
      connections: 50,
      seconds: options.warmupSeconds,
      check: checkFederationBody,
      checkEvery: 50,
    });
    const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const cpuMs = () => (Number(stat()[11]) + Number(stat()[12])) * 10;
    const cpuBefore = cpuMs();
    if (options.profileFile) child.kill('SIGUSR2');
    const result = await load({
      url,
      body,
      connections: 50,
      seconds: options.seconds,
      check: checkFederationBody,
      checkEvery: 10,
    });
    const cpuMsPerRequest = (cpuMs() - cpuBefore) / result.requests;
    if (options.profileFile) {
      child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    return { mode, ...result, cpuMsPerRequest, peakRssMb: Number(hwm ?? 0) / 1024 };
  } finally {
    child.removeAllListeners('exit');
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await subgraphs.stop();
  }
}
