/**
 * One Jest run for the whole monorepo. Sources are TypeScript ES modules compiled by @swc/jest;
 * workspace packages resolve to their TypeScript sources through the `development` export condition.
 * @type {import('jest').Config}
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript' },
      target: 'es2022',
      experimental: { keepImportAttributes: true },
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['development', 'node'] },
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  // The long suites run with `npm run test:reliability`: fuzzing, faults, soak, the stress tests
  // (`*.stress.test.ts`: many concurrent writers) and the authorization matrix (minutes).
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '/.data/',
    '<rootDir>/test/reliability/',
    '\\.stress\\.test\\.ts$',
    '<rootDir>/test/security/authorization\\.test\\.ts$',
  ],
  globalSetup: '<rootDir>/packages/testing/src/global-setup.js',
  globalTeardown: '<rootDir>/packages/testing/src/global-teardown.js',
  testTimeout: 30_000,
  maxWorkers: 2,
};
