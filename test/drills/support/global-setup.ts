/**
 * Global setup of the drills: the whole stack must run (the drills talk to
 * the gateway and kill real processes), and the results table starts empty.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { assertSupportedNode } from '../../support/node-version';
import { resetResults } from './report';

export default function globalSetup(): void {
  console.log(`Node.js ${assertSupportedNode()}`);
  const stack = path.resolve(__dirname, '..', '..', '..', 'deploy', 'stack');
  execFileSync(stack, ['up'], { stdio: 'inherit', timeout: 10 * 60_000 });
  resetResults();
}
