/**
 * Who may do what: the one table of the roles each /v1 operation needs. The
 * routes enforce it (api/authorize.ts), the OpenAPI document states it per
 * operation (`x-required-roles`, its 403), and the roles test runs every
 * operation against every role from it, so the three cannot disagree.
 *
 * A role in `own` grants the operation only on what the principal itself
 * created (the accounts and transfers whose `createdBy` it is); any other
 * role of the list grants it on everything. A principal holding several
 * roles gets the widest access any of them gives.
 */
import type { Principal, Role } from './principal';

export const OPERATION_IDS = [
  'createAccount',
  'listAccounts',
  'getAccount',
  'freezeAccount',
  'unfreezeAccount',
  'getBalance',
  'getStatement',
  'createTransfer',
  'listTransfers',
  'getTransfer',
  'approveTransfer',
  'rejectTransfer',
  'cancelTransfer',
  'reverseTransfer',
  'createTransferBatch',
  'getTransferBatch',
  'listTransferBatchTransfers',
  'startReconciliation',
  'getReconciliation',
  'listAuditEvents',
] as const;
export type OperationId = (typeof OPERATION_IDS)[number];

export interface Permission {
  /** Every role that grants the operation. */
  roles: readonly Role[];
  /** Of `roles`, those that grant it only on the principal's own accounts and transfers. */
  own?: readonly Role[];
}

// Reading follows acting: an approver reads the transfers it decides, an operator the accounts and transfers it acts on.
const READ_ACCOUNTS: Permission = { roles: ['submitter', 'operator', 'auditor'], own: ['submitter'] };
const READ_TRANSFERS: Permission = { roles: ['submitter', 'approver', 'operator', 'auditor'], own: ['submitter'] };

export const PERMISSIONS: Readonly<Record<OperationId, Permission>> = {
  createAccount: { roles: ['submitter'] },
  listAccounts: READ_ACCOUNTS,
  getAccount: READ_ACCOUNTS,
  freezeAccount: { roles: ['operator'] },
  unfreezeAccount: { roles: ['operator'] },
  getBalance: READ_ACCOUNTS,
  getStatement: READ_ACCOUNTS,
  createTransfer: { roles: ['submitter'] },
  listTransfers: READ_TRANSFERS,
  getTransfer: READ_TRANSFERS,
  approveTransfer: { roles: ['approver'] },
  rejectTransfer: { roles: ['approver'] },
  // Its creator may withdraw a transfer; an operator may stop any.
  cancelTransfer: { roles: ['submitter', 'operator'], own: ['submitter'] },
  reverseTransfer: { roles: ['operator'] },
  // A batch is transfers: created as transfers are, read as they are.
  createTransferBatch: { roles: ['submitter'] },
  getTransferBatch: READ_TRANSFERS,
  listTransferBatchTransfers: READ_TRANSFERS,
  startReconciliation: { roles: ['operator'] },
  getReconciliation: { roles: ['operator', 'auditor'] },
  // Who did what is for the auditors alone: it names every client and resource.
  listAuditEvents: { roles: ['auditor'] },
};

/**
 * What the principal may do with the operation: `all`, only its `own`
 * resources, or nothing (null: a 403).
 */
export type Access = 'all' | 'own';

export function accessOf(principal: Principal, operationId: OperationId): Access | null {
  const { roles, own = [] } = PERMISSIONS[operationId];
  const granting = principal.roles.filter((role) => roles.includes(role));
  if (granting.length === 0) return null;
  return granting.some((role) => !own.includes(role)) ? 'all' : 'own';
}

/** The roles of the operation as its documentation says them: "submitter (own only), operator". */
export function describeRoles(operationId: OperationId): string {
  const { roles, own = [] } = PERMISSIONS[operationId];
  return roles.map((role) => (own.includes(role) ? `${role} (own only)` : role)).join(', ');
}
