/**
 * Proves the ledger's reconciliation routes: a balance row that agrees with
 * its lines and reserved holds is not reported, one whose posted or pending
 * balance was changed behind the journal's back is, with both numbers; the
 * balance list pages in id order without gaps or repeats; a transfer's entries
 * are listed without its reversal; every entry is listed with the transfer it
 * belongs to (a reversal naming none takes its reversed entry's); a transfer's
 * reversing entries are listed with the accounts its entries do not net to
 * zero on (none once reversed), and a page lists only reversed transfers;
 * reserved holds are listed until captured or voided; and the query rules
 * (ids or a page, limits) hold at their edges. How: the real app on the real `ledger` database (as in
 * harness.ts), accounts of this test only; a corruption is made with a direct
 * UPDATE and undone in the same test.
 */
import { randomUUID } from 'node:crypto';
import { startLedger, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

/** A funded USD account with 300 of its 1000 reserved by an open hold. */
async function accountWithHold(): Promise<string> {
  const accountId = ledger.directory.add('USD', '0');
  const other = ledger.directory.add('USD', '0');
  await ledger.fund(accountId, 'USD', 1000n);
  const hold = await ledger.post('/holds', { holdId: randomUUID(), transferId: randomUUID(), fromAccountId: accountId, toAccountId: other, amountMinor: '300', currency: 'USD' });
  expect(hold.status).toBe(201);
  return accountId;
}

const checkOf = (ids: string[]) => ledger.get(`/reconciliation/balances?${ids.map((id) => `accountId=${id}`).join('&')}`);

describe('GET /reconciliation/balances', () => {
  it('when balances agree with their lines and holds, then the accounts are checked and none is reported', async () => {
    const accountId = await accountWithHold();

    const answer = await checkOf([accountId]);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ checked: 1, items: [], nextCursor: null });
  });

  it('when posted and pending are changed behind the journal, then the account is reported with what its lines and holds say', async () => {
    const accountId = await accountWithHold();
    await ledger.pool.query('UPDATE ledger_accounts SET posted_minor = posted_minor + 7, pending_minor = pending_minor + 1 WHERE account_id = $1', [accountId]);
    try {
      const answer = await checkOf([accountId, randomUUID(), 'not-a-uuid']);

      expect(answer.body).toEqual({
        checked: 1,
        items: [{ accountId, currency: 'USD', postedMinor: '1007', postedFromLinesMinor: '1000', pendingMinor: '301', pendingFromHoldsMinor: '300' }],
        nextCursor: null,
      });
    } finally {
      await ledger.pool.query('UPDATE ledger_accounts SET posted_minor = posted_minor - 7, pending_minor = pending_minor - 1 WHERE account_id = $1', [accountId]);
    }
    expect((await checkOf([accountId])).body.items).toEqual([]);
  });

  it('when a page is asked for, then it counts the rows it checked and gives the last id as the cursor', async () => {
    await accountWithHold();

    const answer = await ledger.get('/reconciliation/balances?limit=3');

    expect(answer.body.checked).toBe(3);
    expect(answer.body.nextCursor).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /balances', () => {
  it('when pages are followed by their cursor, then ids come in order with no gap or repeat', async () => {
    const first = await ledger.get('/balances?limit=5');
    const second = await ledger.get(`/balances?limit=5&cursor=${first.body.nextCursor}`);

    const ids = [...first.body.items, ...second.body.items].map((row: { accountId: string }) => row.accountId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect([...ids].sort()).toEqual(ids);
    expect(first.body.nextCursor).toBe(ids[4]);
    expect(second.body.nextCursor).toBe(ids[9]);
  });

  it('when ids are given, then exactly their rows come back, unknown ones left out', async () => {
    const accountId = await accountWithHold();

    const answer = await ledger.get(`/balances?accountId=${accountId}&accountId=${randomUUID()}`);

    expect(answer.body).toEqual({ items: [{ accountId, currency: 'USD', postedMinor: '1000', pendingMinor: '300' }], nextCursor: null });
  });

  it.each([
    ['a limit of 0', 'limit=0', 'limit'],
    ['a limit of 501', 'limit=501', 'limit'],
    ['a cursor that is not a ledger id', 'cursor=abc', 'cursor'],
    ['ids and a cursor at once', `cursor=${randomUUID()}&accountId=${randomUUID()}`, 'accountId'],
    ['101 ids', Array.from({ length: 101 }, () => `accountId=${randomUUID()}`).join('&'), 'accountId'],
  ])('when the query has %s, then 400 naming it', async (_what, query, field) => {
    const answer = await ledger.get(`/balances?${query}`);

    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('when the limit is 500 or 100 ids are given, then the query is accepted', async () => {
    expect((await ledger.get('/balances?limit=500')).status).toBe(200);
    expect((await ledger.get(`/balances?${Array.from({ length: 100 }, () => `accountId=${randomUUID()}`).join('&')}`)).status).toBe(200);
  });
});

describe('GET /reconciliation/transfer-entries', () => {
  it('when a captured transfer is reversed, then its entries list the capture only, not the reversal', async () => {
    const from = ledger.directory.add('USD', 'unlimited');
    const to = ledger.directory.add('USD', '0');
    const transferId = randomUUID();
    const holdId = randomUUID();
    const entryId = randomUUID();
    await ledger.post('/holds', { holdId, transferId, fromAccountId: from, toAccountId: to, amountMinor: '25', currency: 'USD' });
    await ledger.post(`/holds/${holdId}/capture`, { entryId });
    expect((await ledger.post(`/entries/${entryId}/reverse`, { reversalEntryId: randomUUID() })).status).toBe(201);

    const answer = await ledger.get(`/reconciliation/transfer-entries?transferId=${transferId}&transferId=${randomUUID()}`);

    expect(answer.body).toEqual({ items: [{ transferId, entryIds: [entryId] }], nextCursor: null });
  });
});

describe('GET /reconciliation/entries', () => {
  it('when an entry names no transfer and another is a transfer\'s capture, then each is listed with what it belongs to', async () => {
    const from = ledger.directory.add('USD', 'unlimited');
    const to = ledger.directory.add('USD', '0');
    const direct = randomUUID();
    expect(
      (await ledger.post('/entries', { entryId: direct, currency: 'USD', lines: [{ accountId: from, direction: 'debit', amountMinor: '9' }, { accountId: to, direction: 'credit', amountMinor: '9' }] })).status,
    ).toBe(201);
    const transferId = randomUUID();
    const captured = randomUUID();
    await ledger.post('/holds/captured', { holdId: randomUUID(), transferId, fromAccountId: from, toAccountId: to, amountMinor: '4', currency: 'USD', entryId: captured });

    const answer = await ledger.get(`/reconciliation/entries?entryId=${direct}&entryId=${captured}`);

    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual(
      [
        { entryId: direct, transferId: null, reversesEntryId: null },
        { entryId: captured, transferId, reversesEntryId: null },
      ].sort((a, b) => (a.entryId < b.entryId ? -1 : 1)),
    );
  });

  it('when pages are followed by their cursor, then entries come in id order', async () => {
    const first = await ledger.get('/reconciliation/entries?limit=2');
    const second = await ledger.get(`/reconciliation/entries?limit=2&cursor=${first.body.nextCursor}`);

    const ids = [...first.body.items, ...second.body.items].map((e: { entryId: string }) => e.entryId);
    expect(ids).toHaveLength(4);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
  });
});

describe('GET /reconciliation/transfer-reversals', () => {
  /** A captured transfer of 25 from an unlimited account; its entry id. */
  async function capturedTransfer(): Promise<{ transferId: string; entryId: string; from: string; to: string }> {
    const from = ledger.directory.add('USD', 'unlimited');
    const to = ledger.directory.add('USD', '0');
    const transferId = randomUUID();
    const entryId = randomUUID();
    await ledger.post('/holds/captured', { holdId: randomUUID(), transferId, fromAccountId: from, toAccountId: to, amountMinor: '25', currency: 'USD', entryId });
    return { transferId, entryId, from, to };
  }

  it('when one transfer is reversed and another is not, then the first has its reversing entry and nets to zero, the second has none and shows its movement', async () => {
    const reversed = await capturedTransfer();
    const reversalEntryId = randomUUID();
    await ledger.post(`/entries/${reversed.entryId}/reverse`, { reversalEntryId });
    const posted = await capturedTransfer();

    const answer = await ledger.get(`/reconciliation/transfer-reversals?transferId=${reversed.transferId}&transferId=${posted.transferId}&transferId=${randomUUID()}`);

    const byId = new Map(answer.body.items.map((item: { transferId: string }) => [item.transferId, item]));
    expect(answer.body.items).toHaveLength(2);
    expect(byId.get(reversed.transferId)).toEqual({ transferId: reversed.transferId, reversalEntryIds: [reversalEntryId], unbalancedAccounts: [] });
    expect(byId.get(posted.transferId)).toEqual({
      transferId: posted.transferId,
      reversalEntryIds: [],
      unbalancedAccounts: [
        { accountId: posted.from, net: '-25' },
        { accountId: posted.to, net: '25' },
      ].sort((a, b) => (a.accountId < b.accountId ? -1 : 1)),
    });
  });

  it('when the transfers with a reversing entry are paged, then an unreversed transfer is never among them', async () => {
    const posted = await capturedTransfer();
    const reversed = await capturedTransfer();
    await ledger.post(`/entries/${reversed.entryId}/reverse`, { reversalEntryId: randomUUID() });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ transferId: string; reversalEntryIds: string[] }>; nextCursor: string | null } } = await ledger.get(
        `/reconciliation/transfer-reversals?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.every((item) => item.reversalEntryIds.length > 0)).toBe(true);
      seen.push(...page.body.items.map((item) => item.transferId));
      cursor = page.body.nextCursor;
    } while (cursor);

    expect(seen).toContain(reversed.transferId);
    expect(seen).not.toContain(posted.transferId);
  });
});

describe('GET /reconciliation/reserved-holds', () => {
  it('when a hold is reserved, then it is listed; once voided, it is not', async () => {
    const from = ledger.directory.add('USD', 'unlimited');
    const to = ledger.directory.add('USD', '0');
    const holdId = randomUUID();
    const transferId = randomUUID();
    await ledger.post('/holds', { holdId, transferId, fromAccountId: from, toAccountId: to, amountMinor: '12', currency: 'USD' });

    const reserved = await ledger.get(`/reconciliation/reserved-holds?holdId=${holdId}`);
    await ledger.post(`/holds/${holdId}/void`, {});
    const voided = await ledger.get(`/reconciliation/reserved-holds?holdId=${holdId}`);

    expect(reserved.body).toEqual({ items: [{ holdId, transferId, fromAccountId: from, amountMinor: '12', currency: 'USD' }], nextCursor: null });
    expect(voided.body).toEqual({ items: [], nextCursor: null });
  });

  it('when the query has 101 hold ids, then 400 naming holdId', async () => {
    const answer = await ledger.get(`/reconciliation/reserved-holds?${Array.from({ length: 101 }, () => `holdId=${randomUUID()}`).join('&')}`);

    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain('holdId');
  });
});
