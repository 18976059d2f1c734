/**
 * The transfer's undo steps. Deterministic code.
 */
import { CancellationScope, log } from '@temporalio/workflow';
import { capturedEntryOf } from './step-failures';

export interface Compensation {
  /** Whether any compensation ran. */
  ran: boolean;
  /** The entry of a hold found captured instead of voided, or null. */
  capturedEntryId: string | null;
}

/** Undo steps, run newest first. Each must be idempotent: it may run for a step that never took effect. */
export class Saga {
  private readonly compensations: Array<(reason: string) => Promise<void>> = [];

  add(compensation: (reason: string) => Promise<void>): void {
    this.compensations.unshift(compensation);
  }

  /**
   * Runs every compensation once, newest first, shielded from workflow
   * cancellation; one that fails is logged and the rest still run.
   */
  async compensate(reason: string): Promise<Compensation> {
    const pending = this.compensations.splice(0);
    let capturedEntryId: string | null = null;
    await CancellationScope.nonCancellable(async () => {
      for (const compensation of pending) {
        try {
          await compensation(reason);
        } catch (error) {
          const captured = capturedEntryOf(error);
          if (captured) capturedEntryId = captured;
          else log.error('compensation failed', { reason, error: (error as Error).message });
        }
      }
    });
    return { ran: pending.length > 0, capturedEntryId };
  }
}
