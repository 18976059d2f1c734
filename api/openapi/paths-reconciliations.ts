/** The reconciliation operations of the document (api/routes/reconciliations.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { EXAMPLE } from './examples';
import { emptyBodyProblems, notFound, reconciliationRunning, unavailable } from './responses';
import { RECONCILIATION_CHECKS } from '../../lib/reconciliation/report';
import { reconciliationResource, reconciliationStartedResource } from './resources';
import { emptyActionBody, type Common } from './common';

const JSON_TYPE = 'application/json';
const counts = { checked: 12, mismatches: 0, recorded: 0 };
const perCheck = <T>(value: T) => Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, value]));

export function registerReconciliationPaths(registry: OpenAPIRegistry, common: Common): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/reconciliations',
    operationId: 'startReconciliation',
    tags: ['Reconciliation'],
    summary: 'Run a reconciliation now',
    description:
      'Starts a reconciliation run (it also runs nightly on a Temporal Schedule) and answers at once; poll the `Location` for the report. Takes an empty JSON object or no body. **One run on demand at a time**: while one is running, the answer is a 409 (code RECONCILIATION_RUNNING) whose `Location` is the running one\'s report; nothing new starts. (The nightly run is not counted: it may run beside one on demand.)',
    request: { body: emptyActionBody },
    responses: {
      202: {
        description: 'Accepted and running.',
        headers: { Location: { description: 'The report.', schema: { type: 'string' } } },
        content: { [JSON_TYPE]: { schema: reconciliationStartedResource, examples: { running: { value: { id: EXAMPLE.reconciliationId, status: 'running', startedAt: EXAMPLE.time } } } } },
        links: { GetReconciliation: { operationId: 'getReconciliation', parameters: { id: '$response.body#/id' }, description: 'The report of the run just started.' } },
      },
      ...emptyBodyProblems(),
      ...common.auth,
      409: reconciliationRunning,
      ...common.writes,
      503: unavailable('the run could not be started (Temporal; the report is marked failed), or the database'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/reconciliations/{id}',
    operationId: 'getReconciliation',
    tags: ['Reconciliation'],
    summary: 'Get a reconciliation report',
    description: `Status, counts and mismatches per check (${RECONCILIATION_CHECKS.join(', ')}).`,
    request: { params: z.object({ id: z.uuid().meta({ description: 'The report (a UUID; anything else is a 404).', examples: [EXAMPLE.reconciliationId] }) }) },
    responses: {
      200: {
        description: 'The report.',
        content: {
          [JSON_TYPE]: {
            schema: reconciliationResource,
            examples: {
              completed: {
                value: {
                  id: EXAMPLE.reconciliationId,
                  status: 'completed',
                  trigger: 'api',
                  startedAt: EXAMPLE.time,
                  finishedAt: '2026-11-26T21:07:58.900Z',
                  failureMessage: null,
                  counts: perCheck(counts),
                  mismatches: perCheck([]),
                  mismatchesTruncated: false,
                },
              },
            },
          },
        },
      },
      ...common.auth,
      404: notFound('reconciliation'),
      503: unavailable('the database'),
    },
  });
}
