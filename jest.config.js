/**
 * Tests run against the real infrastructure: globalSetup brings the native
 * stack up (idempotent, so an already running stack is reused). Files run one
 * at a time (--runInBand in npm test) because they share databases and ports.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/services', '<rootDir>/lib', '<rootDir>/api', '<rootDir>/workflows', '<rootDir>/activities'],
  testMatch: ['**/*.test.ts'],
  // The failure drills kill and restart parts of the stack: they run only through jest.drills.config.js (npm run drills).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/drills/'],
  transform: {
    // tsconfig sets isolatedModules: ts-jest then only strips types; type-checking is `npm run typecheck`'s job.
    '^.+\\.ts$': ['ts-jest', {}],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60_000,
  slowTestThreshold: 20,
};
