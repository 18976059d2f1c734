/**
 * Proves the reconciliation workflow's logic: every mismatch class of the
 * checks is found and counted (a balance row off its journal; a read
 * model that disagrees, lacks an account or has one the ledger lacks; a posted
 * transfer without its entry or with two; an entry for a transfer that is not
 * posted or does not exist; an entry of no transfer or of an unknown one; a
 * reversal the transfer does not record, a reversed transfer without its
 * reversing entry, with another one, or whose entries do not net to zero; an
 * unfinished transfer whose workflow closed or is gone; a hold still reserved
 * for a final, unknown or abandoned transfer), the report is opened, filled and completed, the
 * `reconciliation_mismatches` gauge is set per check, and one ERROR line is
 * logged per mismatch naming its account or transfer. Also: a suspect that
 * settles before it is read again is no mismatch, paging and continue-as-new
 * lose nothing, the record limit holds, and a contract mismatch fails the
 * report instead of leaving it running.
 * How: the real workflow and the real activity factory on the time-skipping
 * test server (the settle waits pass in no time), with the ledger, the read
 * model, the reports store and Temporal's answers about transfer workflows
 * replaced by in-memory fakes that page like the real routes.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createReconciliationActivities } from '../../activities';
import { createReconciliationMetrics } from '../../activities/metrics';
import { UnexpectedResponseError } from '../../lib/clients';
import { MISMATCHES_RECORDED_PER_CHECK_MAX } from '../../lib/reconciliation/report';
import { reconciliationWorkflow } from '../../workflows';
import type { ReconciliationInput, ReconciliationResult } from '../../lib/workflow-contract';
import { createTimeSkippingEnv } from '../support/temporal';
import { bundleWorkflows, metricValue } from './support/harness';
import { FakeLedgerReconciliation, FakeReadModel, FakeReconciliationStore, FakeTransferWorkflows } from './support/reconciliation-fakes';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

interface World {
  ledger: FakeLedgerReconciliation;
  readModel: FakeReadModel;
  store: FakeReconciliationStore;
  workflows: FakeTransferWorkflows;
  registry: Registry;
  /** Every log line the activities wrote, parsed. */
  logs: Array<Record<string, unknown>>;
}

function newWorld(): World {
  return {
    ledger: new FakeLedgerReconciliation(),
    readModel: new FakeReadModel(),
    store: new FakeReconciliationStore(),
    workflows: new FakeTransferWorkflows(),
    registry: new Registry(),
    logs: [],
  };
}

