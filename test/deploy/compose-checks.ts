/**
 * Checks of docker/compose.yaml, docker/Dockerfile and docker/.env.example against the sources
 * they must agree with: the subgraph list (scripts/subgraphs.ts), the kit's topology (ports) and
 * every process's config schemas (scripts/config-schemas.ts). Docker cannot run where this
 * project is developed, so these checks are what keeps the files correct. Each check returns
 * its problems (empty when the files are right), so the tests can also show that a realistic
 * breakage is caught.
 */
import { defaultPort, isServiceName } from '@social/kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  processVariables,
  processes,
  validateProcessEnv,
  type ProcessName,
} from '../../scripts/config-schemas.js';
import { repoRoot, subgraphs } from '../../scripts/subgraphs.js';

export const DOCKER_DIR = join(repoRoot, 'docker');

/** The launcher's compiled entry point, from its package.json `bin`, relative to the image's /app. */
export const LAUNCHER_BIN = (() => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages/launcher/package.json'), 'utf8')) as {
    bin?: Record<string, string>;
  };
  const bin = Object.values(manifest.bin ?? {})[0];
  if (!bin) throw new Error('packages/launcher/package.json has no bin');
  return join('packages/launcher', bin);
})();

export interface DependsOn {
  readonly condition?: string;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, DependsOn> | string[];
  deploy?: { replicas?: number };
  volumes?: string[];
  ports?: string[];
  restart?: string;
  container_name?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A `${...}` reference in compose.yaml: its variable and whether compose requires it (`:?`). */
export interface Reference {
  readonly name: string;
  readonly required: boolean;
}

/** docker/.env syntax as compose reads it: comments, `KEY=value`, quotes, `\n` in double quotes. */
export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`.env: cannot parse the line ${JSON.stringify(raw)}`);
    const [, key = '', rest = ''] = match;
    let value = rest;
    if (value.startsWith('"')) {
      const end = value.lastIndexOf('"');
      value = value
        .slice(1, end)
        .replace(/\\(["\\nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
    } else if (value.startsWith("'")) {
      value = value.slice(1, value.lastIndexOf("'"));
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    values.set(key, value);
  }
  return values;
}

/**
 * Compose's interpolation of one value: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$`. Unset required variables are reported.
 */
export function interpolate(
  value: string,
  vars: ReadonlyMap<string, string>,
  onReference: (reference: Reference) => void,
  problems: string[],
): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, operator?: string, argument?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = vars.get(name);
      const required = operator === ':?' || operator === '?';
      onReference({ name, required });
      const unset = operator?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (operator === ':-' || operator === '-') return unset ? (argument ?? '') : (value ?? '');
      if (required && unset) {
        problems.push(`\${${name}} is required: ${argument ?? ''}`);
        return '';
      }
      return value ?? '';
    },
  );
}

function mapStrings(node: unknown, fn: (value: string) => string): unknown {
  if (typeof node === 'string') return fn(node);
  if (Array.isArray(node)) return node.map((item) => mapStrings(item, fn));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, mapStrings(value, fn)]));
  }
  return node;
}

/** compose.yaml parsed (anchors and `<<` merges applied) and interpolated with `vars`. */
export function loadCompose(
  text: string,
  vars: ReadonlyMap<string, string>,
): { compose: ComposeFile; references: Reference[]; problems: string[] } {
  const references: Reference[] = [];
  const problems: string[] = [];
  const raw = parseYaml(text, { merge: true }) as unknown;
  const interpolated = mapStrings(raw, (value) =>
    interpolate(value, vars, (reference) => references.push(reference), problems),
  ) as ComposeFile & Record<string, unknown>;
  // Environment values as the container sees them: strings.
  for (const service of Object.values(interpolated.services ?? {})) {
    if (service.environment) {
      service.environment = Object.fromEntries(
        Object.entries(service.environment).map(([key, value]) => [key, String(value)]),
      );
    }
  }
  return { compose: interpolated, references, problems };
}

export const readDockerFile = (name: string) => readFileSync(join(DOCKER_DIR, name), 'utf8');

/** Services that run the app image, by the process their command names (`['chat']`). */
export function appServices(compose: ComposeFile): Array<[string, ComposeService, ProcessName]> {
  const names = new Set<string>(processes.map((entry) => entry.name));
  return Object.entries(compose.services)
    .filter(([, service]) => names.has(service.command?.[0] ?? ''))
    .map(([name, service]) => [name, service, service.command?.[0] as ProcessName]);
}

/** One-shot services: they run to completion (`restart: 'no'`) and others wait for their success. */
export const isOneShot = (service: ComposeService) => service.restart === 'no';

function dependsOn(service: ComposeService): Record<string, DependsOn> {
  const value = service.depends_on ?? {};
  return Array.isArray(value) ? Object.fromEntries(value.map((name) => [name, {}])) : value;
}

