/**
 * Worker Versioning: the worker joins the Worker Deployment
 * TEMPORAL_DEPLOYMENT_NAME as the version named by its build id, and makes
 * that version the deployment's current one, where new workflows start.
 * docs/architecture.md, "Versioning", says how a new build is rolled out.
 *
 * The build id is a hash of the workflow bundle the worker runs, so every
 * copy of one build (the same compiled code, the same interceptors) polls as
 * the same version, whatever machine or restart, and a build whose workflow
 * code differs is another version: the transfers PINNED to the version that
 * started them never meet code they did not start on. A change of activities
 * alone keeps the build id (activities are not pinned; they must stay
 * compatible with the workflows that call them, as in any rolling deploy).
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { Logger } from 'pino';

/** The build id of a workflow bundle: `workflows-` and 12 hex digits of its SHA-256. */
export function buildIdOf(bundleCode: string): string {
  return `workflows-${createHash('sha256').update(bundleCode).digest('hex').slice(0, 12)}`;
}

/** The version the deployment routes new workflows to, or null when none is set (or the deployment does not exist yet). */
export async function currentVersion(client: Client, namespace: string, deploymentName: string): Promise<string | null> {
  try {
    const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId || null;
  } catch (error) {
    if (grpcCode(error) === NOT_FOUND) return null;
    throw error;
  }
}

export interface MakeCurrentOptions {
  /** How long to keep asking while the server has not yet seen this version's pollers. */
  timeoutMs?: number;
  identity?: string;
}

/**
 * Makes `version` the deployment's current version, unless it is already.
 * The server refuses a version whose pollers it has not seen yet (and knows
 * no deployment before its first poller), so this retries, once a second,
 * until `timeoutMs`: call it once the worker polls. Several copies of one
 * build may call it together; the answer is the same for all.
 */
export async function makeCurrent(client: Client, namespace: string, version: WorkerDeploymentVersion, logger: Logger, options: MakeCurrentOptions = {}): Promise<'already' | 'set'> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let attempt = 1; ; attempt++) {
    try {
      if ((await currentVersion(client, namespace, version.deploymentName)) === version.buildId) return 'already';
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: options.identity,
      });
      return 'set';
    } catch (error) {
      if (!RETRIED_CODES.has(grpcCode(error) ?? -1) || Date.now() >= deadline) throw error;
      logger.debug({ attempt, err: error }, 'worker deployment version not accepted yet; retrying');
      await sleep(1_000);
    }
  }
}

const NOT_FOUND = 5;
/**
 * NOT_FOUND: no deployment or version yet (no poller seen); FAILED_PRECONDITION:
 * the version's pollers not seen yet; ABORTED and UNAVAILABLE: a concurrent
 * change (another copy setting it too), the server busy.
 */
const RETRIED_CODES = new Set([NOT_FOUND, 9, 10, 14]);

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
