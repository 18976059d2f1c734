/**
 * The TypeScript checks run again on a kept history and the snapshot written
 * beside it, without the stack: `tsx test/history/check-file.ts HISTORY.jsonl`
 * (reads HISTORY.snapshot.json). Prints each check's verdict; exit 1 on any violation.
 */
import { readFileSync } from 'node:fs';
import { runChecks } from './checks';
import { parseHistory, type FinalSnapshot } from './history';

const file = process.argv[2];
if (!file) {
  console.error('usage: tsx test/history/check-file.ts HISTORY.jsonl');
  process.exit(2);
}
const history = parseHistory(readFileSync(file, 'utf8'));
const snapshot = JSON.parse(readFileSync(file.replace(/\.jsonl$/, '.snapshot.json'), 'utf8')) as FinalSnapshot;
const checks = runChecks(history, snapshot);
for (const check of checks) {
  console.log(`check ${check.name}: ${check.violations.length === 0 ? 'PASS' : `FAIL (${check.violations.length})`}`);
  for (const v of check.violations) console.log(`    ${v}`);
}
process.exit(checks.some((c) => c.violations.length > 0) ? 1 : 0);
