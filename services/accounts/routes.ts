/**
 * HTTP routes of the accounts service (contract: lib/contracts/accounts.ts).
 * Thin: parse the request, call the domain, shape the response.
 */
import { Router, type Request } from 'express';
import { AppError, notFound, validationError, type FieldError } from '../../lib/errors';
import { asyncHandler, pathParam } from '../../lib/http';
import { parseOrThrow } from '../../lib/validation';
import type { Accounts } from './accounts';
import type { AccountsMetrics } from './metrics';
import { AccountIdParam, CreateAccountBody, IdempotencyKeyHeader, ListAccountsQuery, LookupAccountsBody } from './schemas';

export function accountsRouter(accounts: Accounts, metrics: AccountsMetrics): Router {
  const router = Router();

  router.post(
    '/accounts',
    asyncHandler(async (req, res) => {
      const { input, idempotencyKey } = parseCreateRequest(req, metrics);
      const { account, replayed } = await accounts.createAccount(input, idempotencyKey);
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      res.status(replayed ? 200 : 201).location(`/accounts/${account.id}`).json(account);
    }),
  );

  router.get(
    '/accounts',
    asyncHandler(async (req, res) => {
      res.json(await accounts.listAccounts(parseOrThrow(ListAccountsQuery, req.query)));
    }),
  );

  // The ledger's one lookup per money movement: every account it touches in one query.
  router.post(
    '/accounts/lookup',
    asyncHandler(async (req, res) => {
      const { ids } = parseOrThrow(LookupAccountsBody, req.body);
      res.json({ items: await accounts.getAccounts(ids) });
    }),
  );

  router.get(
    '/accounts/:id',
    asyncHandler(async (req, res) => {
      res.json(await accounts.getAccount(accountIdOf(req)));
    }),
  );

  router.post(
    '/accounts/:id/freeze',
    asyncHandler(async (req, res) => {
      res.json(await accounts.freezeAccount(accountIdOf(req)));
    }),
  );

  router.post(
    '/accounts/:id/unfreeze',
    asyncHandler(async (req, res) => {
      res.json(await accounts.unfreezeAccount(accountIdOf(req)));
    }),
  );

  return router;
}

/** Body and Idempotency-Key together, so one 400 lists every invalid field of both. */
function parseCreateRequest(req: Request, metrics: AccountsMetrics) {
  const errors: FieldError[] = [];
  const input = collectFieldErrors(errors, () => parseOrThrow(CreateAccountBody, req.body));
  const idempotencyKey = collectFieldErrors(errors, () =>
    parseOrThrow(IdempotencyKeyHeader, req.get('Idempotency-Key'), 'Idempotency-Key'),
  );
  if (input === undefined || errors.length > 0) {
    metrics.accountCreationFailed('invalid_request');
    throw validationError(errors);
  }
  return { input, idempotencyKey };
}

/** Runs one parse; its field errors are added to `errors` instead of thrown. */
function collectFieldErrors<T>(errors: FieldError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof AppError) || !error.extensions.errors) throw error;
    errors.push(...error.extensions.errors);
    return undefined;
  }
}

/** A path id that is not a UUID names no account: 404, as the contract says. */
function accountIdOf(req: Request): string {
  const id = pathParam(req, 'id');
  const parsed = AccountIdParam.safeParse(id);
  if (!parsed.success) throw notFound('Account', id);
  return parsed.data;
}
