/**
 * Runs the drills in the order the issue lists the faults (worker, ledger,
 * accounts, consumer, kafka, temporal, postgres), so the end-of-run table
 * reads the same way every time; Jest's default orders by past durations.
 */
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = ['worker', 'ledger', 'accounts', 'consumer', 'kafka', 'temporal', 'postgres'];
const rank = (test) => {
  const name = require('node:path').basename(test.path, '.test.ts');
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
};

class DrillSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }
}

module.exports = DrillSequencer;
