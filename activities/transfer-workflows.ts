/**
 * What Temporal says of transfers' workflows, for reconciliation: one
 * describe per transfer (`transfer-<id>`, its latest run), a few at a time so
 * a page of 500 unfinished transfers is a bounded burst on the frontend, not
 * 500 calls at once. A workflow Temporal does not know (never started, or
 * closed and past retention) is NOT_FOUND.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WORKFLOW_NOT_FOUND, type WorkflowState } from '../lib/reconciliation/saga-mismatches';
import { transferWorkflowId } from '../lib/workflow-contract';
import type { TransferWorkflowsApi } from './reconciliation-saga-checks';

const DESCRIBES_AT_ONCE = 8;

export function temporalTransferWorkflows(client: Client): TransferWorkflowsApi {
  const stateOf = async (transferId: string): Promise<WorkflowState> => {
    try {
      return (await client.workflow.getHandle(transferWorkflowId(transferId)).describe()).status.name;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return WORKFLOW_NOT_FOUND;
      throw error;
    }
  };
  return {
    async states(transferIds) {
      const states = new Map<string, WorkflowState>();
      for (let i = 0; i < transferIds.length; i += DESCRIBES_AT_ONCE) {
        const chunk = transferIds.slice(i, i + DESCRIBES_AT_ONCE);
        const answers = await Promise.all(chunk.map(async (id) => [id, await stateOf(id)] as const));
        for (const [id, state] of answers) states.set(id, state);
      }
      return states;
    },
  };
}
