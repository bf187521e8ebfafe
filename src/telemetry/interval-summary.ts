// One log line per interval for an occurrence that can repeat thousands of times (STYLE.md rule 9: never a log
// line per record). The first occurrence is reported at once; later ones are counted and reported together
// once the interval has passed: at the next occurrence, by an unreferenced timer, or at close.

export interface IntervalSummaryOptions<F> {
  readonly intervalMs: number;
  /** Report `count` occurrences; `fields` are the latest occurrence's. */
  readonly emit: (count: number, fields: F) => void;
  readonly now?: () => number;
}

export class IntervalSummary<F> {
  private pending = 0;
  private fields: F | undefined;
  private lastEmit = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: IntervalSummaryOptions<F>) {
    this.now = o.now ?? Date.now;
  }

  add(count: number, fields: F): void {
    this.pending += count;
    this.fields = fields;
    const wait = this.lastEmit + this.o.intervalMs - this.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    if (this.timer === undefined) {
      // Unreferenced: a summary never keeps the process alive; close() reports what is left.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
      this.timer.unref();
    }
  }

  /** Report what is pending now. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending === 0 || this.fields === undefined) return;
    const n = this.pending;
    this.pending = 0;
    this.lastEmit = this.now();
    this.o.emit(n, this.fields);
  }

  close(): void {
    this.flush();
  }
}