/** Every subgraph of scripts/subgraphs.ts, the gateway and migrate run as their own service. */
export function checkServices(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const images = new Set<string>();
  for (const name of [...subgraphs.map((info) => info.name), 'gateway', 'migrate']) {
    const service = compose.services[name];
    if (!service) {
      problems.push(`service ${name} is missing`);
      continue;
    }
    if (JSON.stringify(service.command) !== JSON.stringify([name])) {
      problems.push(
        `service ${name} must run the launcher's \`${name}\` command, not ${JSON.stringify(service.command)}`,
      );
    }
    if (!service.build) problems.push(`service ${name} must build the app image (docker/Dockerfile)`);
    images.add(service.image ?? '(none)');
  }
  for (const [name, , processName] of appServices(compose)) {
    if (name !== processName && compose.services[processName]) {
      problems.push(`service ${name} runs ${processName}, which already has its own service`);
    }
  }
  if (images.size !== 1)
    problems.push(`the app services must share one image, found ${[...images].join(', ')}`);
  return problems;
}

/** Each app service's environment: only variables its process reads, and a config it accepts. */
export function checkEnvironment(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, service, processName] of appServices(compose)) {
    const env = service.environment ?? {};
    const known = processVariables(processName);
    for (const key of Object.keys(env)) {
      if (!known.has(key))
        problems.push(`${name}: ${key} is not read by ${processName} (scripts/config-schemas.ts)`);
    }
    for (const problem of validateProcessEnv(processName, env)) {
      problems.push(`${name}: ${processName} would refuse to start: ${problem}`);
    }
    if (processName !== 'migrate') {
      if (env.NODE_ENV !== 'production') problems.push(`${name}: NODE_ENV must be production`);
      // More than one process: pub/sub, events and revocations must go through Redis.
      if (!env.REDIS_URL) problems.push(`${name}: REDIS_URL must be set`);
    }
    if ('MONGO_URL' in env && !URL.canParse(env.MONGO_URL ?? '')) {
      problems.push(`${name}: MONGO_URL is not a URL`);
    } else if ('MONGO_URL' in env && new URL(env.MONGO_URL ?? '').searchParams.get('replicaSet') === null) {
      problems.push(`${name}: MONGO_URL must name the replica set (replicaSet=...)`);
    }
    // Whoever holds the signing key can mint tokens for anyone: auth only.
    if ('JWT_PRIVATE_KEY' in env && processName !== 'auth') {
      problems.push(`${name}: only auth may receive JWT_PRIVATE_KEY`);
    }
  }
  return problems;
}

/** The port of an app service as it listens: its PORT, else the topology's default. */
function listenPort(service: ComposeService, processName: ProcessName): number | undefined {
  const value = service.environment?.PORT;
  if (value !== undefined) return Number(value);
  return isServiceName(processName) ? defaultPort(processName) : undefined;
}

/** PORT is the topology's, and the gateway's `<NAME>_URL`s point at the right service and port. */
export function checkPorts(compose: ComposeFile, nginxConf: string): string[] {
  const problems: string[] = [];
  for (const [name, service, processName] of appServices(compose)) {
    if (!isServiceName(processName)) continue;
    // Explicit, so `cli.js healthcheck` asks the port the service listens on.
    if (service.environment?.PORT !== String(defaultPort(processName))) {
      problems.push(`${name}: PORT must be set to ${defaultPort(processName)} (the topology's port)`);
    }
  }
  const gateway = compose.services.gateway;
  for (const info of subgraphs) {
    const url = gateway?.environment?.[info.urlEnv];
    const target = compose.services[info.name];
    if (!url) {
      problems.push(`gateway: ${info.urlEnv} is not set`);
      continue;
    }
    const parsed = new URL(url);
    const port = target ? listenPort(target, info.name) : undefined;
    if (parsed.hostname !== info.name || Number(parsed.port) !== port || parsed.pathname !== '/graphql') {
      problems.push(`gateway: ${info.urlEnv}=${url} must be http://${info.name}:${port ?? '?'}/graphql`);
    }
  }
  const gatewayPort = gateway ? listenPort(gateway, 'gateway') : undefined;
  if (!new RegExp(`^\\s*server\\s+gateway:${gatewayPort}\\b`, 'm').test(nginxConf)) {
    problems.push(`docker/nginx.conf must proxy to gateway:${gatewayPort ?? '?'}`);
  }
  return problems;
}

