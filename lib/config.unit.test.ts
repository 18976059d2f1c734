/**
 * Proves that the configuration reads amounts by lib/money's rule: the
 * approval threshold is 0 to 2^63−1 minor units, the exact point where it
 * stops being valid included. How: the schema's field is parsed on its own.
 */
import { configSchema } from './config';

const threshold = configSchema.shape.APPROVAL_THRESHOLD_MINOR;

it('when APPROVAL_THRESHOLD_MINOR is 0 to 2^63−1 digits, then it is accepted; one more, a sign or a leading zero is refused', () => {
  for (const value of ['0', '1', '1000000', '9223372036854775807']) expect(threshold.safeParse(value).success).toBe(true);
  for (const value of ['9223372036854775808', '9999999999999999999', '-1', '01', '1.5', '']) expect(threshold.safeParse(value).success).toBe(false);
});
