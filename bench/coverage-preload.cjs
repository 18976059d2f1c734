/**
 * Preloaded (NODE_OPTIONS=--require) into every Node process of the stack by
 * bench/transfer-footprint.ts, with NODE_V8_COVERAGE set: it only lets the
 * benchmark cut V8's coverage into windows. v8.takeCoverage() writes the
 * counts so far to NODE_V8_COVERAGE and resets them.
 *
 * Main thread: on SIGUSR2. Worker threads (the Temporal worker runs the
 * workflows in them) get no signals, so they poll the file FOOTPRINT_TRIGGER
 * and take their coverage when its content changes. No product code changes.
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: --require loads it before any loader */
const v8 = require('node:v8');
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

if (process.env.NODE_V8_COVERAGE) {
  if (isMainThread) {
    process.on('SIGUSR2', () => v8.takeCoverage());
  } else if (process.env.FOOTPRINT_TRIGGER) {
    const trigger = process.env.FOOTPRINT_TRIGGER;
    const read = () => {
      try {
        return fs.readFileSync(trigger, 'utf8');
      } catch {
        return '';
      }
    };
    let seen = read();
    setInterval(() => {
      const now = read();
      if (now !== seen) {
        seen = now;
        v8.takeCoverage();
      }
    }, 200).unref();
  }
}
