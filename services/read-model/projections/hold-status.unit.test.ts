/**
 * Proves the forward-only hold status rule on every pair of (known, incoming)
 * statuses: what is written and what it does to the pending sum. Pure
 * function, no infrastructure.
 */
import type { HoldStatus } from '../../../lib/contracts/ledger';
import { holdTransition } from './hold-status';

const FINAL: HoldStatus[] = ['captured', 'voided', 'expired'];

describe('holdTransition', () => {
  it('when the first event of a hold is reserved, then it is written and its amount becomes pending', () => {
    expect(holdTransition(null, 'reserved')).toEqual({ write: true, pending: 'add', contradiction: false });
  });

  it.each(FINAL)('when the first event of a hold is %s (its reserved event is late), then it is written and nothing is pending', (status) => {
    expect(holdTransition(null, status)).toEqual({ write: true, pending: 'none', contradiction: false });
  });

  it.each(FINAL)('when a reserved hold becomes %s, then it is written and its amount leaves pending', (status) => {
    expect(holdTransition('reserved', status)).toEqual({ write: true, pending: 'remove', contradiction: false });
  });

  it('when a reserved hold is reserved again (a redelivery), then nothing changes', () => {
    expect(holdTransition('reserved', 'reserved')).toEqual({ write: false, pending: 'none', contradiction: false });
  });

  it.each(FINAL)('when a %s hold receives a late reserved event, then nothing changes', (status) => {
    expect(holdTransition(status, 'reserved')).toEqual({ write: false, pending: 'none', contradiction: false });
  });

  it.each(FINAL.flatMap((known) => FINAL.map((incoming) => [known, incoming] as const)))(
    'when a %s hold receives %s, then nothing changes, flagged as a contradiction unless it is a repeat',
    (known, incoming) => {
      expect(holdTransition(known, incoming)).toEqual({ write: false, pending: 'none', contradiction: known !== incoming });
    },
  );
});
