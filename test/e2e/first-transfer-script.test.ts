/**
 * Proves that the README's first transfer (docs/examples/first-transfer.sh) can
 * be run twice against the real gateway: the second run finds both accounts by
 * their code (GET /v1/accounts?code=) instead of failing on a taken code, and
 * replays the first run's transfer by its Idempotency-Key instead of moving
 * the money again. How: the script is run as a user would (bash, curl, jq)
 * with API pointing at this stack's gateway; both runs must exit 0 and print
 * the same posted transfer, and the balance must not move between them. Its
 * codes are fixed (bank, alice) as in the README, so a stack keeps those two
 * accounts and that one transfer, as it would after a user ran it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { api, ensureSystem, eventually, GATEWAY_URL } from '../support/system';

const SCRIPT = path.resolve(__dirname, '..', '..', 'docs', 'examples', 'first-transfer.sh');

beforeAll(() => {
  ensureSystem();
}, 10 * 60_000);

/** The script's output: the transfer, the balance and the statement, one JSON document a line. */
function runScript(): { transfer: { id: string; status: string; toAccountId: string }; balance: { posted: string } } {
  const output = execFileSync('bash', [SCRIPT], { env: { ...process.env, API: GATEWAY_URL }, encoding: 'utf8', timeout: 60_000 });
  const [transfer, balance] = output.trim().split('\n').map((line) => JSON.parse(line));
  return { transfer, balance };
}

it('when the README curl section is run twice, then both runs succeed with the same posted transfer and the balance does not move', async () => {
  const first = runScript();
  expect(first.transfer.status).toBe('posted');
  // The read model converges within the projection lag; the second run must then show the same balance.
  const settled = await eventually(() => api.get(`/v1/accounts/${first.transfer.toAccountId}/balance`), (r) => BigInt(r.body.posted) >= 5000n);

  const second = runScript();

  expect(second.transfer).toEqual(first.transfer);
  expect(second.balance.posted).toBe(settled.body.posted);
  const found = await api.get('/v1/accounts?code=alice');
  expect(found.body.items.map((a: { id: string }) => a.id)).toEqual([first.transfer.toAccountId]);
});
