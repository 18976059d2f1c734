/**
 * The native stack's credentials: deploy/stack up writes them under
 * $DATA_DIR/run/service-tokens/<holder>/ (topology.ts), and hands each app its
 * directory as SERVICE_TOKENS_DIR. Tests, benchmarks and drills call the
 * stack's services as `operator`, from the same files.
 */
import path from 'node:path';
import { ROOT_DIR } from '../config';

/** $DATA_DIR/run/service-tokens (DATA_DIR defaults to the checkout's .data, as in deploy/stack). */
export function stackCredentialsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.resolve(env.DATA_DIR || path.join(ROOT_DIR, '.data')), 'run', 'service-tokens');
}

/** The environment that makes loadConfig read `holder`'s credentials of the native stack. */
export function stackCredentialsEnvironment(holder = 'operator', env: NodeJS.ProcessEnv = process.env): { SERVICE_TOKENS_DIR: string } {
  return { SERVICE_TOKENS_DIR: path.join(stackCredentialsDir(env), holder) };
}
