/**
 * Who may call each operation, written into the generated document from the
 * one table the routes enforce (api/permissions.ts): `x-required-roles` (and
 * `x-own-only-roles`) and a **Roles** line in the description, always; with
 * keys, also the operation's security requirement (OpenAPI 3.1 lets a bearer
 * requirement list role names: one requirement per role, any one suffices)
 * and its 403. An operation the table lacks, or a table entry no operation
 * has, fails the build of the document: the two cannot drift apart.
 */
import { FORBIDDEN, SAME_PRINCIPAL } from '../authorize';
import { describeRoles, OPERATION_IDS, PERMISSIONS, type OperationId } from '../permissions';
import { problemResponse } from './responses';

interface Operation {
  operationId?: string;
  description?: string;
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  [extension: `x-${string}`]: unknown;
}

type Paths = Record<string, Record<string, Operation>>;

const DECISIONS: readonly OperationId[] = ['approveTransfer', 'rejectTransfer'];

export function applyAccess(paths: Paths, options: { auth: boolean; securityScheme: string }): void {
  const seen = new Set<string>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const id = operation.operationId;
      if (!id || !(OPERATION_IDS as readonly string[]).includes(id)) throw new Error(`${method.toUpperCase()} ${path} (${id}) has no entry in api/permissions.ts`);
      seen.add(id);
      annotate(operation, id as OperationId, options);
    }
  }
  const missing = OPERATION_IDS.filter((id) => !seen.has(id));
  if (missing.length > 0) throw new Error(`api/permissions.ts names operations the document lacks: ${missing.join(', ')}`);
}

function annotate(operation: Operation, id: OperationId, { auth, securityScheme }: { auth: boolean; securityScheme: string }): void {
  const { roles, own = [] } = PERMISSIONS[id];
  operation['x-required-roles'] = [...roles];
  if (own.length > 0) operation['x-own-only-roles'] = [...own];
  const ownNote = own.length > 0 ? ` "Own only": just the accounts and transfers that principal created; another principal's is a 404 to it, as one that does not exist.` : '';
  const modeNote = auth ? '' : ' (when the gateway runs with keys; in development mode every request holds every role)';
  operation.description = `${operation.description ?? ''}\n\n**Roles**${modeNote}: ${describeRoles(id)}.${ownNote}`.trim();
  if (!auth) return;
  operation.security = roles.map((role) => ({ [securityScheme]: [role] }));
  operation.responses = sortedByStatus({ ...operation.responses, 403: asGenerated(forbidden(id)) });
}

/** Added after generation: the problem schema by its reference, as the generator writes it for every other problem. */
function asGenerated(response: ReturnType<typeof problemResponse>) {
  const content = Object.fromEntries(
    Object.entries(response.content).map(([type, media]) => [type, { ...media, schema: { $ref: '#/components/schemas/Problem' } }]),
  );
  return { ...response, content };
}

function forbidden(id: OperationId) {
  const roles = PERMISSIONS[id].roles;
  const examples = {
    role: {
      slug: 'forbidden',
      title: 'Forbidden',
      code: FORBIDDEN,
      detail: `${id} needs the role ${roles.join(' or ')} (${describeRoles(id)}); carol has auditor.`,
      extra: { requiredRoles: [...roles] },
    },
  };
  if (!DECISIONS.includes(id)) {
    return problemResponse(403, `The key's client holds none of the roles ${roles.join(', ')} (code ${FORBIDDEN}, \`requiredRoles\` lists them).`, examples);
  }
  return problemResponse(
    403,
    `The key's client holds none of the roles ${roles.join(', ')} (code ${FORBIDDEN}), or it created this transfer (code ${SAME_PRINCIPAL}: four-eyes, another approver must decide it).`,
    {
      ...examples,
      selfApproval: {
        slug: 'same-principal',
        title: 'Forbidden',
        code: SAME_PRINCIPAL,
        detail: 'Transfer 3a1c2e4f-6b7d-4e8f-9a0b-1c2d3e4f5a6b was created by alice, who may not approve it: another approver must decide it.',
      },
    },
  );
}

/** Responses in status order, as the rest of the document has them. */
function sortedByStatus(responses: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}
