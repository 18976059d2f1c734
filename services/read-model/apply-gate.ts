/**
 * Lets the rebuild hold its consumer between two events: while the gate is
 * closed no apply starts, and `close` returns once the applies in flight have
 * finished. `abort` makes the waiting and future applies fail with
 * ApplyAborted, which the consumer treats as "stop here, commit nothing".
 */

export class ApplyAborted extends Error {
  constructor() {
    super('apply aborted: the gate was shut for good');
    this.name = 'ApplyAborted';
  }
}

export class ApplyGate {
  private closed: { opened: Promise<void>; open: () => void } | null = null;
  private aborted = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    while (this.closed && !this.aborted) await this.closed.opened;
    if (this.aborted) throw new ApplyAborted();
    this.inFlight += 1;
    try {
      return await work();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
    }
  }

  /** Stops new applies and waits for those in flight. */
  async close(): Promise<void> {
    if (!this.closed) {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      this.closed = { opened, open };
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  open(): void {
    const closed = this.closed;
    this.closed = null;
    closed?.open();
  }

  /** Fails every waiting and future apply; used once the rebuilt tables are live and must not be written by the rebuild. */
  abort(): void {
    this.aborted = true;
    this.open();
  }
}
