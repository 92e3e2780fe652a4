/**
 * .github/workflows/ci.yml (CI for forks on GitHub) kept in step with .ci/run, the subgraph list
 * and the images the deployment uses. GitHub Actions cannot run here; these checks can.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { processVariables } from '../../scripts/config-schemas.js';
import { repoRoot, subgraphs } from '../../scripts/subgraphs.js';
import { isPinnedImage, readDockerFile } from './compose-checks.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  container?: string;
  services?: Record<string, { image: string }>;
  env?: Record<string, string>;
  steps: Step[];
}

const workflowText = readFileSync(join(repoRoot, '.github/workflows/ci.yml'), 'utf8');
const workflow = parseYaml(workflowText) as { jobs: Record<string, Job> };
const jobs = Object.values(workflow.jobs);
const runs = (job: Job) => job.steps.map((step) => step.run ?? '').join('\n');

describe('.github/workflows/ci.yml', () => {
  test('pins every action to a commit, with its version in a comment', () => {
    const uses = workflowText.split('\n').filter((line) => /^\s*-?\s*uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test('pins every container image, and runs the Node version of the Docker image', () => {
    for (const job of jobs) {
      for (const image of [job.container, ...Object.values(job.services ?? {}).map((s) => s.image)]) {
        if (image !== undefined) expect(isPinnedImage(image)).toBe(true);
      }
    }
    const dockerNode = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(readDockerFile('Dockerfile'))?.[1];
    expect(dockerNode).toBeDefined();
    const versions = jobs.map(
      (job) =>
        /^node:(\d+\.\d+\.\d+)/.exec(job.container ?? '')?.[1] ??
        job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version'],
    );
    expect(versions).toEqual(jobs.map(() => dockerNode));
  });

  test('runs .ci/run, the checks CI runs for this repository, with a Redis for the contract tests', () => {
    const check = jobs.find((job) => /^\s*bash \.ci\/run\s*$/m.test(runs(job)));
    expect(check).toBeDefined();
    const redis = Object.values(check?.services ?? {}).find((service) => service.image.startsWith('redis:'));
    expect(redis).toBeDefined();
    // The full history: schema:check compares with the merge-base of origin/main.
    expect(
      check?.steps.find((step) => step.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth'],
    ).toBe(0);
  });

  test('runs the conformance suite and every Mongo-backed subgraph against a real MongoDB 7 replica set', () => {
    const mongo = jobs.find((job) => job.env?.MONGO_URL !== undefined);
    expect(mongo).toBeDefined();
    const script = runs(mongo as Job);
    const setName = new URL(mongo?.env?.MONGO_URL ?? '').searchParams.get('replicaSet');
    expect(setName).toBeTruthy();
    expect(script).toMatch(new RegExp(`mongo:7\\.\\d+\\.\\d+ --replSet ${setName}\\b`));
    expect(script).toContain(`rs.initiate({ _id: '${setName}'`);
    const testCommand = script.split('\n').find((line) => line.includes('npm test --')) ?? '';
    const testArgs = script.slice(script.indexOf(testCommand)).split(/\s+/);
    expect(testArgs).toContain('packages/mongo-embedded/test/conformance');
    const mongoBacked = subgraphs.filter((info) => processVariables(info.name).has('MONGO_URL'));
    expect(mongoBacked.length).toBeGreaterThan(0);
    for (const info of mongoBacked) expect(testArgs).toContain(`${info.dir}/test`);
  });
});
