/**
 * `cli.js healthcheck [service]`, Docker's HEALTHCHECK (the image has no curl). It runs every few
 * seconds in every container, so it loads nothing but the topology: no kit, no service code.
 */
import { serviceInfo, type ServiceName } from '@social/kit/topology';

/** How long a probe waits by default; Docker's own HEALTHCHECK --timeout bounds it too. */
const PROBE_TIMEOUT_MS = 10_000;

/** GET `url`: undefined when it answered 200 within the timeout, else what went wrong. */
export async function probe(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200 ? undefined : `it answered ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    if ((error as Error).name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
    return cause ?? (error as Error).message;
  }
}

/**
 * The port probed: HEALTHCHECK_PORT, else PORT (as the service reads it), else the service's
 * default port (the gateway's without a service). Throws on a value that is not a port.
 */
export function healthcheckPort(
  service: ServiceName | undefined,
  env: Readonly<Record<string, string | undefined>>,
): number {
  for (const name of ['HEALTHCHECK_PORT', 'PORT'] as const) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new Error(`${name} must be a port number (1-65535), got "${value}"`);
    }
    return port;
  }
  return serviceInfo(service ?? 'gateway').port;
}

/** Exit code 0 when http://127.0.0.1:<port>/health answered 200, 1 otherwise (reason on stderr). */
export async function runHealthcheck(
  service: ServiceName | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let port: number;
  try {
    port = healthcheckPort(service, env);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  const url = `http://127.0.0.1:${port}/health`;
  const problem = await probe(url);
  if (problem === undefined) return 0;
  console.error(`unhealthy: GET ${url}: ${problem}`);
  return 1;
}
