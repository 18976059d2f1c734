/**
 * End to end against the running system: a read-model balance corrupted on
 * purpose is found by a reconciliation run on demand. The test moves money to
 * an account of its own, waits until the read model shows it, adds 1 to that
 * account's posted balance straight in the read model's table, runs
 * POST /v1/reconciliations, polls GET /v1/reconciliations/{id} until the run
 * completes, and sees exactly that account reported under the read-model
 * check (and its counterpart not), an ERROR line naming it in the worker's log
 * and the gauge on the worker's /metrics. The row is restored afterwards, so
 * the invariants other tests check still hold. Other accounts may be reported
 * too (the shared topics hold deliberately unbalanced events of earlier test
 * runs): assertions are about this test's accounts only.
 *
 * Money and sagas that moved outside a transfer: an entry posted straight to
 * the ledger's port (as an outside reviewer did, from an unlimited account) is
 * reported as an entry of no transfer; a transfer whose row says its reversal
 * was refused while the ledger holds the reversing entry, and one whose row
 * says reversed while the ledger has no reversing entry, are reported under
 * the reversal check (the rows are written straight in the transfers table,
 * which is the defect at the data level, and restored afterwards).
 * A transfer terminated in Temporal while awaiting approval is found by the
 * workflow check and its hold by the hold check; with its row then written
 * final (the hold still reserved), the hold is found as one of a final
 * transfer. Those calls go to the reconciliation activities directly, right
 * after the termination, with real clients of the ledger, the transfers
 * database and Temporal, so nothing that finalises abandoned transfers can
 * act between the termination and the look.
 * Also: unknown report ids are 404, the routes are in the OpenAPI document,
 * and API keys guard them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createReconciliationActivities } from '../../activities';
import { holdIdFor } from '../../activities/ids';
import { temporalTransferWorkflows } from '../../activities/transfer-workflows';
import { LedgerClient, ReadModelClient } from '../../lib/clients';
import { ROOT_DIR } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createPool, type Pool } from '../../lib/pg';
import { firstOf } from '../../lib/assert';
import { createReconciliationStore, type ReconciliationCheck } from '../../lib/reconciliation';
import { transferWorkflowId } from '../../lib/workflow-contract';
import { apiClient, startKeyedGateway } from '../support/keyed-gateway';
import { operatorHeaders } from '../support/credentials';
import { call } from '../support/service';
import { api, config, createAccount, ensureSystem, eventually, newKey, transfer, transferAndSettle } from '../support/system';

/** A full run reads every account and transfer of the shared databases, and waits twice for suspects to settle. */
const RUN_TIMEOUT_MS = 180_000;
const WORKER_LOG = path.join(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'), 'logs', 'worker.log');

let readModel: Pool;
let transfers: Pool;

beforeAll(async () => {
  ensureSystem();
  readModel = createPool(config, 'readmodel', { applicationName: 'reconciliation-e2e', maxConnections: 2 });
  transfers = createPool(config, 'transfers', { applicationName: 'reconciliation-e2e', maxConnections: 2 });
}, 10 * 60_000);

afterAll(async () => {
  await Promise.all([readModel?.end(), transfers?.end()]);
});

const balanceOf = async (accountId: string) => (await api.get(`/v1/accounts/${accountId}/balance`)).body;

/** Starts a reconciliation on demand; while another one runs (409 with its Location), waits for that one to finish first. */
async function startReconciliationWhenFree() {
  for (;;) {
    const answer = await api.post('/v1/reconciliations');
    if (answer.status !== 409) return answer;
    expect(answer.body).toMatchObject({ status: 409, code: 'RECONCILIATION_RUNNING' });
    await eventually(() => api.get(answer.headers.get('location')!), (r) => r.status === 200 && r.body.status !== 'running', RUN_TIMEOUT_MS);
  }
}

/** Runs a reconciliation on demand and waits for its report. */
async function reconcileNow(): Promise<{ id: string; body: Record<string, any> }> {
  const started = await startReconciliationWhenFree();
  expect(started.status).toBe(202);
  const report = await eventually(() => api.get(started.headers.get('location')!), (r) => r.status === 200 && r.body.status !== 'running', RUN_TIMEOUT_MS);
  expect(report.body.status).toBe('completed');
  return { id: started.body.id, body: report.body };
}

type Named = { accountId?: string; transferId?: string; entryId?: string; holdId?: string };
const subjectOf = (m: Named) => m.accountId ?? m.transferId ?? m.entryId ?? m.holdId ?? '';
const ours = <T extends Named>(list: T[], ids: string[]) => list.filter((m) => ids.includes(subjectOf(m)));

/** A POST straight to the ledger's own port (as the operator), past the gateway and every saga. */
async function postToLedger(pathname: string, body: unknown): Promise<{ status: number; body: any }> {
  const headers = { 'content-type': 'application/json', ...operatorHeaders(config, 'ledger') };
  const answer = await fetch(`http://127.0.0.1:${config.LEDGER_PORT}${pathname}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: answer.status, body: await answer.json() };
}

describe('reconciliation on demand', () => {
  it(
    'when a read-model balance is corrupted, then the run reports exactly that account under the read-model check, logs it and shows it on the gauge',
    async () => {
      const source = await createAccount('USD', 'unlimited');
      const target = await createAccount('USD');
      const moved = await transferAndSettle(transfer(source, target, '500'));
      expect(moved.body.status).toBe('posted');
      expect((await eventually(() => balanceOf(target), (b) => b.posted === '500')).posted).toBe('500');
      expect((await eventually(() => balanceOf(source), (b) => b.posted === '-500')).posted).toBe('-500');

      await readModel.query('UPDATE read_model.balances SET posted_minor = posted_minor + 1 WHERE account_id = $1', [target]);
      try {
        const started = await startReconciliationWhenFree();
        expect(started.status).toBe(202);
        expect(started.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'running', startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
        expect(started.headers.get('location')).toBe(`/v1/reconciliations/${started.body.id}`);

        // One run on demand at a time: a second request while it runs is a 409 pointing at it, and opens no report.
        const reportsBefore = await reportCount();
        const second = await api.post('/v1/reconciliations');
        expect(second.status).toBe(409);
        expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(second.body).toMatchObject({ status: 409, code: 'RECONCILIATION_RUNNING', reconciliationId: started.body.id });
        expect(second.headers.get('location')).toBe(`/v1/reconciliations/${started.body.id}`);
        expect(await reportCount()).toBe(reportsBefore);

        const report = await eventually(() => api.get(started.headers.get('location')!), (r) => r.status === 200 && r.body.status !== 'running', RUN_TIMEOUT_MS);

        expect(report.body).toMatchObject({ id: started.body.id, status: 'completed', trigger: 'api', startedAt: started.body.startedAt, failureMessage: null });
        const { counts, mismatches } = report.body;
        expect(counts.readModelBalances.checked).toBeGreaterThan(0);
        expect(counts.readModelBalances.mismatches).toBeGreaterThanOrEqual(1);
        const ours = (list: Array<{ accountId?: string; transferId?: string }>, ids: string[]) => list.filter((m) => ids.includes(m.accountId ?? m.transferId ?? ''));
        expect(ours(mismatches.readModelBalances, [source, target])).toEqual([
          {
            accountId: target,
            kind: 'posted_differs',
            ledger: { currency: 'USD', posted: '500', pending: '0' },
            readModel: { currency: 'USD', posted: '501', pending: '0' },
          },
        ]);
        expect(ours(mismatches.ledgerBalances, [source, target])).toEqual([]);
        expect(ours(mismatches.transferEntries, [moved.body.id])).toEqual([]);

        const logged = readFileSync(WORKER_LOG, 'utf8')
          .split('\n')
          .filter((line) => line.includes(target) && line.includes(started.body.id))
          .map((line) => JSON.parse(line));
        expect(logged).toEqual([expect.objectContaining({ level: 'error', msg: 'reconciliation mismatch', account_id: target, check: 'read_model_balances', kind: 'posted_differs' })]);
        const metrics = await (await fetch(`http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics`)).text();
        expect(metrics).toMatch(/^reconciliation_mismatches\{[^}]*check="read_model_balances"[^}]*\} [1-9][0-9]*$/m);
      } finally {
        await readModel.query('UPDATE read_model.balances SET posted_minor = posted_minor - 1 WHERE account_id = $1', [target]);
      }
      expect((await balanceOf(target)).posted).toBe('500');
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  it(
    'when money moves outside a transfer and reversals disagree with their transfers, then the run names the entry and both transfers',
    async () => {
      const funding = await createAccount('USD', 'unlimited');
      const target = await createAccount('USD');
      const entryId = randomUUID();
      const direct = await postToLedger('/entries', {
        entryId,
        currency: 'USD',
        description: 'moved past the gateway',
        lines: [
          { accountId: funding, direction: 'debit', amountMinor: '99999999' },
          { accountId: target, direction: 'credit', amountMinor: '99999999' },
        ],
      });
      expect(direct.status).toBe(201);

      const refused = await transferAndSettle(transfer(funding, target, '300'));
      const reversed = await api.post(`/v1/transfers/${refused.body.id}/reverse`, undefined, { 'Idempotency-Key': newKey() });
      expect(reversed.body.status).toBe('reversed');
      const unreversed = await transferAndSettle(transfer(funding, target, '400'));
      expect([refused.body.status, unreversed.body.status]).toEqual(['posted', 'posted']);

      // The rows lie: one says its reversal was refused (the ledger holds the reversing entry), one says reversed (the ledger has none).
      await transfers.query(
        `UPDATE transfers SET status = 'posted', reversal_entry_id = NULL, reversal_failure_code = 'ACCOUNT_FROZEN',
                reversal_failure_message = 'written by the test', reversal_refused_at = now() WHERE id = $1`,
        [refused.body.id],
      );
      await transfers.query(
        `UPDATE transfers SET status = 'reversed', reversal_id = gen_random_uuid(), reversal_requested_at = now(), reversal_entry_id = gen_random_uuid() WHERE id = $1`,
        [unreversed.body.id],
      );
      try {
        const { body } = await reconcileNow();

        expect(body.counts.entryTransfers.mismatches).toBeGreaterThanOrEqual(1);
        expect(ours(body.mismatches.entryTransfers, [entryId])).toEqual([{ entryId, kind: 'no_transfer', transferId: null, reversesEntryId: null }]);
        const expected = [
          { transferId: refused.body.id, kind: 'reversal_not_recorded', status: 'posted', reversalFailureCode: 'ACCOUNT_FROZEN', ledgerReversalEntryIds: [reversed.body.reversal.entryId] },
          { transferId: unreversed.body.id, kind: 'reversal_entry_missing', status: 'reversed', ledgerReversalEntryIds: [] },
        ].sort((a, b) => (a.transferId < b.transferId ? -1 : 1));
        expect(ours(body.mismatches.transferReversals, [refused.body.id, unreversed.body.id])).toEqual(expected.map((m) => expect.objectContaining(m)));
      } finally {
        await transfers.query(
          `UPDATE transfers SET status = 'reversed', reversal_entry_id = $2, reversal_failure_code = NULL, reversal_failure_message = NULL, reversal_refused_at = NULL WHERE id = $1`,
          [refused.body.id, reversed.body.reversal.entryId],
        );
        await transfers.query(`UPDATE transfers SET status = 'posted', reversal_id = NULL, reversal_requested_at = NULL, reversal_entry_id = NULL WHERE id = $1`, [unreversed.body.id]);
      }
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  it(
    'when a transfer awaiting approval is terminated in Temporal, then its transfer and its hold are reported; once its row is final, the hold still is',
    async () => {
      const connection = await Connection.connect({ address: config.temporalAddress });
      const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      const ledger = new LedgerClient({ baseUrl: `http://127.0.0.1:${config.LEDGER_PORT}`, token: config.LEDGER_TOKEN });
      const readModelClient = new ReadModelClient({ baseUrl: `http://127.0.0.1:${config.READ_MODEL_PORT}`, token: config.READ_MODEL_TOKEN });
      const store = createReconciliationStore(transfers);
      const activities = createReconciliationActivities({
        ledger,
        readModel: readModelClient,
        store,
        workflows: temporalTransferWorkflows(temporal),
        logger: createLogger('reconciliation-e2e', 'silent'),
      });
      const reportIds: string[] = [];
      /** Scans `check` to its end and confirms what it named, in a report of its own; returns the suspects and the recorded mismatches. */
      const look = async (check: ReconciliationCheck) => {
        const reportId = randomUUID();
        reportIds.push(reportId);
        // As a scheduled run's: a report on demand would count as the one run on demand (and refuse the next look's).
        await store.openReport(reportId, 'schedule');
        const suspects: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await activities.scanReconciliationPage({ check, cursor, limit: 500 });
          suspects.push(...page.suspects);
          cursor = page.nextCursor;
        } while (cursor !== null);
        await activities.confirmMismatches({ check, reportId, subjectIds: suspects, recordLimit: 1000 });
        return { suspects, recorded: (await store.getReport(reportId, 1000))!.mismatches[check] };
      };
      try {
        const funding = await createAccount('USD', 'unlimited');
        const target = await createAccount('USD');
        const waiting = await transferAndSettle(transfer(funding, target, String(config.approvalThresholdMinor)));
        expect(waiting.body.status).toBe('awaiting_approval');
        const id = waiting.body.id as string;
        const holdId = holdIdFor(transferWorkflowId(id));

        await temporal.workflow.getHandle(transferWorkflowId(id)).terminate('abandoned on purpose by the reconciliation e2e test');

        const workflowLook = await look('transferWorkflows');
        const holdLook = await look('reservedHolds');
        expect(workflowLook.suspects).toContain(id);
        expect(workflowLook.recorded.filter((m) => m.subjectId === id)).toEqual([
          { subjectId: id, kind: 'workflow_closed', detail: { status: 'awaiting_approval', workflowStatus: 'TERMINATED' } },
        ]);
        expect(holdLook.recorded.filter((m) => m.subjectId === holdId)).toEqual([
          {
            subjectId: holdId,
            kind: 'workflow_closed',
            detail: { transferId: id, fromAccountId: funding, amount: String(config.approvalThresholdMinor), currency: 'USD', status: 'awaiting_approval', workflowStatus: 'TERMINATED' },
          },
        ]);

        await transfers.query(`UPDATE transfers SET status = 'cancelled', failure_code = 'REJECTED' WHERE id = $1`, [id]);
        const afterFinal = await look('reservedHolds');
        const workflowsAfterFinal = await look('transferWorkflows');
        expect(afterFinal.recorded.filter((m) => m.subjectId === holdId).map((m) => [m.kind, m.detail.status, m.detail.workflowStatus])).toEqual([['transfer_final', 'cancelled', null]]);
        expect(workflowsAfterFinal.suspects).not.toContain(id);

        expect((await postToLedger(`/holds/${holdId}/void`, {})).status).toBe(200);
        expect((await look('reservedHolds')).suspects).not.toContain(holdId);
      } finally {
        for (const reportId of reportIds) await store.failReport(reportId, 'activities called one by one by the reconciliation e2e test');
        ledger.close();
        readModelClient.close();
        await connection.close();
      }
    },
    RUN_TIMEOUT_MS,
  );

  it('when the running report on demand was left by a workflow that is gone, then a POST marks it failed and starts a new run', async () => {
    const none = async () => (await transfers.query(`SELECT 1 FROM reconciliation_reports WHERE trigger = 'api' AND status = 'running'`)).rowCount === 0;
    await eventually(none, (free) => free, RUN_TIMEOUT_MS);
    const abandoned = randomUUID();
    // Opened two minutes ago, and no workflow reconciliation-<id> exists: what a run terminated in Temporal leaves.
    await transfers.query(`INSERT INTO reconciliation_reports (id, trigger, started_at) VALUES ($1, 'api', now() - interval '2 minutes')`, [abandoned]);

    const started = await api.post('/v1/reconciliations');

    expect(started.status).toBe(202);
    expect(started.body.id).not.toBe(abandoned);
    const { rows } = await transfers.query('SELECT status, failure_message FROM reconciliation_reports WHERE id = $1', [abandoned]);
    expect(rows[0]).toEqual({ status: 'failed', failure_message: 'its workflow closed without finishing the report' });
    await eventually(() => api.get(started.headers.get('location')!), (r) => r.status === 200 && r.body.status !== 'running', RUN_TIMEOUT_MS);
  }, RUN_TIMEOUT_MS * 2 + 30_000);

  it('when a report id is unknown or not a UUID, then 404 problem', async () => {
    const unknown = await api.get('/v1/reconciliations/00000000-0000-4000-8000-000000000000');
    const malformed = await api.get('/v1/reconciliations/yesterday');

    expect([unknown.status, malformed.status]).toEqual([404, 404]);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('when the POST has a body that is not empty, then 400 and no run starts', async () => {
    const before = await reportCount();

    const answer = await api.post('/v1/reconciliations', { checks: ['ledger'] });

    expect(answer.status).toBe(400);
    expect(await reportCount()).toBe(before);
  });

  it('when the OpenAPI document is asked for, then it has both reconciliation routes', async () => {
    const doc = (await api.get('/openapi.json')).body;

    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/reconciliations', '/v1/reconciliations/{id}']));
    expect(doc.paths['/v1/reconciliations'].post.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ReconciliationStarted' });
  });

  it('when API keys are configured, then a POST without a key is 401 and starts nothing', async () => {
    const app = await startKeyedGateway([apiClient('tester', 's3cret-key')], transfers);
    try {
      const before = await reportCount();

      const none = await call(app.baseUrl, 'POST', '/v1/reconciliations');
      const wrong = await call(app.baseUrl, 'GET', '/v1/reconciliations/00000000-0000-4000-8000-000000000000', undefined, { authorization: 'Bearer nope' });

      expect([none.status, wrong.status]).toEqual([401, 401]);
      expect(await reportCount()).toBe(before);
    } finally {
      await app.close();
    }
  });
});

async function reportCount(): Promise<number> {
  const { rows } = await transfers.query<{ n: string }>('SELECT count(*) AS n FROM reconciliation_reports');
  return Number(firstOf(rows, 'the count').n);
}