/** Runs one reconciliation to its end on a fresh task queue; returns its result and how many runs its chain took. */
async function reconcile(world: World, input: ReconciliationInput = {}): Promise<{ result: ReconciliationResult; runs: number }> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) world.logs.push(JSON.parse(line));
      done();
    },
  });
  const activities = createReconciliationActivities({
    ledger: world.ledger,
    readModel: world.readModel,
    store: world.store,
    workflows: world.workflows,
    logger: pino({ level: 'info' }, sink),
    metrics: createReconciliationMetrics(world.registry),
  });
  const taskQueue = `reconciliation-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(reconciliationWorkflow, { taskQueue, workflowId: `reconciliation-test-${randomUUID()}`, args: [input] });
    const result = await handle.result();
    const { runId } = await handle.describe();
    return { result, runs: runId === handle.firstExecutionRunId ? 1 : 2 };
  });
}

const ERROR = 50;
const mismatchLogs = (world: World) => world.logs.filter((line) => line.level === ERROR && line.msg === 'reconciliation mismatch');

describe('reconciliation: every mismatch class', () => {
  /**
   * The ledger: 02's journal says 49, not 50; 03 and 07 are unknown to the
   * read model (03 at zero, which is no mismatch; 07 at 30, which is).
   * The read model: 04 is unknown to the ledger (7); 05 is one off; 06 was
   * created and never moved (zero, no mismatch).
   */
  function arrange(world: World): void {
    world.ledger.account('acct-01', '100').account('acct-02', '50', '0', { posted: '49' }).account('acct-03', '0').account('acct-05', '200', '10').account('acct-07', '30');
    world.readModel.account('acct-01', '100').account('acct-02', '50').account('acct-04', '7').account('acct-05', '201', '10').account('acct-06', '0');
    world.store
      .transfer('t-1', 'posted', 'e-1')
      .transfer('t-2', 'posted', 'e-2')
      .transfer('t-3', 'posted', 'e-3')
      .transfer('t-4', 'failed', null)
      .transfer('t-6', 'reversed', 'e-6')
      .transfer('t-7', 'pending', null);
    for (const [transferId, entryIds] of Object.entries({ 't-1': ['e-1'], 't-3': ['e-3', 'e-3b'], 't-4': ['e-4'], 't-5': ['e-5'], 't-6': ['e-6'] })) {
      world.ledger.transferEntries.set(transferId, entryIds);
    }
    world.ledger.reversal('t-6', ['r-6']);
  }

  it('when each check finds disagreements, then they are counted per check, recorded in the report, shown on the gauge and logged one by one', async () => {
    const world = newWorld();
    arrange(world);
    const reportId = randomUUID();

    // Pages of two: the merge of ledger and read-model pages, and both transfer passes, cross page edges.
    const { result } = await reconcile(world, { reportId, trigger: 'api', pageLimit: 2 });

    expect(result).toEqual({
      reportId,
      status: 'completed',
      counts: {
        ledgerBalances: { checked: 5, mismatches: 1, recorded: 1 },
        readModelBalances: { checked: 7, mismatches: 3, recorded: 3 },
        transferEntries: { checked: 6, mismatches: 4, recorded: 4 },
        entryTransfers: { checked: 0, mismatches: 0, recorded: 0 },
        transferReversals: { checked: 1, mismatches: 0, recorded: 0 },
        transferWorkflows: { checked: 1, mismatches: 0, recorded: 0 },
        reservedHolds: { checked: 0, mismatches: 0, recorded: 0 },
      },
    });
    const report = world.store.reports.get(reportId)!;
    expect(report).toMatchObject({ status: 'completed', trigger: 'api', counts: result.counts });
    expect(world.store.opened).toEqual([reportId]);
    const kinds = (check: Parameters<FakeReconciliationStore['recorded']>[1]) => world.store.recorded(reportId, check).map((m) => [m.subjectId, m.kind]);
    expect(kinds('ledgerBalances')).toEqual([['acct-02', 'posted_differs']]);
    expect(kinds('readModelBalances')).toEqual([
      ['acct-04', 'missing_in_ledger'],
      ['acct-05', 'posted_differs'],
      ['acct-07', 'missing_in_read_model'],
    ]);
    expect(kinds('transferEntries')).toEqual([
      ['t-2', 'missing_entry'],
      ['t-3', 'duplicate_entries'],
      ['t-4', 'entry_for_unposted_transfer'],
      ['t-5', 'unknown_transfer'],
    ]);
    expect(world.store.recorded(reportId, 'readModelBalances')[1]?.detail).toEqual({
      ledger: { currency: 'USD', posted: '200', pending: '10' },
      readModel: { currency: 'USD', posted: '201', pending: '10' },
    });

    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'ledger_balances' })).toBe(1);
    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'read_model_balances' })).toBe(3);
    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'transfer_entries' })).toBe(4);

    const logged = mismatchLogs(world).map((line) => [line.check, line.account_id ?? line.transfer_id, line.report_id]);
    expect(logged).toHaveLength(8);
    expect(logged).toEqual(
      expect.arrayContaining([
        ['ledger_balances', 'acct-02', reportId],
        ['read_model_balances', 'acct-04', reportId],
        ['transfer_entries', 't-5', reportId],
      ]),
    );
  });

  it('when everything agrees, then the report completes with zero mismatches and the gauge shows zero', async () => {
    const world = newWorld();
    world.ledger.account('acct-01', '100');
    world.readModel.account('acct-01', '100');
    world.store.transfer('t-1', 'posted', 'e-1');
    world.ledger.transferEntries.set('t-1', ['e-1']);

    const { result } = await reconcile(world);

    expect(result.status).toBe('completed');
    expect(Object.values(result.counts).map((c) => c.mismatches)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(world.store.reports.get(result.reportId)).toMatchObject({ status: 'completed', trigger: 'schedule' });
    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'read_model_balances' })).toBe(0);
    expect(mismatchLogs(world)).toEqual([]);
  });
});

describe('reconciliation: money and sagas outside their transfer', () => {
  /**
   * Entries: e-1 and its reversal r-1 belong to t-1; e-orphan names no
   * transfer and r-orphan reverses it; e-ghost names a transfer the table
   * lacks. Reversals: t-1 reversed and consistent; t-8 reversed with no
   * reversing entry; t-9's row says its reversal was refused, the ledger holds
   * one; t-10 reversed but one account is 5 off zero; t-11 names another
   * reversing entry than the ledger's. Workflows: t-20 pending and running,
   * t-21 awaiting approval and terminated, t-22 pending with no workflow,
   * t-23 awaiting approval and completed. Holds: h-20 of t-20 (fine), h-21 of
   * t-21 (abandoned), h-1 of t-1 (final), h-ghost of t-ghost (unknown).
   */
  function arrange(world: World): void {
    world.store
      .transfer('t-1', 'reversed', 'e-1', { reversalEntryId: 'r-1' })
      .transfer('t-8', 'reversed', 'e-8', { reversalEntryId: 'r-8' })
      .transfer('t-9', 'posted', 'e-9', { reversalFailureCode: 'ACCOUNT_FROZEN' })
      .transfer('t-10', 'reversed', 'e-10', { reversalEntryId: 'r-10' })
      .transfer('t-11', 'reversed', 'e-11', { reversalEntryId: 'r-other' })
      .transfer('t-20', 'pending', null)
      .transfer('t-21', 'awaiting_approval', null)
      .transfer('t-22', 'pending', null)
      .transfer('t-23', 'awaiting_approval', null);
    world.ledger.entry('e-1', 't-1').entry('r-1', 't-1', 'e-1').entry('e-orphan', null).entry('r-orphan', null, 'e-orphan').entry('e-ghost', 't-ghost');
    world.ledger
      .reversal('t-1', ['r-1'])
      .reversal('t-8', [], [{ accountId: 'acct-1', net: '-100' }])
      .reversal('t-9', ['r-9'])
      .reversal('t-10', ['r-10'], [{ accountId: 'acct-1', net: '5' }, { accountId: 'acct-2', net: '-5' }])
      .reversal('t-11', ['r-11']);
    world.workflows.workflow('t-21', 'TERMINATED').workflow('t-22', 'NOT_FOUND').workflow('t-23', 'COMPLETED');
    world.ledger.hold('h-20', 't-20').hold('h-21', 't-21').hold('h-1', 't-1').hold('h-ghost', 't-ghost');
  }

  it('when entries, reversals, workflows and holds disagree with the transfers, then each is named under its check and logged by its id', async () => {
    const world = newWorld();
    arrange(world);
    const reportId = randomUUID();

    const { result } = await reconcile(world, { reportId, pageLimit: 2 });

    expect(result.status).toBe('completed');
    expect(result.counts.entryTransfers).toEqual({ checked: 5, mismatches: 3, recorded: 3 });
    // Pass one: the four reversed transfers; pass two: t-9 only (the ledger's others are recorded reversed).
    expect(result.counts.transferReversals).toEqual({ checked: 5, mismatches: 4, recorded: 4 });
    expect(result.counts.transferWorkflows).toEqual({ checked: 4, mismatches: 3, recorded: 3 });
    expect(result.counts.reservedHolds).toEqual({ checked: 4, mismatches: 3, recorded: 3 });
    const kinds = (check: Parameters<FakeReconciliationStore['recorded']>[1]) => world.store.recorded(reportId, check).map((m) => [m.subjectId, m.kind]);
    expect(kinds('entryTransfers')).toEqual([
      ['e-ghost', 'unknown_transfer'],
      ['e-orphan', 'no_transfer'],
      ['r-orphan', 'no_transfer'],
    ]);
    expect(kinds('transferReversals')).toEqual([
      ['t-10', 'not_net_zero'],
      ['t-11', 'reversal_entry_id_differs'],
      ['t-8', 'reversal_entry_missing'],
      ['t-9', 'reversal_not_recorded'],
    ]);
    expect(world.store.recorded(reportId, 'transferReversals').find((m) => m.subjectId === 't-9')!.detail).toEqual({
      status: 'posted',
      reversalEntryId: null,
      reversalFailureCode: 'ACCOUNT_FROZEN',
      ledgerReversalEntryIds: ['r-9'],
      unbalancedAccounts: [],
    });
    expect(kinds('transferWorkflows')).toEqual([
      ['t-21', 'workflow_closed'],
      ['t-22', 'workflow_not_found'],
      ['t-23', 'workflow_closed'],
    ]);
    expect(world.store.recorded(reportId, 'transferWorkflows')[0]?.detail).toEqual({ status: 'awaiting_approval', workflowStatus: 'TERMINATED' });
    expect(kinds('reservedHolds')).toEqual([
      ['h-1', 'transfer_final'],
      ['h-21', 'workflow_closed'],
      ['h-ghost', 'unknown_transfer'],
    ]);
    expect(world.store.recorded(reportId, 'reservedHolds')[1]?.detail).toEqual({
      transferId: 't-21',
      fromAccountId: 'acct-src',
      amount: '100',
      currency: 'USD',
      status: 'awaiting_approval',
      workflowStatus: 'TERMINATED',
    });
    // Temporal is asked about unfinished transfers only, never about a final one.
    expect(new Set(world.workflows.calls.flat())).toEqual(new Set(['t-20', 't-21', 't-22', 't-23']));

    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'entry_transfers' })).toBe(3);
    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'reserved_holds' })).toBe(3);
    const logged = mismatchLogs(world).map((line) => [line.check, line.entry_id ?? line.transfer_id ?? line.hold_id]);
    expect(logged).toEqual(
      expect.arrayContaining([
        ['entry_transfers', 'e-orphan'],
        ['transfer_reversals', 't-9'],
        ['transfer_workflows', 't-21'],
        ['reserved_holds', 'h-21'],
      ]),
    );
  });

  it('when a transfer is recorded final between the scan and the second look, then its closed workflow is no mismatch', async () => {
    const world = newWorld();
    world.store.transfer('t-30', 'awaiting_approval', null);
    world.workflows.workflow('t-30', 'COMPLETED');
    // The workflow's last status write lands just after the scan saw the row unfinished.
    const states = world.workflows.states.bind(world.workflows);
    world.workflows.states = async (ids) => {
      const answer = await states(ids);
      world.store.transfer('t-30', 'posted', 'e-30');
      return answer;
    };

    const { result } = await reconcile(world);

    expect(result.counts.transferWorkflows).toEqual({ checked: 1, mismatches: 0, recorded: 0 });
    expect(world.workflows.calls).toEqual([['t-30']]);
  });
});

describe('reconciliation: suspects settle before they count', () => {
  it('when the read model lags on the scan but has caught up when read again, then there is no mismatch', async () => {
    const world = newWorld();
    world.ledger.account('acct-01', '100');
    world.readModel.account('acct-01', '90');
    world.readModel.afterPage = () => world.readModel.account('acct-01', '100');

    const { result } = await reconcile(world);

    expect(result.counts.readModelBalances).toEqual({ checked: 1, mismatches: 0, recorded: 0 });
    expect(world.readModel.calls.map((c) => ('ids' in c.page ? 'by ids' : 'page'))).toEqual(['page', 'by ids']);
    expect(mismatchLogs(world)).toEqual([]);
  });
});

describe('reconciliation: bounds', () => {
  it('when the pages outnumber pagesPerRunMax, then the run continues as new and the one report still counts everything', async () => {
    const world = newWorld();
    for (const id of ['acct-01', 'acct-02', 'acct-03', 'acct-04']) world.ledger.account(id, '10');
    for (const id of ['acct-01', 'acct-02', 'acct-03']) world.readModel.account(id, '10');
    const reportId = randomUUID();

    const { result, runs } = await reconcile(world, { reportId, pageLimit: 1, pagesPerRunMax: 2 });

    expect(runs).toBe(2);
    expect(result.reportId).toBe(reportId);
    expect(result.counts.ledgerBalances).toEqual({ checked: 4, mismatches: 0, recorded: 0 });
    expect(result.counts.readModelBalances).toEqual({ checked: 4, mismatches: 1, recorded: 1 });
    expect(world.store.opened).toEqual([reportId]);
    expect(world.store.recorded(reportId, 'readModelBalances').map((m) => m.subjectId)).toEqual(['acct-04']);
  });

  it('when a check finds more mismatches than the record limit, then all are counted, the limit is recorded and logged, and one line says how many more', async () => {
    const world = newWorld();
    const extra = 5;
    for (let i = 0; i < MISMATCHES_RECORDED_PER_CHECK_MAX + extra; i++) world.readModel.account(`acct-${String(i).padStart(5, '0')}`, '1');

    const { result } = await reconcile(world, { pageLimit: 500 });

    expect(result.counts.readModelBalances).toEqual({ checked: MISMATCHES_RECORDED_PER_CHECK_MAX + extra, mismatches: MISMATCHES_RECORDED_PER_CHECK_MAX + extra, recorded: MISMATCHES_RECORDED_PER_CHECK_MAX });
    expect(world.store.recorded(result.reportId, 'readModelBalances')).toHaveLength(MISMATCHES_RECORDED_PER_CHECK_MAX);
    expect(mismatchLogs(world)).toHaveLength(MISMATCHES_RECORDED_PER_CHECK_MAX);
    expect(world.logs.filter((line) => line.level === ERROR && line.unrecorded !== undefined).map((line) => line.unrecorded)).toEqual([extra]);
    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'read_model_balances' })).toBe(MISMATCHES_RECORDED_PER_CHECK_MAX + extra);
  });
});

describe('reconciliation: failure', () => {
  it('when the ledger answers outside its contract, then the run fails without retrying and the report says failed, not running', async () => {
    const world = newWorld();
    world.ledger.failure = new UnexpectedResponseError('ledger', 'ledger GET /reconciliation/balances answered 400');
    const reportId = randomUUID();

    const { result } = await reconcile(world, { reportId });

    expect(result.status).toBe('failed');
    expect(world.ledger.calls).toHaveLength(1);
    expect(world.store.reports.get(reportId)).toMatchObject({ status: 'failed', failureMessage: expect.stringContaining('answered 400') });
    expect(await metricValue(world.registry, 'reconciliation_mismatches', { check: 'ledger_balances' })).toBe(0);
  });
});
