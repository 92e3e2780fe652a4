/**
 * docker/compose.yaml, docker/Dockerfile and docker/.env.example checked against the subgraph
 * list, the topology and the config schemas (Docker cannot run on the machines this project is
 * developed on). Each check also gets a realistic breakage, to show it would notice one.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/subgraphs.js';
import {
  LAUNCHER_BIN,
  checkDependsOn,
  checkDockerfile,
  checkEnvExample,
  checkEnvironment,
  checkHealthchecks,
  checkImages,
  checkMongo,
  checkPorts,
  checkReplicas,
  checkServices,
  checkVolumes,
  loadCompose,
  parseDotenv,
  readDockerFile,
  type ComposeFile,
} from './compose-checks.js';

const composeText = readDockerFile('compose.yaml');
const example = parseDotenv(readDockerFile('.env.example'));
const nginxConf = readDockerFile('nginx.conf');
const initScript = readDockerFile('mongo-init/replica-set.js');
const dockerfile = readDockerFile('Dockerfile');
const appVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** What an operator fills in: the blanks of .env.example, as docker/README.md says to generate them. */
function operatorEnv(): Map<string, string> {
  const keys = generateKeyPairSync('ed25519');
  const generated: Record<string, string> = {
    JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const env = new Map(example);
  for (const [key, value] of example) {
    if (value === '' && /PASSWORD|SECRET|KEY/.test(key))
      env.set(key, generated[key] ?? randomBytes(24).toString('hex'));
  }
  return env;
}

const loaded = loadCompose(composeText, operatorEnv());
const compose = loaded.compose;
const mutated = (change: (copy: ComposeFile) => void): ComposeFile => {
  const copy = structuredClone(compose);
  change(copy);
  return copy;
};
const service = (file: ComposeFile, name: string) => {
  const found = file.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

describe('docker/compose.yaml', () => {
  test('interpolates with docker/.env.example once its secrets are filled in, and refuses without them', () => {
    expect(loaded.problems).toEqual([]);
    const unfilled = loadCompose(composeText, example).problems;
    for (const secret of [
      'POSTGRES_PASSWORD',
      'REDIS_PASSWORD',
      'JWT_PRIVATE_KEY',
      'JWT_PUBLIC_KEY',
      'MEDIA_URL_SECRET',
    ]) {
      expect(unfilled).toContainEqual(expect.stringContaining(`\${${secret}}`));
    }
  });

  test('every variable it uses is in docker/.env.example, which lists nothing else', () => {
    expect(checkEnvExample(loaded.references, example)).toEqual([]);
    const extra = new Map(example).set('OLD_SETTING', '1');
    expect(checkEnvExample(loaded.references, extra)).toEqual([expect.stringContaining('OLD_SETTING')]);
    const missing = new Map(example);
    missing.delete('MEDIA_URL_SECRET');
    expect(checkEnvExample(loaded.references, missing)).toEqual([
      expect.stringContaining('MEDIA_URL_SECRET'),
    ]);
  });

  test('runs every subgraph of scripts/subgraphs.ts, the gateway and migrate with the launcher', () => {
    expect(checkServices(compose)).toEqual([]);
    expect(checkServices(mutated((c) => delete c.services.feed))).toEqual(['service feed is missing']);
    expect(checkServices(mutated((c) => (service(c, 'chat').command = ['feed'])))).toContainEqual(
      expect.stringContaining('service chat must run'),
    );
    expect(
      checkServices(mutated((c) => (service(c, 'media').image = 'social-supergraph:0.0.9'))),
    ).toContainEqual(expect.stringContaining('share one image'));
  });

  test('gives each service only variables its config schema reads, and a config it accepts', () => {
    expect(checkEnvironment(compose)).toEqual([]);
    // A typo, a variable of another service, a missing required one, an invalid value.
    const typo = mutated((c) => (service(c, 'chat').environment!.MONGO_ULR = 'mongodb://mongo:27017'));
    expect(checkEnvironment(typo)).toContainEqual(
      'chat: MONGO_ULR is not read by chat (scripts/config-schemas.ts)',
    );
    const foreign = mutated(
      (c) => (service(c, 'feed').environment!.DATABASE_URL = 'postgresql://x@postgres/db'),
    );
    expect(checkEnvironment(foreign)).toContainEqual(
      expect.stringContaining('feed: DATABASE_URL is not read'),
    );
    const noSecret = mutated((c) => delete service(c, 'media').environment!.MEDIA_URL_SECRET);
    expect(checkEnvironment(noSecret)).toContainEqual(
      expect.stringMatching(/^media: media would refuse to start: MEDIA_URL_SECRET/),
    );
    const noKey = mutated((c) => delete service(c, 'auth').environment!.JWT_PRIVATE_KEY);
    expect(checkEnvironment(noKey)).toContainEqual(
      expect.stringMatching(/^auth: auth would refuse to start: JWT_PRIVATE_KEY/),
    );
    const badLevel = mutated((c) => (service(c, 'gateway').environment!.LOG_LEVEL = 'verbose'));
    expect(checkEnvironment(badLevel)).toContainEqual(
      expect.stringMatching(/^gateway: gateway would refuse to start: LOG_LEVEL/),
    );
    const noRedis = mutated((c) => delete service(c, 'notification').environment!.REDIS_URL);
    expect(checkEnvironment(noRedis)).toContainEqual('notification: REDIS_URL must be set');
    const leakedKey = mutated((c) => (service(c, 'media').environment!.JWT_PRIVATE_KEY = 'pem'));
    expect(checkEnvironment(leakedKey)).toEqual(['media: only auth may receive JWT_PRIVATE_KEY']);
    const noMigrateDb = mutated((c) => delete service(c, 'migrate').environment!.DATABASE_URL);
    expect(checkEnvironment(noMigrateDb)).toContainEqual(
      expect.stringMatching(/^migrate: migrate would refuse to start: DATABASE_URL/),
    );
  });

  test("sets each service's topology port and points the gateway's <NAME>_URLs at them", () => {
    expect(checkPorts(compose, nginxConf)).toEqual([]);
    const wrongPort = mutated(
      (c) => (service(c, 'gateway').environment!.FEED_URL = 'http://feed:4005/graphql'),
    );
    expect(checkPorts(wrongPort, nginxConf)).toEqual([
      'gateway: FEED_URL=http://feed:4005/graphql must be http://feed:4004/graphql',
    ]);
    const wrongHost = mutated(
      (c) => (service(c, 'gateway').environment!.CHAT_URL = 'http://profile:4003/graphql'),
    );
    expect(checkPorts(wrongHost, nginxConf)).toContainEqual(expect.stringContaining('CHAT_URL'));
    const missing = mutated((c) => delete service(c, 'gateway').environment!.NOTIFICATION_URL);
    expect(checkPorts(missing, nginxConf)).toEqual(['gateway: NOTIFICATION_URL is not set']);
    const moved = mutated((c) => (service(c, 'profile').environment!.PORT = '5002'));
    expect(checkPorts(moved, nginxConf)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('profile: PORT must be set to 4002'),
        expect.stringContaining('PROFILE_URL'),
      ]),
    );
    expect(checkPorts(compose, nginxConf.replace('gateway:4000', 'gateway:4001'))).toContainEqual(
      expect.stringContaining('nginx.conf'),
    );
  });

  test("has a healthcheck on every long-running service (the launcher's on app services)", () => {
    expect(checkHealthchecks(compose)).toEqual([]);
    expect(checkHealthchecks(mutated((c) => delete service(c, 'redis').healthcheck))).toEqual([
      'redis: a long-running service needs a healthcheck',
    ]);
    expect(
      checkHealthchecks(mutated((c) => (service(c, 'feed').healthcheck = { disable: true }))),
    ).toContainEqual('feed: a long-running service needs a healthcheck');
    const curl = mutated(
      (c) =>
        (service(c, 'chat').healthcheck = { test: ['CMD', 'curl', '-f', 'http://localhost:4003/health'] }),
    );
    expect(checkHealthchecks(curl)).toContainEqual(
      expect.stringContaining("chat: the healthcheck must be the launcher's"),
    );
  });

  test('orders startup with depends_on conditions: migrations before auth, subgraphs before the gateway', () => {
    expect(checkDependsOn(compose)).toEqual([]);
    const started = mutated(
      (c) =>
        (service(c, 'auth').depends_on = {
          ...service(c, 'auth').depends_on,
          migrate: { condition: 'service_started' },
        }),
    );
    expect(checkDependsOn(started)).toEqual(
      expect.arrayContaining([
        'auth must depend on migrate with condition service_completed_successfully',
        'auth must start after migrate completed successfully',
      ]),
    );
    const noMigrate = mutated(
      (c) => delete (service(c, 'auth').depends_on as Record<string, unknown>).migrate,
    );
    expect(checkDependsOn(noMigrate)).toEqual(['auth must start after migrate completed successfully']);
    const noFeed = mutated((c) => delete (service(c, 'gateway').depends_on as Record<string, unknown>).feed);
    expect(checkDependsOn(noFeed)).toEqual(
      expect.arrayContaining([
        'gateway: FEED_URL names feed, but gateway does not wait for it (depends_on)',
        'gateway must wait for feed to be healthy',
      ]),
    );
    const noRedis = mutated((c) => delete (service(c, 'auth').depends_on as Record<string, unknown>).redis);
    expect(checkDependsOn(noRedis)).toEqual([
      'auth: REDIS_URL names redis, but auth does not wait for it (depends_on)',
    ]);
    const unhealthy = mutated(
      (c) => (service(c, 'migrate').depends_on = { postgres: { condition: 'service_started' } }),
    );
    expect(checkDependsOn(unhealthy)).toEqual([
      'migrate must depend on postgres with condition service_healthy',
    ]);
  });

  test('pins every image to a version: postgres 16, mongo 7, redis 7, the app at the repo version', () => {
    expect(checkImages(compose, appVersion)).toEqual([]);
    expect(
      checkImages(
        mutated((c) => (service(c, 'redis').image = 'redis:latest')),
        appVersion,
      ),
    ).toEqual(expect.arrayContaining(['redis: image redis:latest is not pinned to a version']));
    expect(
      checkImages(
        mutated((c) => (service(c, 'mongo').image = 'mongo')),
        appVersion,
      ),
    ).toContainEqual('mongo: image mongo is not pinned to a version');
    expect(
      checkImages(
        mutated((c) => (service(c, 'postgres').image = 'postgres:17.2')),
        appVersion,
      ),
    ).toEqual(['postgres must run postgres:16.x']);
    expect(
      checkImages(
        mutated((c) => (service(c, 'edge').image = 'nginx:stable-alpine')),
        appVersion,
      ),
    ).toContainEqual(expect.stringContaining('edge: image nginx:stable-alpine'));
  });

  test('keeps every piece of state on a declared named volume', () => {
    expect(checkVolumes(compose)).toEqual([]);
    expect(checkVolumes(mutated((c) => (service(c, 'postgres').volumes = [])))).toEqual(
      expect.arrayContaining(['postgres: /var/lib/postgresql/data must be on a named volume']),
    );
    expect(checkVolumes(mutated((c) => (service(c, 'media').volumes = ['/srv/media:/data/media'])))).toEqual(
      expect.arrayContaining(['media: /data/media must be on a named volume']),
    );
    expect(checkVolumes(mutated((c) => delete c.volumes!['redis-data']))).toContainEqual(
      'redis: volume redis-data is not declared under volumes:',
    );
    expect(
      checkVolumes(mutated((c) => (service(c, 'media').environment!.MEDIA_STORAGE_DIR = '/app/.data/media'))),
    ).toContainEqual('media: /app/.data/media must be on a named volume');
  });

  test('runs two replicas of chat and of the gateway, which publish no fixed host port', () => {
    expect(checkReplicas(compose)).toEqual([]);
    expect(checkReplicas(mutated((c) => delete service(c, 'chat').deploy))).toEqual([
      'chat must run at least 2 replicas',
    ]);
    expect(checkReplicas(mutated((c) => (service(c, 'gateway').ports = ['4000:4000'])))).toEqual([
      'gateway: replicas cannot publish one host port',
    ]);
  });

  test('starts MongoDB as the replica set the services connect to, initiated once', () => {
    expect(checkMongo(compose, initScript)).toEqual([]);
    expect(
      checkMongo(
        mutated((c) => (service(c, 'mongo').command = ['--bind_ip_all'])),
        initScript,
      ),
    ).toEqual(['mongo must run with --replSet <name>']);
    const otherSet = mutated(
      (c) => (service(c, 'feed').environment!.MONGO_URL = 'mongodb://mongo:27017/?replicaSet=rs1'),
    );
    expect(checkMongo(otherSet, initScript)).toEqual(['feed: MONGO_URL must use replicaSet=rs0']);
    expect(checkMongo(compose, initScript.replace("host: 'mongo:27017'", "host: 'localhost:27017'"))).toEqual(
      [expect.stringContaining('docker/mongo-init')],
    );
    const noSet = mutated((c) => (service(c, 'chat').environment!.MONGO_URL = 'mongodb://mongo:27017/'));
    expect(checkEnvironment(noSet)).toContainEqual(
      'chat: MONGO_URL must name the replica set (replicaSet=...)',
    );
  });
});

