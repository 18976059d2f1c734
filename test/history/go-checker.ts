/**
 * The Go checker (test/history/checker, built on Porcupine) run on a history
 * file: `$TOOLS_DIR/history-checker [--html-dir DIR] HISTORY.jsonl`, exit 0 =
 * linearizable. Built first by deploy/build-history-checker when the tree has
 * it; when neither the binary nor its build script exists, the verdict is
 * "not run" (which a caller counts as a check that did not run, not a pass).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../../lib/config';

const execFileAsync = promisify(execFile);
const CHECKER_TIMEOUT_MS = 10 * 60_000;

export interface GoVerdict {
  /** Exit 1 is a counterexample; any other non-zero exit (a search that timed out, say) proves nothing either way. */
  verdict: 'linearizable' | 'not linearizable' | 'undecided' | 'not run';
  detail: string;
}

export async function runGoChecker(historyFile: string, htmlDir: string): Promise<GoVerdict> {
  const tools = process.env.TOOLS_DIR ?? path.join(ROOT_DIR, '.tools');
  const binary = path.join(tools, 'history-checker');
  const build = path.join(ROOT_DIR, 'deploy', 'build-history-checker');
  if (existsSync(build)) {
    try {
      await execFileAsync(build, [], { timeout: CHECKER_TIMEOUT_MS, maxBuffer: 10 * 1024 * 1024 });
    } catch (error) {
      return { verdict: 'not run', detail: `deploy/build-history-checker failed: ${(error as Error).message.slice(0, 1000)}` };
    }
  }
  if (!existsSync(binary)) return { verdict: 'not run', detail: `neither ${binary} nor deploy/build-history-checker exists in this tree` };
  try {
    const { stdout, stderr } = await execFileAsync(binary, ['--html-dir', htmlDir, historyFile], { timeout: CHECKER_TIMEOUT_MS, maxBuffer: 50 * 1024 * 1024 });
    return { verdict: 'linearizable', detail: (stdout + stderr).trim().slice(-2000) };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; message: string };
    if (typeof e.code === 'number') return { verdict: e.code === 1 ? 'not linearizable' : 'undecided', detail: `exit ${e.code}: ${((e.stdout ?? '') + (e.stderr ?? '')).trim().slice(-4000)}` };
    return { verdict: 'not run', detail: e.message.slice(0, 1000) };
  }
}
