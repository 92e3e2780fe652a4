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
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
  globalSetup: '<rootDir>/packages/testing/src/global-setup.js',
  globalTeardown: '<rootDir>/packages/testing/src/global-teardown.js',
  testTimeout: 30_000,
  maxWorkers: 2,
};
