// Prints alerts in readable lines (the console view): when raised, throttled updates, the final count; settles
// every document at once: it is a view, not a store, so it never holds back a checkpoint.

import type { JsonValue, ShippableDocument } from '../../pipeline/document.types.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';
import { settle, type OnSettled } from '../../pipeline/settle.js';

function get(doc: Record<string, JsonValue | undefined>, dotted: string): JsonValue | undefined {
  let cur: JsonValue | undefined = doc as JsonValue;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function str(v: JsonValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v))
    return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** `event.severity` as the rule's word (the numbers of SEVERITY_LEVEL in src/detect/rule.schema.ts). */
const SEVERITY_WORDS = ['', 'informational', 'low', 'medium', 'high', 'critical'];

export function severityWord(v: JsonValue | undefined): string {
  return typeof v === 'number' ? (SEVERITY_WORDS[v] ?? String(v)) : (str(v) ?? '-');
}

/** How a line relates to the alert's earlier lines. */
export type AlertLineKind = 'new' | 'update' | 'final';

/** One line: `ALERT <kind> <severity> <rule name> host=... count=... — <message>`. */
export function formatAlertLine(doc: ShippableDocument, kind: AlertLineKind = 'new', note = ''): string {
  const d = doc.doc;
  const parts = [
    'ALERT',
    kind,
    severityWord(get(d, 'event.severity')),
    str(get(d, 'rule.name')) ?? str(get(d, 'rule.id')) ?? 'alert',
  ];
  const host = str(get(d, 'host.name'));
  if (host) parts.push(`host=${host}`);
  const count = str(get(d, 'casguard.alert.count'));
  if (count) parts.push(`count=${count}`);
  if (note) parts.push(note);
  const msg = str(get(d, 'message'));
  return `${parts.join(' ')}${msg ? ` — ${msg.replace(/\s+/g, ' ')}` : ''}`;
}

export interface StdoutAlertsOptions {
  /** Least time between two update lines of one alert (default one minute). */
  readonly updateEveryMs?: number;
  readonly now?: () => number;
}

interface Shown {
  lastPrintedAt: number;
  printedCount: string | undefined;
  latest: ShippableDocument;
  latestPrinted: boolean;
}

/**
 * Alerts on the console: a `new` line when an alert is raised, `update` lines at most once a minute per alert
 * while its count grows (marked as throttled), and a `final` line with the last count at the end (stop, end of
 * a replay) for every alert whose latest version was not printed.
 */
export class StdoutAlerts implements DocumentSink {
  private readonly shown = new Map<string, Shown>();
  private readonly updateEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly print: (line: string) => void,
    opts: StdoutAlertsOptions = {},
  ) {
    this.updateEveryMs = opts.updateEveryMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (doc.stream === 'alerts') this.see(doc);
    settle(onSettled);
    return true;
  }

  private see(doc: ShippableDocument): void {
    const now = this.now();
    const count = str(get(doc.doc, 'casguard.alert.count'));
    const s = this.shown.get(doc.id);
    if (!s) {
      this.print(formatAlertLine(doc, 'new'));
      this.shown.set(doc.id, { lastPrintedAt: now, printedCount: count, latest: doc, latestPrinted: true });
      return;
    }
    s.latest = doc;
    s.latestPrinted = false;
    if (count === s.printedCount) {
      s.latestPrinted = true;
      return;
    }
    if (now - s.lastPrintedAt < this.updateEveryMs) return;
    const every = Math.round(this.updateEveryMs / 1000);
    this.print(
      formatAlertLine(doc, 'update', `(was ${s.printedCount ?? '?'}; at most one line per ${every} s)`),
    );
    s.lastPrintedAt = now;
    s.printedCount = count;
    s.latestPrinted = true;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** The last count of every alert whose latest version was not printed yet. */
  close(): Promise<void> {
    for (const s of this.shown.values())
      if (!s.latestPrinted) {
        this.print(formatAlertLine(s.latest, 'final'));
        s.latestPrinted = true;
        s.printedCount = str(get(s.latest.doc, 'casguard.alert.count'));
      }
    return Promise.resolve();
  }
}
