/**
 * The unit tier (docs/architecture.md, "Tests"): files named *.unit.test.ts.
 * They need Node and node_modules only: no global setup starts anything, and
 * a connection to a port of the stack fails the test (test/support/unit-guard.ts).
 * `npm run test:unit` runs this file alone, `npm test` as one of the two
 * projects of jest.config.js.
 */
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'unit',
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/services', '<rootDir>/lib', '<rootDir>/api', '<rootDir>/workflows', '<rootDir>/activities', '<rootDir>/workers'],
  testMatch: ['**/*.unit.test.ts'],
  transform: {
    // tsconfig sets isolatedModules: ts-jest then only strips types; type-checking is `npm run typecheck`'s job.
    '^.+\\.ts$': ['ts-jest', {}],
  },
  setupFilesAfterEnv: ['<rootDir>/test/support/unit-guard.ts'],
  slowTestThreshold: 5,
  // One worker per core (jest's default leaves one core idle): the slowest files mostly wait (an idle keep-alive, restarts
  // after a delay), so they overlap well. Only for `npm run test:unit`: as a project of jest.config.js this is ignored.
  maxWorkers: '100%',
};
