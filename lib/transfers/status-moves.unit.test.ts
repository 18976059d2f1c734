/**
 * The store asserts every status move the database applied against
 * canMoveStatus, so the SQL guard and the TypeScript rule cannot drift apart
 * unnoticed: an allowed move passes, a move backwards (or out of a terminal
 * status other than posted -> reversed) throws naming the transfer and both
 * statuses.
 */
import { AssertionError } from '../assert';
import { TERMINAL_STATUSES, TRANSFER_STATUSES } from './status';
import { assertMoveAllowed } from './store';

it('when the move goes forward, then the assertion passes', () => {
  expect(() => assertMoveAllowed('t-1', 'pending', 'awaiting_approval')).not.toThrow();
  expect(() => assertMoveAllowed('t-1', 'awaiting_approval', 'posted')).not.toThrow();
  expect(() => assertMoveAllowed('t-1', 'posted', 'reversed')).not.toThrow();
});

it('when the move goes backwards, then it throws naming the transfer and the move', () => {
  expect(() => assertMoveAllowed('t-1', 'posted', 'pending')).toThrow(AssertionError);
  expect(() => assertMoveAllowed('t-1', 'posted', 'pending')).toThrow("transfer t-1's move from posted to pending");
  expect(() => assertMoveAllowed('t-1', 'awaiting_approval', 'reversed')).toThrow(AssertionError);
});

it('when a terminal status other than posted would move anywhere, then it throws', () => {
  for (const from of TERMINAL_STATUSES.filter((status) => status !== 'posted')) {
    for (const to of TRANSFER_STATUSES) expect(() => assertMoveAllowed('t-1', from, to)).toThrow(AssertionError);
  }
});
