// The promises callers wait on, and when each resolves:
// - drain: memory is below the resume mark again (inputs may push more);
// - flush: every pushed document is settled (delivered, dead-lettered or spooled);
// - idle: nothing buffered, in flight, queued or spooled (everything delivered or dead-lettered);
// - close: no request in flight.

export interface SinkLevels {
  readonly belowResumeMark: boolean;
  readonly unsettled: number;
  readonly inFlight: number;
  /** Batches queued or delayed, or data in the spool. */
  readonly workLeft: boolean;
}

export class Waiters {
  private drainW: (() => void)[] = [];
  private flushW: (() => void)[] = [];
  private idleW: (() => void)[] = [];
  private closeW: (() => void)[] = [];

  /** Somebody waits for flush() (a stop or a flush during an outage spools at once). */
  get flushing(): boolean {
    return this.flushW.length > 0;
  }

  drain(): Promise<void> {
    return new Promise((resolve) => this.drainW.push(resolve));
  }
  /** Registers the waiter synchronously (callers check for the promise's condition themselves). */
  addFlush(resolve: () => void): void {
    this.flushW.push(resolve);
  }
  addIdle(resolve: () => void): void {
    this.idleW.push(resolve);
  }
  closed(): Promise<void> {
    return new Promise((resolve) => this.closeW.push(resolve));
  }

  /** No request is in flight any more. */
  requestsDone(): void {
    for (const w of this.closeW.splice(0)) w();
  }

  /** Resolve every waiter whose condition holds. */
  check(l: SinkLevels): void {
    if (l.belowResumeMark) {
      for (const w of this.drainW.splice(0)) w();
    }
    if (l.unsettled === 0) {
      for (const w of this.flushW.splice(0)) w();
    }
    if (this.idleW.length > 0 && l.unsettled === 0 && l.inFlight === 0 && !l.workLeft) {
      for (const w of this.idleW.splice(0)) w();
    }
  }
}
