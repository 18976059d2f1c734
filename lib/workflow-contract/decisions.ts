/**
 * The decisions on a transfer (approve, reject, cancel) and the one table of
 * the statuses each is allowed from. The gateway checks a request against it
 * before it relays the decision (api/transfers.ts), the workflow's validator
 * and signal handlers against the workflow's own status
 * (workflows/transfer-decisions.ts), and the OpenAPI description names the
 * same statuses (api/openapi/paths-transfers.ts). Pure code: the workflow
 * bundle imports it.
 */
import type { TransferStatus } from '../transfers/status';

export const DECISIONS = ['approve', 'reject', 'cancel'] as const;
export type Decision = (typeof DECISIONS)[number];

/** approve and reject act on a transfer awaiting approval; cancel on one not yet decided. */
export const DECISION_ALLOWED_FROM: Readonly<Record<Decision, readonly TransferStatus[]>> = {
  approve: ['awaiting_approval'],
  reject: ['awaiting_approval'],
  cancel: ['pending', 'awaiting_approval'],
};

export function isDecisionAllowedFrom(decision: Decision, status: TransferStatus): boolean {
  return DECISION_ALLOWED_FROM[decision].includes(status);
}

/** The allowed statuses in words, for the OpenAPI text: "only awaiting_approval", "pending or awaiting_approval". */
export function allowedFromText(decision: Decision): string {
  const statuses = DECISION_ALLOWED_FROM[decision];
  return statuses.length === 1 ? `only ${statuses[0]}` : `${statuses.slice(0, -1).join(', ')} or ${statuses[statuses.length - 1]}`;
}

/** How a decision taken is named in a reason: "it was rejected already". */
export const DECISION_PAST_TENSE: Readonly<Record<Decision, string>> = { approve: 'approved', reject: 'rejected', cancel: 'cancelled' };
