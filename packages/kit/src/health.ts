import type { Express, Request, Response } from 'express';

/** A dependency check for `/ready`: resolves when the dependency answers, throws otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthState {
  /** False once shutdown starts, so load balancers stop routing here before connections close. */
  accepting: boolean;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health`: liveness — the process serves HTTP (no dependency checks, so a database outage does
 * not get every instance restarted). `/ready`: every dependency answered within the timeout and
 * the service is not shutting down; 503 with the failing checks otherwise.
 */
export function mountHealthRoutes(
  app: Express,
  options: { name: string; checks: Record<string, ReadinessCheck>; state: HealthState; timeoutMs?: number },
): void {
  const timeoutMs = options.timeoutMs ?? 2_000;
  app.get('/health', (_req: Request, res: Response) => {
    res.status(200).json({ status: 'ok', service: options.name });
  });
  app.get('/ready', async (_req: Request, res: Response) => {
    const entries = Object.entries(options.checks);
    const results = await Promise.all(
      entries.map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
    );
    const checks = Object.fromEntries(
      results.map(([name, error]) => [name, error === null ? 'ok' : `error: ${error}`]),
    );
    const ready = options.state.accepting && results.every(([, error]) => error === null);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : options.state.accepting ? 'unavailable' : 'shutting-down',
      service: options.name,
      checks,
    });
  });
}
