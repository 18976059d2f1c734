/**
 * Jest global setup: brings the real infrastructure up before any test file
 * runs. `deploy/stack up --infra` is idempotent, so a stack that is already
 * running (a developer's `npm start`) is reused as it is.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { assertSupportedNode } from './node-version';

export default function globalSetup(): void {
  console.log(`Node.js ${assertSupportedNode()}`);
  const stack = path.resolve(__dirname, '..', '..', 'deploy', 'stack');
  execFileSync(stack, ['up', '--infra'], { stdio: 'inherit', timeout: 10 * 60_000 });
}
