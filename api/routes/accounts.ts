/**
 * Public account routes (api-contract.md, "Accounts" and "Balances"). The
 * accounts service owns accounts and the read model serves balances and
 * statements; the gateway authorizes (api/permissions.ts), validates,
 * forwards, and joins the two. The account's `createdBy` is the caller's
 * principal, set here; a caller limited to its own accounts (a submitter)
 * lists only those, and another's is a 404 to it.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { notFound } from '../../lib/errors';
import { asyncHandler, sendProblem, pathParam } from '../../lib/http';
import type { Problem } from '../../lib/errors';
import { check, throwIfInvalid, validData } from '../../lib/validation';
import { accountIdempotencyKey } from '../account-idempotency';
import { allow, hiddenFrom, ownerScope } from '../authorize';
import type { GatewayMetrics } from '../metrics';
import { principalOf } from '../principal';
import { asOfQuery, createAccountBody, emptyBody, idempotencyKey, listAccountsQuery, statementQuery } from '../schemas';
import type { Upstream, UpstreamAnswer } from '../upstream';

export interface AccountRouteDeps {
  accounts: Upstream;
  readModel: Upstream;
  metrics: GatewayMetrics;
}

export function accountRoutes(deps: AccountRouteDeps): Router {
  const router = Router();

  router.post('/accounts', allow('createAccount'), asyncHandler(async (req, res) => {
    const key = req.get('Idempotency-Key');
    const keyCheck = key === undefined ? { ok: true as const, data: undefined, errors: [] as [] } : check(idempotencyKey, key, 'Idempotency-Key');
    throwIfInvalid(keyCheck, check(createAccountBody, req.body));
    // Who opens it is the authenticated caller, whatever the body says; its key is the caller's own (account-idempotency.ts).
    const principal = principalOf(res).id;
    const body = { ...(req.body as object), createdBy: principal };
    const scoped: Record<string, string> = key === undefined ? {} : { 'Idempotency-Key': accountIdempotencyKey(principal, key) };
    const answer = await deps.accounts.call('POST', '/accounts', body, scoped);
    if (answer.status === 201) res.location(`/v1/accounts/${(answer.body as { id: string }).id}`);
    if (answer.status === 200) {
      res.setHeader('Idempotent-Replayed', 'true');
      deps.metrics.idempotencyHit('POST /v1/accounts');
    }
    pass(res, answer);
  }));

  // `?code=` finds the account with that code: a list of at most one, so a code nobody has is an empty list, not a 404.
  router.get('/accounts', allow('listAccounts'), asyncHandler(async (req, res) => {
    const query = check(listAccountsQuery, req.query);
    throwIfInvalid(query);
    const owner = ownerScope(res);
    const filters = { ...stringValues(validData(query, 'the account list query')), ...(owner === null ? {} : { createdBy: owner }) };
    pass(res, await deps.accounts.call('GET', `/accounts?${new URLSearchParams(filters)}`));
  }));

  router.get('/accounts/:id', allow('getAccount'), asyncHandler(async (req, res) => {
    const id = pathId(req);
    const account = await existingAccount(deps, id, ownerScope(res));
    const balance = await balanceOf(deps, id, account.currency, undefined);
    const { accountId: _a, currency: _c, ...rest } = balance;
    res.json({ ...account, balance: rest });
  }));

  for (const action of ['freeze', 'unfreeze'] as const) {
    router.post(`/accounts/:id/${action}`, allow(`${action}Account`), asyncHandler(async (req, res) => {
      const id = pathId(req);
      throwIfInvalid(check(emptyBody, req.body));
      pass(res, await deps.accounts.call('POST', `/accounts/${id}/${action}`, {}));
    }));
  }

  router.get('/accounts/:id/balance', allow('getBalance'), asyncHandler(async (req, res) => {
    const id = pathId(req);
    const query = check(asOfQuery, req.query);
    throwIfInvalid(query);
    const account = await existingAccount(deps, id, ownerScope(res));
    res.json(await balanceOf(deps, id, account.currency, validData(query, 'the balance query').asOf));
  }));

  router.get('/accounts/:id/statement', allow('getStatement'), asyncHandler(async (req, res) => {
    const id = pathId(req);
    const query = check(statementQuery, req.query);
    throwIfInvalid(query);
    await existingAccount(deps, id, ownerScope(res));
    const answer = await deps.readModel.call('GET', `/accounts/${id}/statement?${new URLSearchParams(stringValues(validData(query, 'the statement query')))}`);
    // An account the read model has not seen yet has no posted entries.
    if (answer.status === 404) return void res.json({ items: [], nextCursor: null });
    pass(res, answer);
  }));

  return router;
}

interface Balance {
  accountId: string;
  currency: string;
  posted: string;
  pending: string;
  available: string;
  asOf: string;
}

/** The read model's balance; zeros for an account it has not seen an event of yet. */
async function balanceOf(deps: AccountRouteDeps, id: string, currency: string, asOf: string | undefined): Promise<Balance> {
  const query = asOf ? `?${new URLSearchParams({ asOf })}` : '';
  const answer = await deps.readModel.call('GET', `/accounts/${id}/balance${query}`);
  if (answer.status === 200) return answer.body as Balance;
  if (answer.status === 404) {
    return { accountId: id, currency, posted: '0', pending: '0', available: '0', asOf: asOf ? new Date(asOf).toISOString() : new Date().toISOString() };
  }
  throw Object.assign(new Error(`read model answered ${answer.status}`), { status: answer.status });
}

/** The account; a 404 when there is none, or when the request may see only `owner`'s accounts and another principal opened it. */
async function existingAccount(deps: AccountRouteDeps, id: string, owner: string | null): Promise<{ id: string; currency: string }> {
  const answer = await deps.accounts.call('GET', `/accounts/${id}`);
  if (answer.status === 404) throw notFound('account', id);
  if (answer.status !== 200) throw Object.assign(new Error(`accounts answered ${answer.status}`), { status: answer.status });
  const account = answer.body as { id: string; currency: string; createdBy: string | null };
  if (hiddenFrom(owner, account.createdBy)) throw notFound('account', id);
  return account;
}

/** Sends an upstream answer on as it is; problems keep their media type. */
function pass(res: Response, answer: UpstreamAnswer): void {
  if (answer.status >= 400) return sendProblem(res, { ...(answer.body as Problem), status: answer.status });
  res.status(answer.status).json(answer.body);
}

function stringValues(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}

const uuid = z.uuid();

function pathId(req: Request): string {
  const id = pathParam(req, 'id');
  if (!uuid.safeParse(id).success) throw notFound('account', id);
  return id;
}
