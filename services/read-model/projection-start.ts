/**
 * How the service starts its projection consumer. When the consumer refuses
 * because the event log lost events the projections never applied
 * (log-start.ts), the service still answers from the tables it has, but does
 * not project: it logs an ERROR saying what to do, and /readyz answers 503
 * naming the partitions, so the deployment shows it rather than serving
 * balances that silently miss events.
 */
import type { ReadinessChecks } from '../../lib/http';
import { startProjectionConsumer, type ProjectionConsumer, type ProjectionConsumerOptions } from './consumer';
import { IncompleteLogError } from './log-start';

export interface ProjectionStart {
  /** Null when the consumer refused to start. */
  consumer: ProjectionConsumer | null;
  /** Extra /readyz checks: one that always fails when the consumer refused. */
  readiness: ReadinessChecks;
}

const WHAT_TO_DO =
  "restore the topics' full history (deploy/README.md, Event retention), or rebuild the projections from a complete log, then restart the read model";

export async function startProjecting(options: ProjectionConsumerOptions): Promise<ProjectionStart> {
  try {
    return { consumer: await startProjectionConsumer(options), readiness: {} };
  } catch (error) {
    if (!(error instanceof IncompleteLogError)) throw error;
    options.logger.error(
      { err: error, group_id: options.groupId, gaps: error.gaps.map((gap) => ({ ...gap, logStart: String(gap.logStart), resumesAt: gap.resumesAt?.toString() ?? null })) },
      `read model does not project: ${error.message}; ${WHAT_TO_DO}`,
    );
    const refusal = new Error(`${error.message}; ${WHAT_TO_DO}`);
    return { consumer: null, readiness: { projection: () => Promise.reject(refusal) } };
  }
}
