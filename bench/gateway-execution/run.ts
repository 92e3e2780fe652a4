/**
 * Quick measurement while developing:
 *   taskset -c 0 npx tsx --conditions=development bench/gateway-execution/run.ts <mode> [seconds] [--cpu-prof]
 * (`--cpu-prof`: a steady-state CPU profile of the gateway in /tmp/gateway-execution.cpuprofile).
 */
import { measureGateway, type GatewayMode } from './measure.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const mode = (args[0] ?? 'ours') as GatewayMode;
const seconds = Number(args[1] ?? 10);
const profileFile = process.argv.includes('--cpu-prof') ? '/tmp/gateway-execution.cpuprofile' : undefined;
const result = await measureGateway(mode, {
  warmupSeconds: 3,
  seconds,
  ...(profileFile ? { profileFile } : {}),
});
console.log(JSON.stringify({ ...result, oneCoreCapacityRps: Math.round(1000 / result.cpuMsPerRequest) }));
