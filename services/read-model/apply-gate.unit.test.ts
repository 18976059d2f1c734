/**
 * Proves the apply gate the rebuild uses to hold its consumer: close waits for
 * the apply in flight, nothing starts while closed, open lets the waiting
 * apply through, abort fails it. Pure promises, no infrastructure.
 */
import { ApplyAborted, ApplyGate } from './apply-gate';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ApplyGate', () => {
  it('when the gate closes during an apply, then close resolves only after that apply has finished', async () => {
    const gate = new ApplyGate();
    let finishApply: () => void = () => undefined;
    const applying = gate.run(() => new Promise<void>((resolve) => (finishApply = resolve)));
    let closed = false;
    const closing = gate.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    finishApply();
    await closing;
    await applying;
    expect(closed).toBe(true);
  });

  it('when an apply arrives at a closed gate, then it waits until the gate opens', async () => {
    const gate = new ApplyGate();
    await gate.close();
    const order: string[] = [];
    const waiting = gate.run(async () => order.push('applied'));
    await tick();
    order.push('opened');
    gate.open();
    await waiting;
    expect(order).toEqual(['opened', 'applied']);
  });

  it('when the gate is aborted, then the waiting apply and later ones fail with ApplyAborted and never run', async () => {
    const gate = new ApplyGate();
    await gate.close();
    let ran = false;
    const waiting = gate.run(async () => (ran = true));
    gate.abort();
    await expect(waiting).rejects.toBeInstanceOf(ApplyAborted);
    await expect(gate.run(async () => (ran = true))).rejects.toBeInstanceOf(ApplyAborted);
    expect(ran).toBe(false);
  });
});
