/** Proves how a 400 names a field: keys dot-separated, array positions in brackets, a numeric key still a key. */
import { fieldPath } from './validation';

it('when a path holds array positions, then they are in brackets and keys are dot-separated', () => {
  expect(fieldPath('', ['transfers', 3, 'amount'])).toBe('transfers[3].amount');
  expect(fieldPath('', ['transfers', 0, 'metadata', 'a', 1, '__proto__'])).toBe('transfers[0].metadata.a[1].__proto__');
  expect(fieldPath('', ['metadata', '0'])).toBe('metadata.0');
  expect(fieldPath('Idempotency-Key', [])).toBe('Idempotency-Key');
  expect(fieldPath('', [2])).toBe('[2]');
});
