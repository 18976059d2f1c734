/**
 * Authorization of each /v1 operation by the table of api/permissions.ts: a
 * principal without a role the operation needs gets a 403 problem with code
 * FORBIDDEN naming the roles that would do, before anything is read or
 * validated. A principal whose only granting roles are "own only" roles
 * (a submitter) is let through with its access recorded on `res.locals`, and
 * the route then shows it only what it created: another principal's account
 * or transfer is a 404, exactly as one that does not exist, so ids of others'
 * resources tell a caller nothing.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../lib/errors';
import { accessOf, describeRoles, PERMISSIONS, type Access, type OperationId } from './permissions';
import { principalOf, type Principal } from './principal';

export const FORBIDDEN = 'FORBIDDEN';
export const SAME_PRINCIPAL = 'SAME_PRINCIPAL';

/** The route guard of one operation. */
export function allow(operationId: OperationId) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const principal = principalOf(res);
    const access = accessOf(principal, operationId);
    if (access === null) return next(forbiddenRole(principal, operationId));
    res.locals.access = access;
    next();
  };
}

/**
 * The principal id whose resources alone the request may see, or null when it
 * may see every one. Routes pass it down to filter lists and to answer 404
 * for a resource of someone else.
 */
export function ownerScope(res: Response): string | null {
  return (res.locals.access as Access | undefined) === 'own' ? principalOf(res).id : null;
}

/** Whether a resource created by `createdBy` is hidden from a request limited to `owner`'s. */
export const hiddenFrom = (owner: string | null, createdBy: string | null): boolean => owner !== null && createdBy !== owner;

function forbiddenRole(principal: Principal, operationId: OperationId): AppError {
  const requiredRoles = PERMISSIONS[operationId].roles;
  return new AppError(
    403,
    'forbidden',
    'Forbidden',
    `${operationId} needs the role ${requiredRoles.join(' or ')} (${describeRoles(operationId)}); ${principal.id} has ${principal.roles.join(', ')}.`,
    { code: FORBIDDEN, requiredRoles: [...requiredRoles] },
  );
}

/** Four-eyes: the principal that created a transfer may not approve or reject it. */
export function selfApprovalForbidden(transferId: string, decision: string, principalId: string): AppError {
  return new AppError(
    403,
    'same-principal',
    'Forbidden',
    `Transfer ${transferId} was created by ${principalId}, who may not ${decision} it: another approver must decide it.`,
    { code: SAME_PRINCIPAL },
  );
}
