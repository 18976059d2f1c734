/**
 * Proves that the ledger refuses with no code missing from the one list:
 * every `ruleViolation('<CODE>', …)` in services/ledger names a code of
 * LEDGER_REFUSAL_CODES (the list the ledger client recognises a refusal by,
 * lib/clients/ledger.ts), and the lists built from it keep their order and
 * their meaning. How: the ledger's sources are read as text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ACCOUNT_REFUSAL_CODES, LEDGER_REFUSAL_CODES, RESERVE_REFUSAL_CODES, TRANSFER_FAILURE_CODES, codesInWords } from './refusal-codes';

const LEDGER_DIR = path.resolve(__dirname, '..', '..', 'services', 'ledger');

function thrownCodes(): string[] {
  const files = readdirSync(LEDGER_DIR).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  const codes = files.flatMap((name) => [...readFileSync(path.join(LEDGER_DIR, name), 'utf8').matchAll(/ruleViolation\('([A-Z_]+)'/g)].map((match) => match[1]!));
  return [...new Set(codes)].sort();
}

it('every code the ledger refuses with is in LEDGER_REFUSAL_CODES', () => {
  const thrown = thrownCodes();

  expect(thrown).toContain('INSUFFICIENT_FUNDS');
  expect(thrown.filter((code) => !(LEDGER_REFUSAL_CODES as readonly string[]).includes(code))).toEqual([]);
});

it('the lists nest: accounts within a reserve refusal, a reserve refusal within the ledger and the transfer failures', () => {
  expect(RESERVE_REFUSAL_CODES).toEqual([...ACCOUNT_REFUSAL_CODES, 'INSUFFICIENT_FUNDS']);
  expect(LEDGER_REFUSAL_CODES.slice(0, RESERVE_REFUSAL_CODES.length)).toEqual(RESERVE_REFUSAL_CODES);
  expect(TRANSFER_FAILURE_CODES).toEqual(expect.arrayContaining([...RESERVE_REFUSAL_CODES, 'HOLD_NOT_RESERVED', 'INTERNAL_ERROR', 'WORKFLOW_TERMINATED', 'REJECTED']));
  expect(codesInWords(RESERVE_REFUSAL_CODES)).toBe('ACCOUNT_NOT_FOUND, ACCOUNT_FROZEN, CURRENCY_MISMATCH or INSUFFICIENT_FUNDS');
});
