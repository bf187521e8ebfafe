// What `run` has done, for the operator: a periodic line with the non-zero figures of the last interval (as
// Filebeat's "Non-zero metrics in the last 30s") in the agent's log, and an end summary when it stops.

import type { Agent } from './agent.js';
import { humanBytes, readCounts } from './replay-progress.js';

interface Figures {
  bytes: number;
  records: number;
  documents: number;
  alerts: number;
  alertUpdates: number;
  recordsDeadLettered: number;
  documentsRefused: number;
}

export class RunStats {
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  private last: Figures = zero();
  private current: Figures = zero();

  constructor(
    private readonly agent: Agent,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async snapshot(): Promise<Figures> {
    let bytes = 0;
    let records = 0;
    for (const c of (await readCounts()).values()) {
      bytes += c.bytes;
      records += c.records;
    }
    const t = this.agent.tally;
    const l = this.agent.deadLetterTally;
    return {
      bytes,
      records,
      documents: t.documents,
      alerts: t.alerts,
      alertUpdates: t.alertUpdates,
      recordsDeadLettered: l.records,
      documentsRefused: l.documents,
    };
  }

  private async tick(): Promise<void> {
    const now = await this.snapshot();
    this.current = now;
    const delta: Record<string, number> = {};
    for (const k of Object.keys(now) as (keyof Figures)[]) {
      const d = now[k] - this.last[k];
      if (d !== 0) delta[k] = d;
    }
    this.last = now;
    if (Object.keys(delta).length === 0) return;
    this.agent.logger.info(`Non-zero metrics in the last ${Math.round(this.intervalMs / 1000)}s`, {
      event: 'periodic_stats',
      ...delta,
    });
  }

  /** One line: everything since the start (the last figures read; the tally is exact). */
  async summary(): Promise<string> {
    this.current = await this.snapshot();
    const t = this.agent.tally;
    const l = this.agent.deadLetterTally;
    const secs = (Date.now() - this.started) / 1000;
    const bytes = this.current.bytes;
    return (
      `stopped after ${secs.toFixed(1)} s: ${t.documents} document(s) made` +
      (bytes > 0 ? ` from ${humanBytes(bytes)}` : '') +
      `, ${Math.max(0, t.documents - l.documents)} stored, ${t.alerts} alert(s) (${t.alertUpdates} update(s)); ` +
      `dead letters: ${l.records} record(s) not parsed, ${l.documents} document(s) refused by the output`
    );
  }
}

function zero(): Figures {
  return {
    bytes: 0,
    records: 0,
    documents: 0,
    alerts: 0,
    alertUpdates: 0,
    recordsDeadLettered: 0,
    documentsRefused: 0,
  };
}
