/**
 * The failure drills (test/drills): each kills or stops a real component of
 * the running stack mid-load, heals it and checks the contract's invariants.
 * Kept out of the default run (jest.config.js ignores test/drills); run them
 * with `npm run drills`, or some of them with a path filter, e.g.
 * `npx jest -c jest.drills.config.js --runInBand test/drills/worker`.
 * The global setup brings the whole stack up; the teardown prints the table.
 *
 * Knobs (environment): DRILL_TRANSFERS (300 per drill), DRILL_RATE (10
 * transfers started per second at most), DRILL_PENDING_MAX (50: no new
 * transfer starts while that many are pending), DRILL_RECOVERY_DEADLINE_MS
 * (300000), DRILL_SEED (to replay a drill's load). Every port and DATA_DIR
 * come from the environment as for deploy/stack, so the drills can run
 * against a stack of their own.
 */
// The stack tier's project (transform, test environment); its roots, ignore list and global setup are replaced below.
const stack = require('./jest.config.js').projects.find((project) => project.displayName === 'stack');

/** @type {import('jest').Config} */
module.exports = {
  ...stack,
  displayName: 'drills',
  roots: ['<rootDir>/test/drills'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/drills/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/drills/support/global-teardown.ts',
  testSequencer: '<rootDir>/test/drills/support/sequencer.js',
  // A drill: accounts, a load, a fault held up to 30 s, a heal, up to 300 s for recovery; on a busy 2-core machine.
  testTimeout: 12 * 60_000,
  slowTestThreshold: 120,
};
