/**
 * Both tiers of tests (docs/architecture.md, "Tests"), one project each:
 *  - unit: *.unit.test.ts, with no infrastructure (jest.unit.config.js);
 *  - stack: every other *.test.ts, against the real infrastructure: the
 *    global setup brings the native stack up (idempotent, so an already
 *    running stack is reused). Files run one at a time (--runInBand in npm
 *    test) because they share databases and ports.
 * `npm test` runs both, each file once; `--selectProjects stack` the second alone.
 */
const unit = require('./jest.unit.config.js');

const stack = {
  displayName: 'stack',
  testEnvironment: unit.testEnvironment,
  roots: unit.roots,
  testMatch: ['**/*.test.ts'],
  // The failure drills kill and restart parts of the stack: they run only through jest.drills.config.js (npm run drills).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/drills/', '\\.unit\\.test\\.ts$'],
  transform: unit.transform,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  slowTestThreshold: 20,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [unit, stack],
  // Per test, for the stack tier; the unit tier sets its own (unit-guard.ts).
  testTimeout: 60_000,
};
