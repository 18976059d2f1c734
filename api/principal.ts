/**
 * Who is calling the gateway. Authentication (api/auth.ts) puts the caller's
 * principal on `res.locals`; everything that decides or records "who" reads it
 * from here: roles, four-eyes approval, idempotency scope, the audit trail.
 *
 * Without configured keys (development mode) every request is the one
 * principal `development`, holding every role.
 */
import type { Response } from 'express';

export const ROLES = ['submitter', 'approver', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** Stable client id (never the key): recorded as createdBy / decidedBy and in the audit trail. */
  id: string;
  roles: readonly Role[];
  /** True only in development mode (no keys configured). */
  development: boolean;
}

export const DEVELOPMENT_PRINCIPAL: Principal = Object.freeze({ id: 'development', roles: ROLES, development: true });

export function setPrincipal(res: Response, principal: Principal): void {
  res.locals.principal = principal;
}

/** The caller of this request; development mode's principal when nothing authenticated it. */
export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? DEVELOPMENT_PRINCIPAL;
}

/** What the gateway logs (WARN) at start in development mode. */
export const DEVELOPMENT_MODE_WARNING =
  'DEVELOPMENT MODE: API_CLIENTS_FILE is not set, so /v1 takes requests without a key. Every request is the principal ' +
  `"${DEVELOPMENT_PRINCIPAL.id}" holding every role (${ROLES.join(', ')}), and four-eyes approval is not enforced: ` +
  'that one principal approves its own transfers. Never expose this gateway. Turn keys on: ' +
  '`npm run api-client -- add <id> --roles <role,...>` for each client, then start with API_CLIENTS_FILE=<that file> (README, "Keys and roles").';