describe('docker/Dockerfile', () => {
  test('is multi-stage, pinned, non-root, with the launcher as entrypoint and healthcheck', () => {
    expect(LAUNCHER_BIN).toBe('packages/launcher/dist/cli.js');
    expect(checkDockerfile(dockerfile, LAUNCHER_BIN)).toEqual([]);
    expect(checkDockerfile(dockerfile.replace(/^USER node$/m, ''), LAUNCHER_BIN)).toEqual([
      'the runtime stage must switch to a non-root USER',
    ]);
    expect(checkDockerfile(dockerfile.replace(/^USER node$/m, 'USER root'), LAUNCHER_BIN)).toEqual([
      'the runtime stage must switch to a non-root USER',
    ]);
    expect(checkDockerfile(dockerfile.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''), LAUNCHER_BIN)).toEqual([
      expect.stringContaining('HEALTHCHECK'),
    ]);
    expect(
      checkDockerfile(dockerfile.replace('node:20.20.2-bookworm-slim', 'node:lts-slim'), LAUNCHER_BIN),
    ).toEqual([
      'base image node:lts-slim is not pinned to a version',
      'base image node:lts-slim is not pinned to a version',
    ]);
    const singleStage = dockerfile.replace(/^FROM \$\{NODE_IMAGE\} AS runtime$/m, '');
    expect(checkDockerfile(singleStage, LAUNCHER_BIN)).toContainEqual(
      'the runtime stage must copy only from the build stage (no sources)',
    );
    expect(
      checkDockerfile(dockerfile.replace('dist/cli.js"]\n', 'dist/main.js"]\n'), LAUNCHER_BIN),
    ).toContainEqual(expect.stringContaining('ENTRYPOINT'));
  });

  test('leaves local installs, builds, data and secrets out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', '**/dist', '**/.data', '.env', 'docker/.env']) {
      expect(ignored).toContain(entry);
    }
  });
});