/** Every long-running service has a healthcheck; one-shot services are waited on by completion. */
export function checkHealthchecks(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (isOneShot(service)) continue;
    const check = service.healthcheck;
    if (!check || check.disable || !check.test || check.test.length === 0) {
      problems.push(`${name}: a long-running service needs a healthcheck`);
    }
  }
  for (const [name, service, processName] of appServices(compose)) {
    if (isOneShot(service)) continue;
    const expected = ['CMD', 'node', LAUNCHER_BIN, 'healthcheck'];
    if (JSON.stringify(service.healthcheck?.test) !== JSON.stringify(expected)) {
      problems.push(
        `${name}: the healthcheck must be the launcher's (\`cli.js healthcheck\` for ${processName})`,
      );
    }
  }
  return problems;
}

/**
 * depends_on: a one-shot dependency by successful completion, anything else by health; every
 * compose host a service's URLs name is among its (transitive) dependencies; auth after migrate;
 * the gateway after every subgraph.
 */
export function checkDependsOn(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const { services } = compose;
  for (const [name, service] of Object.entries(services)) {
    for (const [target, dependency] of Object.entries(dependsOn(service))) {
      const other = services[target];
      if (!other) {
        problems.push(`${name} depends on ${target}, which is not a service`);
        continue;
      }
      const expected = isOneShot(other) ? 'service_completed_successfully' : 'service_healthy';
      if (dependency.condition !== expected) {
        problems.push(`${name} must depend on ${target} with condition ${expected}`);
      }
    }
  }
  const closure = (name: string, seen = new Set<string>()): Set<string> => {
    for (const target of Object.keys(dependsOn(services[name] ?? {}))) {
      if (!seen.has(target)) {
        seen.add(target);
        closure(target, seen);
      }
    }
    return seen;
  };
  for (const [name, service] of Object.entries(services)) {
    const reachable = closure(name);
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      let host: string;
      try {
        host = new URL(value).hostname;
      } catch {
        continue;
      }
      if (services[host] && !reachable.has(host)) {
        problems.push(`${name}: ${key} names ${host}, but ${name} does not wait for it (depends_on)`);
      }
    }
  }
  if (dependsOn(services.auth ?? {}).migrate?.condition !== 'service_completed_successfully') {
    problems.push('auth must start after migrate completed successfully');
  }
  for (const info of subgraphs) {
    if (dependsOn(services.gateway ?? {})[info.name]?.condition !== 'service_healthy') {
      problems.push(`gateway must wait for ${info.name} to be healthy`);
    }
  }
  return problems;
}

/** An image reference with an explicit version tag (or a digest): never `latest` or untagged. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== 'latest' && /^v?\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/.test(tag);
}

/** Every image pinned; PostgreSQL 16, MongoDB 7 and Redis 7 as the design says. */
export function checkImages(compose: ComposeFile, appVersion: string): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (!service.image) problems.push(`${name}: no image`);
    else if (!isPinnedImage(service.image))
      problems.push(`${name}: image ${service.image} is not pinned to a version`);
  }
  const major = (name: string) => /:(\d+)\./.exec(compose.services[name]?.image ?? '')?.[1];
  if (!compose.services.postgres?.image?.startsWith('postgres:') || major('postgres') !== '16') {
    problems.push('postgres must run postgres:16.x');
  }
  if (!compose.services.mongo?.image?.startsWith('mongo:') || major('mongo') !== '7')
    problems.push('mongo must run mongo:7.x');
  if (!compose.services.redis?.image?.startsWith('redis:') || major('redis') !== '7')
    problems.push('redis must run redis:7.x');
  const app = compose.services.gateway?.image ?? '';
  if (!app.endsWith(`:${appVersion}`))
    problems.push(`the app image ${app} must be tagged with the version ${appVersion}`);
  return problems;
}

/** Named volumes declared and used; data directories (databases, media, mail) on volumes. */
export function checkVolumes(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  const used = new Set<string>();
  const mounts = (service: ComposeService) =>
    (service.volumes ?? []).map((spec) => {
      const [source = '', target = ''] = spec.split(':');
      return { source, target };
    });
  for (const [name, service] of Object.entries(compose.services)) {
    for (const { source } of mounts(service)) {
      if (source.startsWith('.') || source.startsWith('/')) continue;
      used.add(source);
      if (!declared.has(source)) problems.push(`${name}: volume ${source} is not declared under volumes:`);
    }
  }
  for (const volume of declared)
    if (!used.has(volume)) problems.push(`volume ${volume} is declared but unused`);
  const dataDirs: Array<[string, string]> = [
    ['postgres', '/var/lib/postgresql/data'],
    ['mongo', '/data/db'],
    ['redis', '/data'],
  ];
  for (const [name, service] of Object.entries(compose.services)) {
    const env = service.environment ?? {};
    if (env.MEDIA_STORAGE_DIR) dataDirs.push([name, env.MEDIA_STORAGE_DIR]);
    if (env.MAIL_OUTBOX) dataDirs.push([name, env.MAIL_OUTBOX.slice(0, env.MAIL_OUTBOX.lastIndexOf('/'))]);
  }
  for (const [name, dir] of dataDirs) {
    const service = compose.services[name];
    const onVolume = mounts(service ?? {}).some(
      ({ source, target }) => target === dir && declared.has(source),
    );
    if (!onVolume) problems.push(`${name}: ${dir} must be on a named volume`);
  }
  return problems;
}

