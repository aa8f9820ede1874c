// One config for every workspace: ESM TypeScript compiled by SWC (type-checking is `pnpm typecheck`).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
    // light-my-request (fastify's inject) require()s cookie@2, which ships ESM only: compile it to CommonJS.
    '/node_modules/\\.pnpm/cookie@[^/]+/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/\\.pnpm/(?!cookie@)'],
  // Sources import siblings with the `.js` suffix NodeNext requires; jest resolves the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/services/*/test/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/packages/testing/src/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
