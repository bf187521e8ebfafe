// Watches what no component reports by itself, for /health: the Elasticsearch disk spool above a share of its
// bound, and dead letters being written (degraded while any was written in the last window). Checked every
// few seconds from the figures the agent already keeps (the spool gauge, the dead-letter tally).

import type { Logger } from '../telemetry/logger.types.js';
import {
  deadLettersGrowing,
  deadLettersSteady,
  spoolAboveThreshold,
  spoolBelowThreshold,
} from '../telemetry/health-events.js';
import { metricsRegistry } from '../telemetry/metrics.js';

export interface HealthWatchOptions {
  readonly logger: Logger;
  /** Dead letters written so far (any stage). */
  readonly deadLetters: () => number;
  readonly deadLetterFile: () => string;
  /** The Elasticsearch spool's bound, when there is one. */
  readonly spoolMaxBytes: number | undefined;
  readonly spoolThresholdPercent: number;
  readonly deadLetterWindowMs: number;
  readonly checkEveryMs?: number;
}

type GaugeValues = { values: { labels: Record<string, string | number>; value: number }[] };

export class HealthWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly spoolHigh = new Set<string>();
  private lettersSeen = 0;
  private lettersAt: number[] = [];
  private lettersDegraded = false;

  constructor(private readonly o: HealthWatchOptions) {}

  start(): void {
    this.lettersSeen = this.o.deadLetters();
    this.timer = setInterval(() => void this.check(), this.o.checkEveryMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<void> {
    const now = Date.now();
    const letters = this.o.deadLetters();
    if (letters > this.lettersSeen) {
      this.lettersAt.push(now);
      const written = letters - this.lettersSeen;
      this.lettersSeen = letters;
      if (!this.lettersDegraded) {
        this.lettersDegraded = true;
        deadLettersGrowing(this.o.logger, {
          written,
          windowMs: this.o.deadLetterWindowMs,
          file: this.o.deadLetterFile(),
        });
      }
    }
    this.lettersAt = this.lettersAt.filter((t) => now - t < this.o.deadLetterWindowMs);
    if (this.lettersDegraded && this.lettersAt.length === 0) {
      this.lettersDegraded = false;
      deadLettersSteady(this.o.logger, { windowMs: this.o.deadLetterWindowMs });
    }
    const max = this.o.spoolMaxBytes;
    if (max === undefined) return;
    const metric = metricsRegistry().getSingleMetric('casguard_es_spool_bytes');
    if (!metric) return;
    const got = (await metric.get()) as GaugeValues;
    const threshold = (max * this.o.spoolThresholdPercent) / 100;
    for (const v of got.values) {
      const output = String(v.labels['output'] ?? 'elasticsearch');
      if (v.value >= threshold && !this.spoolHigh.has(output)) {
        this.spoolHigh.add(output);
        spoolAboveThreshold(this.o.logger, {
          output,
          bytes: v.value,
          maxBytes: max,
          thresholdPercent: this.o.spoolThresholdPercent,
        });
      } else if (v.value < threshold && this.spoolHigh.has(output)) {
        this.spoolHigh.delete(output);
        spoolBelowThreshold(this.o.logger, { output, bytes: v.value });
      }
    }
  }
}
