/**
 * `mongo-embedded [--port 27017] [--host 127.0.0.1] [--data .data/mongo] [--repl-set rs0]
 * [--ttl-sweep-ms 1000] [--quiet]`: runs the embedded server until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startMongoEmbedded, type Logger } from './index.js';

function stderrLogger(quiet: boolean): Logger {
  const write = (level: string) =>
    ((fieldsOrMessage: object | string, message?: string) => {
      if (quiet && level !== 'error' && level !== 'warn') return;
      const text = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : (message ?? '');
      const fields =
        typeof fieldsOrMessage === 'string'
          ? ''
          : ` ${JSON.stringify(fieldsOrMessage, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`;
      process.stderr.write(`[mongo-embedded] ${level}: ${text}${fields}\n`);
    }) as Logger['info'];
  return { info: write('info'), warn: write('warn'), error: write('error'), debug: () => undefined };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '27017' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      'repl-set': { type: 'string', default: 'rs0' },
      'ttl-sweep-ms': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: mongo-embedded [--port 27017] [--host 127.0.0.1] [--data DIR] [--repl-set rs0] [--ttl-sweep-ms 1000] [--quiet]\n',
    );
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const server = await startMongoEmbedded({
    port,
    host: values.host,
    replSetName: values['repl-set'],
    ...(values.data ? { dataDir: values.data } : {}),
    ...(values['ttl-sweep-ms'] ? { ttlSweepIntervalMs: Number(values['ttl-sweep-ms']) } : {}),
    logger: stderrLogger(values.quiet),
  });
  process.stdout.write(`${server.uri}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[mongo-embedded] ${signal}: stopping\n`);
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[mongo-embedded] stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

await main().catch((error: unknown) => {
  process.stderr.write(`[mongo-embedded] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
