/**
 * The long suites: reliability (test/reliability: fuzzing, faults, soak), the stress tests
 * (`*.stress.test.ts` next to each subgraph's tests) and the authorization matrix, run by
 * `npm run test:reliability` after `npm test`; same transform and global setup as the main run.
 * @type {import('jest').Config}
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: [
    '<rootDir>/test/reliability/**/*.test.ts',
    '<rootDir>/**/test/**/*.stress.test.ts',
    '<rootDir>/test/security/authorization.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
  // The suites share this machine's two cores with the stack they drive: one at a time.
  maxWorkers: 1,
  testTimeout: 600_000,
};
