// Event time as the engine sees it. All windows, periods and update cadences are measured in the documents' own
// @timestamp, never the wall clock, so a backfill of last week's logs raises exactly the alerts live tailing
// raised. The watermark is the latest event time evaluated; sweeps (quiet alerts, closed periods, idle keys) run
// each time it crosses a SWEEP_MS boundary.

const SWEEP_MS = 15_000;

export class EventClock {
  /** Latest event time evaluated (NEGATIVE_INFINITY before the first document). */
  watermark = Number.NEGATIVE_INFINITY;
  nextSweepAt = Number.NEGATIVE_INFINITY;
  private lastTs = '';
  private lastT = Number.NaN;

  /** Event time of a @timestamp text (NaN when unreadable). */
  parse(ts: string): number {
    // Consecutive documents often share their timestamp (one-second log resolution): parse each text once.
    return ts === this.lastTs ? this.lastT : (this.lastT = Date.parse((this.lastTs = ts)));
  }

  /** Move the watermark; true when a sweep is due (and schedule the next one). */
  advance(t: number): boolean {
    if (t > this.watermark) this.watermark = t;
    if (this.watermark < this.nextSweepAt) return false;
    this.nextSweepAt = (Math.floor(this.watermark / SWEEP_MS) + 1) * SWEEP_MS;
    return true;
  }

  reset(): void {
    this.watermark = Number.NEGATIVE_INFINITY;
    this.nextSweepAt = Number.NEGATIVE_INFINITY;
  }
}
