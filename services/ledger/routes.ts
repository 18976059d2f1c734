/** The ledger's HTTP routes: parse, call the domain, answer. Nothing else. */
import { Router, type Request } from 'express';
import { AppError, notFound } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { parseOrThrow } from '../../lib/validation';
import type { LedgerDeps } from './deps';
import { postBatch } from './batches';
import { postEntry } from './entries';
import { captureHold, reserveAndCapture, reserveHold, voidHold, type CaptureResult } from './holds';
import { getBalance, getEntry, getHold, holdDto } from './repository';
import { balanceCheckPage, balancePage, entryLinksPage, reservedHoldsPage, transferEntriesPage, transferReversalsPage } from './reconciliation';
import { reverseEntry } from './reversals';
import {
  accountsPageQuery,
  captureHoldSchema,
  entriesPageQuery,
  holdsPageQuery,
  postBatchSchema,
  postEntrySchema,
  reserveAndCaptureSchema,
  reserveHoldSchema,
  reverseEntrySchema,
  transfersPageQuery,
  uuidParam,
  voidHoldSchema,
} from './schemas';

export function ledgerRoutes(deps: LedgerDeps): Router {
  const router = Router();
  // Count every refusal by its rule before the error middleware answers.
  const counted = <T>(work: () => Promise<T>) =>
    work().catch((error: unknown) => {
      if (error instanceof AppError && error.status < 500) deps.metrics.validationError(error.extensions.code ?? error.slug);
      throw error;
    });

  router.post('/holds', asyncHandler(async (req, res) => {
    const result = await counted(() => reserveHold(deps, parseOrThrow(reserveHoldSchema, req.body)));
    res.status(result.replayed ? 200 : 201).json(result.hold);
  }));

  router.post('/holds/captured', asyncHandler(async (req, res) => {
    const result = await counted(() => reserveAndCapture(deps, parseOrThrow(reserveAndCaptureSchema, req.body)));
    res.status(result.replayed ? 200 : 201).json(capturedBody(result));
  }));

  router.post('/holds/:holdId/capture', asyncHandler(async (req, res) => {
    const holdId = pathId(req, 'holdId', 'hold');
    res.json(capturedBody(await counted(() => captureHold(deps, holdId, parseOrThrow(captureHoldSchema, req.body ?? {})))));
  }));

  router.post('/holds/:holdId/void', asyncHandler(async (req, res) => {
    const holdId = pathId(req, 'holdId', 'hold');
    parseOrThrow(voidHoldSchema, req.body ?? {});
    res.json(await counted(() => voidHold(deps, holdId)));
  }));

  router.get('/holds/:holdId', asyncHandler(async (req, res) => {
    const holdId = pathId(req, 'holdId', 'hold');
    const hold = await getHold(deps.pool, holdId);
    if (!hold || hold.tombstone) throw notFound('hold', holdId);
    res.json(holdDto(hold));
  }));

  router.post('/entries', asyncHandler(async (req, res) => {
    const result = await counted(() => postEntry(deps, parseOrThrow(postEntrySchema, req.body)));
    res.status(result.replayed ? 200 : 201).json(result.entry);
  }));

  router.post('/batches', asyncHandler(async (req, res) => {
    res.json(await counted(() => postBatch(deps, parseOrThrow(postBatchSchema, req.body))));
  }));

  router.post('/entries/:entryId/reverse', asyncHandler(async (req, res) => {
    const entryId = pathId(req, 'entryId', 'entry');
    const result = await counted(() => reverseEntry(deps, entryId, parseOrThrow(reverseEntrySchema, req.body ?? {})));
    res.status(result.replayed ? 200 : 201).json(result.entry);
  }));

  router.get('/entries/:entryId', asyncHandler(async (req, res) => {
    const entryId = pathId(req, 'entryId', 'entry');
    const stored = await getEntry(deps.pool, entryId);
    if (!stored) throw notFound('entry', entryId);
    res.json(stored.entry);
  }));

  router.get('/accounts/:accountId/balance', asyncHandler(async (req, res) => {
    const accountId = pathId(req, 'accountId', 'account');
    const balance = await getBalance(deps.pool, accountId);
    if (!balance) throw notFound('account', accountId);
    res.json({
      accountId: balance.accountId,
      currency: balance.currency,
      postedMinor: balance.postedMinor.toString(),
      pendingMinor: balance.pendingMinor.toString(),
      availableMinor: (balance.postedMinor - balance.pendingMinor).toString(),
    });
  }));

  // Reconciliation reads (lib/contracts/ledger.ts): keyset pages in id order, or the rows of given ids.
  router.get('/balances', asyncHandler(async (req, res) => {
    res.json(await balancePage(deps.pool, parseOrThrow(accountsPageQuery, req.query)));
  }));

  router.get('/reconciliation/balances', asyncHandler(async (req, res) => {
    res.json(await balanceCheckPage(deps.pool, parseOrThrow(accountsPageQuery, req.query)));
  }));

  router.get('/reconciliation/transfer-entries', asyncHandler(async (req, res) => {
    res.json(await transferEntriesPage(deps.pool, parseOrThrow(transfersPageQuery, req.query)));
  }));

  router.get('/reconciliation/entries', asyncHandler(async (req, res) => {
    res.json(await entryLinksPage(deps.pool, parseOrThrow(entriesPageQuery, req.query)));
  }));

  router.get('/reconciliation/transfer-reversals', asyncHandler(async (req, res) => {
    res.json(await transferReversalsPage(deps.pool, parseOrThrow(transfersPageQuery, req.query)));
  }));

  router.get('/reconciliation/reserved-holds', asyncHandler(async (req, res) => {
    res.json(await reservedHoldsPage(deps.pool, parseOrThrow(holdsPageQuery, req.query)));
  }));

  return router;
}

function capturedBody({ hold, entry }: CaptureResult) {
  return { hold, entry };
}

/** An id in a path that is not a UUID names nothing: 404, as the contract says. */
function pathId(req: Request, param: string, what: string): string {
  const value = pathParam(req, param);
  if (!uuidParam.safeParse(value).success) throw notFound(what, value);
  return value;
}