/** Two replicas of chat and of the gateway, which nothing pins to one container or host port. */
export function checkReplicas(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const name of ['chat', 'gateway']) {
    const service = compose.services[name];
    if ((service?.deploy?.replicas ?? 1) < 2) problems.push(`${name} must run at least 2 replicas`);
  }
  for (const [name, service] of Object.entries(compose.services)) {
    if ((service.deploy?.replicas ?? 1) < 2) continue;
    if (service.container_name) problems.push(`${name}: replicas cannot share container_name`);
    if ((service.ports ?? []).length > 0) problems.push(`${name}: replicas cannot publish one host port`);
  }
  return problems;
}

/** The services' MONGO_URL, mongod's --replSet and the init script name the same replica set. */
export function checkMongo(compose: ComposeFile, initScript: string): string[] {
  const problems: string[] = [];
  const command = compose.services.mongo?.command ?? [];
  const setName = command[command.indexOf('--replSet') + 1];
  if (!command.includes('--replSet') || !setName) return ['mongo must run with --replSet <name>'];
  if (!initScript.includes(`_id: '${setName}'`) || !initScript.includes("host: 'mongo:27017'")) {
    problems.push(`docker/mongo-init must initiate ${setName} with the member mongo:27017`);
  }
  const init = compose.services['mongo-init'];
  if (!init || !isOneShot(init) || !init.command?.some((arg) => arg.startsWith('/mongo-init/'))) {
    problems.push('mongo-init must run the docker/mongo-init script once');
  }
  for (const [name, service] of Object.entries(compose.services)) {
    const url = service.environment?.MONGO_URL;
    if (url && new URL(url).searchParams.get('replicaSet') !== setName) {
      problems.push(`${name}: MONGO_URL must use replicaSet=${setName}`);
    }
  }
  return problems;
}

/** Every `${VAR}` compose needs is documented in .env.example, which holds nothing else. */
export function checkEnvExample(
  references: readonly Reference[],
  example: ReadonlyMap<string, string>,
): string[] {
  const problems: string[] = [];
  const referenced = new Set(references.map((reference) => reference.name));
  for (const name of referenced) {
    if (!example.has(name))
      problems.push(`compose.yaml uses \${${name}}, which docker/.env.example does not list`);
  }
  for (const name of example.keys()) {
    if (!referenced.has(name))
      problems.push(`docker/.env.example lists ${name}, which compose.yaml never uses`);
  }
  return problems;
}

/** The Dockerfile: multi-stage, pinned base, non-root runtime, the launcher as entrypoint and healthcheck. */
export function checkDockerfile(text: string, launcherBin: string): string[] {
  const problems: string[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args = new Map<string, string>();
  for (const line of lines) {
    const match = /^ARG\s+(\w+)=(\S+)/.exec(line);
    if (match?.[1] && match[2]) args.set(match[1], match[2]);
  }
  const stages: string[][] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) stages.push([line]);
    else stages.at(-1)?.push(line);
  }
  if (stages.length < 2) problems.push('the Dockerfile must be multi-stage (build, then runtime)');
  for (const stage of stages) {
    const image = (stage[0]?.split(/\s+/)[1] ?? '').replace(
      /^\$\{(\w+)\}$/,
      (_, name: string) => args.get(name) ?? '',
    );
    if (!isPinnedImage(image)) problems.push(`base image ${image || stage[0]} is not pinned to a version`);
  }
  const runtime = stages.at(-1) ?? [];
  const user = runtime
    .filter((line) => /^USER\s/.test(line))
    .at(-1)
    ?.split(/\s+/)[1];
  if (!user || user === 'root' || user === '0' || user.startsWith('0:')) {
    problems.push('the runtime stage must switch to a non-root USER');
  }
  if (runtime.some((line) => /^COPY\s+(?!--from=)/.test(line))) {
    problems.push('the runtime stage must copy only from the build stage (no sources)');
  }
  const entry = `["node", "${launcherBin}"]`;
  if (!runtime.some((line) => line.replace(/\s+/g, ' ') === `ENTRYPOINT ${entry}`)) {
    problems.push(`the runtime ENTRYPOINT must be ${entry}`);
  }
  const healthcheck = `CMD ["node", "${launcherBin}", "healthcheck"]`;
  if (
    !runtime.some((line) => /^HEALTHCHECK\s/.test(line) && line.replace(/\s+/g, ' ').endsWith(healthcheck))
  ) {
    problems.push(`the runtime stage must have HEALTHCHECK ${healthcheck}`);
  }
  return problems;
}
