/**
 * Failure drill: the Kafka broker is stopped for 30 s mid-load, then started
 * again by `deploy/stack up`. Transfers go on (nothing on their path needs
 * Kafka); the ledger's and the accounts' events wait in their outboxes, which
 * must grow while the broker is down (an account is created meanwhile, so the
 * accounts outbox has something to hold) and drain once it is back; the read
 * model then catches up. The contract's invariants hold once the system is
 * idle, outboxes empty included.
 * How: runDrill (support/drill.ts) runs the load and the checks; this file
 * samples the outboxes every second while the broker is down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runDrill, violationsOf, type DrillContext } from './support/drill';
import { stack } from './support/stack';

const peak = { accounts: 0, ledger: 0 };

async function unpublished(ctx: DrillContext, which: 'accounts' | 'ledger'): Promise<number> {
  const { rows } = await ctx.pools[which].query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
  return rows[0].n;
}

async function sampleOutboxes(ctx: DrillContext): Promise<void> {
  const code = `drill-kafka-outage-${Date.now()}`;
  const created = await ctx.client('POST', '/v1/accounts', { code, name: 'created while Kafka is down', currency: 'USD' }, { 'Idempotency-Key': code });
  ctx.notes.push(`account created while Kafka was down: ${created.status} ${created.body?.id ?? JSON.stringify(created.body)}`);
  for (let i = 0; i < 120 && !ctx.healing(); i++) {
    peak.accounts = Math.max(peak.accounts, await unpublished(ctx, 'accounts'));
    peak.ledger = Math.max(peak.ledger, await unpublished(ctx, 'ledger'));
    await sleep(1_000);
  }
  ctx.notes.push(`outboxes while Kafka was down, at most: accounts ${peak.accounts}, ledger ${peak.ledger} unpublished rows`);
}

it('when Kafka is down for 30 s mid-load, then the outboxes grow, drain once it is back, and the invariants hold', async () => {
  const result = await runDrill({
    name: 'kafka',
    fault: 'Kafka broker stopped for 30 s',
    faulted: ['kafka'],
    holdMs: 30_000,
    inject: async () => {
      await stack('stop', 'kafka');
      return 'deploy/stack stop kafka';
    },
    whileFaulted: sampleOutboxes,
    extraChecks: async () => [
      {
        name: 'outboxes grew while Kafka was down',
        violations: [
          ...(peak.ledger > 0 ? [] : ['the ledger outbox never held an unpublished row while Kafka was down']),
          ...(peak.accounts > 0 ? [] : ['the accounts outbox never held an unpublished row while Kafka was down']),
        ],
      },
    ],
  });
  expect(violationsOf(result)).toEqual([]);
});
