/** The audit trail's operation of the document (api/audit.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { auditQuery } from '../schemas';
import { EXAMPLE } from './examples';
import { invalidQuery, unavailable } from './responses';
import { auditPage } from './resources';
import type { Common } from './common';

export function registerAuditPaths(registry: OpenAPIRegistry, common: Common): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/audit',
    operationId: 'listAuditEvents',
    tags: ['Audit'],
    summary: 'List audit events',
    description: [
      'Every state-changing request (POST, PUT, PATCH, DELETE of /v1) of an authenticated client, recorded once its answer was sent: who (`principal`), what (`method`, `route`, `resourceId`), when (`occurredAt`), the outcome (`status`) and the trace. Requests refused by authentication (401) or the rate limit (429) are not recorded. The trail is append-only: the database refuses to change or delete an event.',
      'Newest first; optionally one principal\'s, from `since` (inclusive) until `until` (exclusive); paged by `limit` and the opaque `cursor` of the previous page. Needs the `auditor` role.',
    ].join('\n\n'),
    request: { query: auditQuery },
    responses: {
      200: {
        description: 'A page of audit events.',
        content: {
          'application/json': {
            schema: auditPage,
            examples: {
              page: {
                value: {
                  items: [
                    {
                      id: '1042',
                      occurredAt: EXAMPLE.time,
                      principal: 'development',
                      method: 'POST',
                      route: '/v1/transfers',
                      path: '/v1/transfers',
                      resourceId: EXAMPLE.transferId,
                      status: 201,
                      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                    },
                  ],
                  nextCursor: null,
                },
              },
            },
          },
        },
      },
      400: invalidQuery('since', 'must be an RFC 3339 time, e.g. 2026-11-26T21:07:57.123Z'),
      ...common.auth,
      503: unavailable('the database'),
    },
  });
}
