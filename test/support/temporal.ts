/**
 * Temporal test environments built from the binaries the native stack installs
 * (never a download at run time).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEMPORAL_TEST_SERVER_PATH } from '../../lib/tools';

/** A time-skipping environment: timers of a day fire in milliseconds of wall time. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER_PATH } },
  });
}
