// Event time as the engine sees it. All windows, periods and update cadences are measured in the documents' own
// @timestamp, never the wall clock, so a backfill of last week's logs raises exactly the alerts live tailing
// raised. The watermark is the latest event time evaluated; sweeps (quiet alerts, closed periods, idle keys) run
// each time it crosses a SWEEP_MS boundary.
//
// The agent's own clock (injected) is used for one thing only: a document dated further ahead of it than
// `maxFutureSkewMs` (a device or server with a wrong clock, a corrupt line: `2099-...`, `9999-...`) cannot be
// evidence of anything yet. Evaluated, it would move its key's window and period so far ahead that the key's
// real documents all count as late, and a real storm would never be alerted. Such documents are still shipped;
// the engine skips them, counts them, and warns at most once per FUTURE_LOG_INTERVAL_MS.

import type { Logger } from '../telemetry/logger.types.js';
import { detectFutureDocument, detectFutureDocumentsSkipped } from '../telemetry/detect-events.js';

const SWEEP_MS = 15_000;
const FUTURE_LOG_INTERVAL_MS = 60_000;

export interface EventClockOptions {
  /** How far ahead of the agent's clock an event time may be and still be evaluated. */
  readonly maxFutureSkewMs: number;
  /** The agent's clock (ms since the epoch). */
  readonly now: () => number;
  readonly logger: Logger;
}

export class EventClock {
  /** Latest event time evaluated (NEGATIVE_INFINITY before the first document). */
  watermark = Number.NEGATIVE_INFINITY;
  nextSweepAt = Number.NEGATIVE_INFINITY;
  private lastTs = '';
  private lastT = Number.NaN;
  /** now() + maxFutureSkewMs when last read: an event time at or below it is never too far ahead. */
  private horizon = Number.NEGATIVE_INFINITY;
  private futureSinceLog = 0;
  private futureLatest = Number.NEGATIVE_INFINITY;
  private lastFutureLogAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: EventClockOptions) {}

  /** Event time of a @timestamp text (NaN when unreadable). */
  parse(ts: string): number {
    // Consecutive documents often share their timestamp (one-second log resolution): parse each text once.
    return ts === this.lastTs ? this.lastT : (this.lastT = Date.parse((this.lastTs = ts)));
  }

  /**
   * True for an event time too far ahead of the agent's clock (counted and reported). The clock is read only
   * when `t` passes the horizon last computed, which only grows: ordinary documents cost one comparison.
   */
  tooFarAhead(t: number): boolean {
    if (t <= this.horizon) return false;
    const now = this.options.now();
    this.horizon = now + this.options.maxFutureSkewMs;
    if (t <= this.horizon) return false;
    detectFutureDocument();
    this.futureSinceLog += 1;
    if (t > this.futureLatest) this.futureLatest = t;
    if (now - this.lastFutureLogAt >= FUTURE_LOG_INTERVAL_MS) {
      detectFutureDocumentsSkipped(this.options.logger, {
        documents: this.futureSinceLog,
        maxFutureSkewMs: this.options.maxFutureSkewMs,
        latest: new Date(this.futureLatest).toISOString(),
        agentTime: new Date(now).toISOString(),
      });
      this.futureSinceLog = 0;
      this.futureLatest = Number.NEGATIVE_INFINITY;
      this.lastFutureLogAt = now;
    }
    return true;
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
