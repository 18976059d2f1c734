/**
 * Property-based tests (fast-check) of the money format: every amount the API
 * accepts round-trips exactly through bigint, every string the parser accepts
 * is canonical decimal digits within 1..2^63−1, and the classic malformed
 * forms (signs, decimals, exponents, leading zeros, whitespace, other digits,
 * too many digits) are refused, whatever else surrounds them.
 */
import fc from 'fast-check';
import { AMOUNT_MINOR_MAX, amountMinorOf, formatAmountMinor, parseAmountMinor } from './money';

const validAmount = fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX });

it('when any amount from 1 to 2^63−1 is written as digits, then it parses back to the same bigint', () => {
  fc.assert(
    fc.property(validAmount, (amountMinor) => {
      const parsed = parseAmountMinor(formatAmountMinor(amountMinor));
      return parsed.ok && parsed.amountMinor === amountMinor;
    }),
  );
});

it('when any string is parsed, then it never throws, and what is accepted is canonical and in range', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[-+ 0-9.eE]{0,25}$/)), (text) => {
      const parsed = parseAmountMinor(text);
      if (!parsed.ok) return typeof parsed.reason === 'string' && parsed.reason.length > 0;
      return /^[1-9][0-9]*$/.test(text) && parsed.amountMinor >= 1n && parsed.amountMinor <= AMOUNT_MINOR_MAX && parsed.amountMinor.toString() === text;
    }),
    { numRuns: 2000 },
  );
});

it('when a valid amount is decorated (sign, decimal, exponent, leading zero, whitespace), then it is refused', () => {
  const decorate = fc.constantFrom(
    (s: string) => `+${s}`,
    (s: string) => `-${s}`,
    (s: string) => `${s}.0`,
    (s: string) => `${s}e0`,
    (s: string) => `0${s}`,
    (s: string) => ` ${s}`,
    (s: string) => `${s} `,
    (s: string) => `${s}\n`,
  );
  fc.assert(fc.property(validAmount, decorate, (amountMinor, wrap) => !parseAmountMinor(wrap(amountMinor.toString())).ok));
});

it('when an amount is past 2^63−1 or has other scripts\' digits, then it is refused; zero only when allowed', () => {
  fc.assert(fc.property(fc.bigInt({ min: AMOUNT_MINOR_MAX + 1n, max: 10n ** 30n }), (tooBig) => !parseAmountMinor(tooBig.toString()).ok));
  for (const text of ['١٢٣', '１２３', '½', '']) expect(parseAmountMinor(text).ok).toBe(false);
  expect(parseAmountMinor('0').ok).toBe(false);
  expect(parseAmountMinor('0', { allowZero: true })).toEqual({ ok: true, amountMinor: 0n });
  expect(parseAmountMinor('9223372036854775807')).toEqual({ ok: true, amountMinor: AMOUNT_MINOR_MAX });
});

it('when a validated amount is read with amountMinorOf, then it is the same rule: 1 to 2^63−1, 0 only where allowed, and a RangeError naming the field otherwise', () => {
  expect(amountMinorOf('1', 'amount')).toBe(1n);
  expect(amountMinorOf('9223372036854775807', 'amount')).toBe(AMOUNT_MINOR_MAX);
  expect(amountMinorOf('0', 'threshold', { allowZero: true })).toBe(0n);
  expect(() => amountMinorOf('0', 'amount')).toThrow(new RangeError('amount must be greater than zero: "0"'));
  expect(() => amountMinorOf('9223372036854775808', 'amount')).toThrow(RangeError);
  expect(() => amountMinorOf('9223372036854775808', 'threshold', { allowZero: true })).toThrow(RangeError);
  expect(() => amountMinorOf(' 12', 'amount')).toThrow(RangeError);
});
