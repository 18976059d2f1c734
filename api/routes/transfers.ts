/**
 * Public transfer routes (api-contract.md, "Transfers"). Thin: authorize
 * (api/permissions.ts), validate, call api/transfers.ts, answer.
 */
import { trace } from '@opentelemetry/api';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { notFound, validationError } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { InvalidCursorError, toTransferResource, type TransferRecord } from '../../lib/transfers';
import { DECISIONS } from '../../lib/workflow-contract/decisions';
import { check, throwIfInvalid, validData } from '../../lib/validation';
import { allow, ownerScope } from '../authorize';
import { createTransferBody, emptyBody, idempotencyKey, listTransfersQuery, waitQuery } from '../schemas';
import { principalOf } from '../principal';
import { createTransfer, createTransferAndWait, decide, getTransferOr404, reverse, type TransferDeps, type WriteOrigin } from '../transfers';

export function transferRoutes(deps: TransferDeps): Router {
  const router = Router();

  router.post('/transfers', allow('createTransfer'), asyncHandler(async (req, res) => {
    const key = check(idempotencyKey, req.get('Idempotency-Key'), 'Idempotency-Key');
    const body = check(createTransferBody, req.body);
    const query = check(waitQuery, req.query);
    throwIfInvalid(key, body, query);
    const create = validData(query, 'the wait query').wait === 'true' ? createTransferAndWait : createTransfer;
    const { transfer, replayed } = await create(deps, validData(body, 'the transfer body'), writeOrigin(res, validData(key, 'the Idempotency-Key')));
    res.location(transferPath(transfer.id));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    sendTransfer(res, transfer, replayed ? 200 : 201);
  }));

  router.get('/transfers', allow('listTransfers'), asyncHandler(async (req, res) => {
    const query = check(listTransfersQuery, req.query);
    throwIfInvalid(query);
    const owner = ownerScope(res);
    try {
      const page = await deps.store.listTransfers({ ...validData(query, 'the transfer list query'), ...(owner === null ? {} : { createdBy: owner }) });
      res.json({ items: page.items.map(toTransferResource), nextCursor: page.nextCursor });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw validationError([{ field: 'cursor', message: error.message }]);
      throw error;
    }
  }));

  router.get('/transfers/:id', allow('getTransfer'), asyncHandler(async (req, res) => {
    sendTransfer(res, await getTransferOr404(deps, pathId(req), ownerScope(res)));
  }));

  for (const decision of DECISIONS) {
    router.post(`/transfers/:id/${decision}`, allow(`${decision}Transfer`), asyncHandler(async (req, res) => {
      const id = pathId(req);
      throwIfInvalid(check(emptyBody, req.body));
      const transfer = await decide(deps, id, decision, principalOf(res), ownerScope(res));
      // When the outcome was not known within the wait cap, this is where the client follows it (the contract).
      res.location(transferPath(id));
      sendTransfer(res, transfer);
    }));
  }

  router.post('/transfers/:id/reverse', allow('reverseTransfer'), asyncHandler(async (req, res) => {
    const id = pathId(req);
    const key = check(idempotencyKey, req.get('Idempotency-Key'), 'Idempotency-Key');
    throwIfInvalid(key, check(emptyBody, req.body));
    const { transfer, replayed } = await reverse(deps, id, writeOrigin(res, validData(key, 'the Idempotency-Key')));
    res.location(transferPath(id));
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    sendTransfer(res, transfer);
  }));

  return router;
}

/** The caller, its key, and the request's trace (recorded on the transfer or its reversal). */
function writeOrigin(res: Response, idempotencyKey: string): WriteOrigin {
  return { principal: principalOf(res).id, idempotencyKey, traceId: trace.getActiveSpan()?.spanContext().traceId ?? null };
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
