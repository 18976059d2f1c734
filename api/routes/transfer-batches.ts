/**
 * Public transfer batch routes (api-contract.md, "Transfer batches"). Thin:
 * authorize (api/permissions.ts), validate, call api/transfer-batches.ts,
 * answer.
 */
import { trace } from '@opentelemetry/api';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { notFound, validationError } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { InvalidCursorError, toBatchResource, toTransferResource, type BatchRecord } from '../../lib/transfers';
import { check, throwIfInvalid, validData } from '../../lib/validation';
import { allow, ownerScope } from '../authorize';
import { principalOf } from '../principal';
import { createTransferBatchBody, idempotencyKey, pageQuery, waitQuery } from '../schemas';
import { createBatch, createBatchAndWait, getBatchOr404, type BatchDeps } from '../transfer-batches';

/** The contract's limit of a batch's body (the general limit is 64 KiB): about 1,000 transfers with small metadata each. */
export const BATCH_BODY_LIMIT_BYTES = 1024 * 1024;
export const BATCH_PATH = '/v1/transfer-batches';

export function transferBatchRoutes(deps: BatchDeps): Router {
  const router = Router();

  router.post('/transfer-batches', allow('createTransferBatch'), asyncHandler(async (req, res) => {
    const key = check(idempotencyKey, req.get('Idempotency-Key'), 'Idempotency-Key');
    const body = check(createTransferBatchBody, req.body);
    const query = check(waitQuery, req.query);
    throwIfInvalid(key, body, query);
    const create = validData(query, 'the wait query').wait === 'true' ? createBatchAndWait : createBatch;
    const origin = { principal: principalOf(res).id, idempotencyKey: validData(key, 'the Idempotency-Key'), traceId: trace.getActiveSpan()?.spanContext().traceId ?? null };
    const { batch, replayed } = await create(deps, validData(body, 'the batch body'), origin);
    res.location(`${BATCH_PATH}/${batch.id}`);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    sendBatch(res, batch, replayed ? 200 : 201);
  }));

  router.get('/transfer-batches/:id', allow('getTransferBatch'), asyncHandler(async (req, res) => {
    sendBatch(res, await getBatchOr404(deps, pathId(req), ownerScope(res)));
  }));

  router.get('/transfer-batches/:id/transfers', allow('listTransferBatchTransfers'), asyncHandler(async (req, res) => {
    const id = pathId(req);
    const query = check(pageQuery, req.query);
    throwIfInvalid(query);
    await getBatchOr404(deps, id, ownerScope(res));
    try {
      const page = await deps.batches.listBatchItems(id, validData(query, 'the page query'));
      res.json({ items: page.items.map(toTransferResource), nextCursor: page.nextCursor });
    } catch (error) {
      if (error instanceof InvalidCursorError) throw validationError([{ field: 'cursor', message: error.message }]);
      throw error;
    }
  }));

  return router;
}

function sendBatch(res: Response, batch: BatchRecord, status = 200): void {
  res.status(status).json(toBatchResource(batch));
}

const uuid = z.uuid();

/** An id in a path that is not a UUID names nothing: 404, as the contract says. */
function pathId(req: Request): string {
  const id = pathParam(req, 'id');
  if (!uuid.safeParse(id).success) throw notFound('transfer batch', id);
  return id;
}
