/**
 * The query API the gateway calls, and the balance list reconciliation reads
 * (GET /balances, lib/contracts/read-model.ts). Thin: parse the query string,
 * ask the queries, shape the JSON (amounts as decimal strings, times RFC 3339 UTC ms).
 */
import { Router } from 'express';
import { notFound } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { formatAmountMinor } from '../../lib/money';
import type { Pool } from '../../lib/pg';
import { parseOrThrow } from '../../lib/validation';
import type { ReadModelMetrics } from './metrics';
import { readBalanceAsOf, readCurrentBalance, type BalanceView } from './queries/balance';
import { encodeCursor } from './queries/cursor';
import { readBalancePage } from './queries/balance-page';
import { balancePageParamsSchema, balanceParamsSchema, statementParamsSchema } from './queries/params';
import { readStatement, type StatementLineView, type StatementPage } from './queries/statement';
import { formatRfc3339 } from './time';

export interface RouteDeps {
  pool: Pool;
  metrics: ReadModelMetrics;
}

export function readModelRoutes({ pool, metrics }: RouteDeps): Router {
  const router = Router();

  router.get('/accounts/:id/balance', asyncHandler(async (req, res) => {
    metrics.balanceQueries.inc();
    const { asOf } = parseOrThrow(balanceParamsSchema, req.query);
    const accountId = pathParam(req, 'id');
    const balance = asOf ? await readBalanceAsOf(pool, accountId, asOf) : await readCurrentBalance(pool, accountId, new Date());
    if (!balance) throw notFound('Account', accountId);
    res.json(balanceBody(balance));
  }));

  router.get('/accounts/:id/statement', asyncHandler(async (req, res) => {
    metrics.statementQueries.inc();
    const { from, to, limit, cursor } = parseOrThrow(statementParamsSchema, req.query);
    const accountId = pathParam(req, 'id');
    const page = await readStatement(pool, { accountId, from, to, limit, after: cursor });
    if (!page) throw notFound('Account', accountId);
    res.json(statementBody(page));
  }));

  // Internal, for reconciliation with the ledger (lib/contracts/read-model.ts); not counted as a balance query.
  router.get('/balances', asyncHandler(async (req, res) => {
    res.json(await readBalancePage(pool, parseOrThrow(balancePageParamsSchema, req.query)));
  }));

  return router;
}

function balanceBody(balance: BalanceView) {
  return {
    accountId: balance.accountId,
    currency: balance.currency,
    posted: formatAmountMinor(balance.postedMinor),
    pending: formatAmountMinor(balance.pendingMinor),
    available: formatAmountMinor(balance.availableMinor),
    asOf: formatRfc3339(balance.asOf),
  };
}

function statementBody(page: StatementPage) {
  return { items: page.items.map(statementItem), nextCursor: page.next ? encodeCursor(page.next) : null };
}

function statementItem(line: StatementLineView) {
  return {
    entryId: line.entryId,
    transferId: line.transferId,
    postedAt: formatRfc3339(line.postedAt),
    direction: line.direction,
    amount: formatAmountMinor(line.amountMinor),
    balanceAfter: formatAmountMinor(line.balanceAfterMinor),
    description: line.description,
  };
}
