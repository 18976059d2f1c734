/** Global teardown of the drills: prints every drill's result as one table. */
import { formatTable, readResults } from './report';

export default function globalTeardown(): void {
  const rows = readResults();
  if (rows.length === 0) return;
  process.stdout.write(`\nFailure drills\n\n${formatTable(rows)}\n\n`);
}
