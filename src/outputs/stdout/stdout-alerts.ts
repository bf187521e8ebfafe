// Prints each alert document in one readable line (the embedded default's console view) and settles every
// document at once: it is a view, not a store, so it never holds back a checkpoint.

import type { JsonValue, ShippableDocument } from '../../pipeline/document.types.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';

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

/** One line: `ALERT <severity> <rule name> host=... count=... — <message>`. */
export function formatAlertLine(doc: ShippableDocument): string {
  const d = doc.doc;
  const parts = [
    'ALERT',
    str(get(d, 'event.severity')) ?? '-',
    str(get(d, 'rule.name')) ?? str(get(d, 'rule.id')) ?? 'alert',
  ];
  const host = str(get(d, 'host.name'));
  if (host) parts.push(`host=${host}`);
  const count = str(get(d, 'casguard.alert.count'));
  if (count) parts.push(`count=${count}`);
  const msg = str(get(d, 'message'));
  return `${parts.join(' ')}${msg ? ` — ${msg.replace(/\s+/g, ' ')}` : ''}`;
}

export class StdoutAlerts implements DocumentSink {
  constructor(private readonly print: (line: string) => void) {}

  push(doc: ShippableDocument, onSettled: () => void): boolean {
    if (doc.stream === 'alerts') this.print(formatAlertLine(doc));
    onSettled();
    return true;
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
