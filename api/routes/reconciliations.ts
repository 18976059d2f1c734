/** Reconciliation on demand (POST /v1/reconciliations) and its reports. Thin: validate, call api/reconciliations.ts, answer. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { notFound } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { check, throwIfInvalid } from '../../lib/validation';
import { getReconciliationOr404, ReconciliationRunningConflict, startReconciliation, toReportResource, toStartedResource, type ReconciliationDeps } from '../reconciliations';
import { allow } from '../authorize';
import { emptyBody } from '../schemas';

export function reconciliationRoutes(deps: ReconciliationDeps): Router {
  const router = Router();

  router.post('/reconciliations', allow('startReconciliation'), asyncHandler(async (req, res) => {
    throwIfInvalid(check(emptyBody, req.body));
    const report = await startReconciliation(deps).catch((error: unknown) => {
      // The 409 points at the run under way, as a 202 points at the run it started.
      if (error instanceof ReconciliationRunningConflict && error.runningId) res.location(reportPath(error.runningId));
      throw error;
    });
    res.location(reportPath(report.id));
    res.status(202).json(toStartedResource(report));
  }));

  router.get('/reconciliations/:id', allow('getReconciliation'), asyncHandler(async (req, res) => {
    res.json(toReportResource(await getReconciliationOr404(deps, pathId(req))));
  }));

  return router;
}

const reportPath = (id: string) => `/v1/reconciliations/${id}`;

const uuid = z.uuid();

/** An id in a path that is not a UUID names nothing: 404, as the contract says. */
function pathId(req: Request): string {
  const id = pathParam(req, 'id');
  if (!uuid.safeParse(id).success) throw notFound('reconciliation', id);
  return id;
}
