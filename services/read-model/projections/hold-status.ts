/**
 * A hold's status only moves forward: reserved, then one of captured, voided,
 * expired. Events of one hold may arrive late or twice, so the projection asks
 * this pure rule what an event changes given the status it already knows.
 */
import type { HoldStatus } from '../../../lib/contracts/ledger';

export interface HoldTransition {
  /** Whether the hold row takes the event's status. */
  write: boolean;
  /** What happens to the account's pending sum: the hold's amount is added, removed, or nothing. */
  pending: 'add' | 'remove' | 'none';
  /** Two different final statuses for one hold: the ledger contradicts itself; the first one stays. */
  contradiction: boolean;
}

const UNCHANGED: HoldTransition = { write: false, pending: 'none', contradiction: false };

export function holdTransition(known: HoldStatus | null, incoming: HoldStatus): HoldTransition {
  if (known === null) {
    // First news of the hold; a final status first (its reserved event is late) never counts as pending.
    return { write: true, pending: incoming === 'reserved' ? 'add' : 'none', contradiction: false };
  }
  if (known === 'reserved') {
    return incoming === 'reserved' ? UNCHANGED : { write: true, pending: 'remove', contradiction: false };
  }
  // Known final: a late reserved or a repeat changes nothing.
  return { ...UNCHANGED, contradiction: incoming !== 'reserved' && incoming !== known };
}
