/**
 * The failure drills (test/drills): each kills or stops a real component of
 * the running stack mid-load, heals it and checks the contract's invariants.
 * Kept out of the default run (jest.config.js ignores test/drills); run them
 * with `npm run drills`, or some of them with a path filter, e.g.
 * `npx jest -c jest.drills.config.js --runInBand test/drills/worker`.
 * The global setup brings the whole stack up; the teardown prints the table.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/drills'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/drills/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/drills/support/global-teardown.ts',
  // A drill runs a load, holds a fault up to 30 s and waits up to 150 s for recovery.
  testTimeout: 6 * 60_000,
  slowTestThreshold: 120,
};
