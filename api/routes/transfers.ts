/** Public transfer routes (api-contract.md, "Transfers"). Thin: validate, call api/transfers.ts, answer. */
import { trace } from '@opentelemetry/api';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { notFound, validationError } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { InvalidCursorError, toTransferResource, type TransferRecord } from '../../lib/transfers';
import { check, throwIfInvalid } from '../../lib/validation';
import { createTransferBody, emptyBody, idempotencyKey, listTransfersQuery, waitQuery } from '../schemas';
import { createTransfer, createTransferAndWait, decide, getTransferOr404, reverse, type Decision, type TransferDeps } from '../transfers';

export function transferRoutes(deps: TransferDeps): Router {
  const router = Router();

  router.post('/transfers', asyncHandler(async (req, res) => {
    const key = check(idempotencyKey, req.get('Idempotency-Key'), 'Idempotency-Key');
    const body = check(createTransferBody, req.body);
    const query = check(waitQuery, req.query);
    throwIfInvalid(key, body, query);
    const traceId = trace.getActiveSpan()?.spanContext().traceId ?? null;
    const create = query.data!.wait === 'true' ? createTransferAndWait : createTransfer;
    const { transfer, replayed } = await create(deps, body.data!, key.data!, traceId);
    res.location(transferPath(transfer.id));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    sendTransfer(res, transfer, replayed ? 200 : 201);
  }));

  router.get('/transfers', asyncHandler(async (req, res) => {
    const query = check(listTransfersQuery, req.query);
    throwIfInvalid(query);
    try {
      const page = await deps.store.listTransfers(query.data!);
      res.json({ items: page.items.map(toTransferResource), nextCursor: page.nextCursor });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw validationError([{ field: 'cursor', message: error.message }]);
      throw error;
    }
  }));

  router.get('/transfers/:id', asyncHandler(async (req, res) => {
    sendTransfer(res, await getTransferOr404(deps, pathId(req)));
  }));

  for (const decision of ['approve', 'reject', 'cancel'] as Decision[]) {
    router.post(`/transfers/:id/${decision}`, asyncHandler(async (req, res) => {
      const id = pathId(req);
      throwIfInvalid(check(emptyBody, req.body));
      const transfer = await decide(deps, id, decision);
      // When the outcome was not known within the wait cap, this is where the client follows it (the contract).
      res.location(transferPath(id));
      sendTransfer(res, transfer);
    }));
  }

  router.post('/transfers/:id/reverse', asyncHandler(async (req, res) => {
    const id = pathId(req);
    const key = check(idempotencyKey, req.get('Idempotency-Key'), 'Idempotency-Key');
    throwIfInvalid(key, check(emptyBody, req.body));
    const traceId = trace.getActiveSpan()?.spanContext().traceId ?? null;
    const { transfer, replayed } = await reverse(deps, id, key.data!, traceId);
    res.location(transferPath(id));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    sendTransfer(res, transfer);
  }));

  return router;
}

const transferPath = (id: string) => `/v1/transfers/${id}`;

function sendTransfer(res: Response, transfer: TransferRecord, status = 200): void {
  res.status(status).json(toTransferResource(transfer));
}

const uuid = z.uuid();

/** An id in a path that is not a UUID names nothing: 404, as the contract says. */
function pathId(req: Request): string {
  const id = pathParam(req, 'id');
  if (!uuid.safeParse(id).success) throw notFound('transfer', id);
  return id;
}
