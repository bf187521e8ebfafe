// What the Elasticsearch output changes in a document on the way out: `event.ingested`, and the stream's constant
// fields left out (below).
//
// `event.ingested` is, in ECS, when the event arrived in the central data store; Kibana rules that look back
// over it (rather than `@timestamp`) catch late and backfilled events. Elastic's integrations set it in an
// ingest pipeline (`{{_ingest.timestamp}}`); casguard installs no ingest pipeline, so it sets the time the
// document is handed to the Elasticsearch output, normally within a batch interval of its arrival. A document
// that waits in the disk spool during an outage keeps the time it was queued (the spool stores serialized
// documents). It is set here, not in the pure pipeline, so the golden files stay deterministic and the local
// NDJSON output (which is not a data store) does not carry it.
//
// How: the delivery sink serializes a document synchronously inside `push`, so the field is set on the shared
// document for the duration of that call and removed again, instead of copying every document (a copy of the
// top-level object cost more than half as much as serializing it, measured on a golden IIS document).

import type { DocumentStream, EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import { STREAM_CONSTANTS, type DataStreamKind } from '../../pipeline/stream-constants.js';

type Obj = { [key: string]: JsonValue };

/** Runs `fn` with `doc.event.ingested = ingested`, then leaves `doc` as it was (other outputs share it). */
export function withIngested<T>(doc: EcsDocument, ingested: string, fn: () => T): T {
  const event = doc['event'];
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    const before = event;
    doc['event'] = { ingested };
    try {
      return fn();
    } finally {
      if (before === undefined) delete doc['event'];
      else doc['event'] = before;
    }
  }
  const had = Object.prototype.hasOwnProperty.call(event, 'ingested');
  const previous = event['ingested'];
  event['ingested'] = ingested;
  try {
    return fn();
  } finally {
    // Deleting the property added last lets V8 return to the object's previous shape.
    if (had) event['ingested'] = previous!;
    else delete event['ingested'];
  }
}

/** ISO 8601 of `now()`, formatted once per millisecond (a batch of thousands shares a few values). */
export function isoClock(now: () => number = Date.now): () => string {
  let lastMs = Number.NaN;
  let lastIso = '';
  return () => {
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
}

// The constant fields of a data stream (src/pipeline/stream-constants.ts: `event.kind`, `event.dataset`,
// `data_stream.type`...) are mapped by casguard's index templates as constant_keyword with their value, so a
// document need not carry them: Elasticsearch answers them from the mapping. Leaving them out saves about 170
// bytes of every IIS document on the wire and in `_source` (issue 16). A field is left out only when it has exactly
// the constant's value (a one-element array of it for `event.category`/`event.type`); any other value is sent as
// it is (and refused by the mapping: a bug, dead-lettered with the reason). Done like `event.ingested`: the
// objects holding such fields are swapped for copies without them while the document is serialized, and put
// back after (other outputs share the document; swapping a value keeps the key order).

/** Per stream: top-level object → (field in it → constant value). */
const PLANS = new Map<DataStreamKind, ReadonlyArray<readonly [string, ReadonlyMap<string, string>]>>();
for (const stream of Object.keys(STREAM_CONSTANTS) as DataStreamKind[]) {
  const byTop = new Map<string, Map<string, string>>();
  for (const [path, value] of Object.entries(STREAM_CONSTANTS[stream])) {
    const dot = path.indexOf('.');
    const top = path.slice(0, dot);
    let m = byTop.get(top);
    if (m === undefined) byTop.set(top, (m = new Map<string, string>()));
    m.set(path.slice(dot + 1), value);
  }
  // `event` always: it receives `event.ingested`.
  if (!byTop.has('event')) byTop.set('event', new Map());
  PLANS.set(stream, [...byTop]);
}

function isObj(v: JsonValue | undefined): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isConstant(v: JsonValue | undefined, c: string): boolean {
  return v === c || (Array.isArray(v) && v.length === 1 && v[0] === c);
}

/**
 * Runs `fn` with `doc` in its wire shape: `event.ingested = ingested` and, for a data stream, without the
 * stream's constant fields (`sendConstants: false`); then leaves `doc` as it was.
 */
export function withWireShape<T>(
  doc: EcsDocument,
  stream: DocumentStream,
  ingested: string,
  sendConstants: boolean,
  fn: () => T,
): T {
  const plan = stream === 'alerts' || sendConstants ? undefined : PLANS.get(stream);
  if (plan === undefined || !isObj(doc['event'])) return withIngested(doc, ingested, fn);
  const saved: [string, Obj][] = [];
  try {
    for (const [top, fields] of plan) {
      const o = doc[top];
      if (!isObj(o)) continue;
      let copy: Obj | undefined;
      let kept = 0;
      for (const k in o) {
        const c = fields.get(k);
        if (c !== undefined && isConstant(o[k], c)) {
          copy ??= copyUntil(o, k);
          continue;
        }
        if (copy !== undefined) copy[k] = o[k]!;
        kept++;
      }
      if (top === 'event') {
        copy ??= { ...o };
        copy['ingested'] = ingested;
        kept++;
      }
      if (copy === undefined) continue;
      saved.push([top, o]);
      // undefined: JSON.stringify leaves the key out, and putting the object back keeps the key order.
      doc[top] = kept > 0 ? copy : undefined;
    }
    return fn();
  } finally {
    for (const [k, v] of saved) doc[k] = v;
  }
}

/** The fields of `o` before `key`, in order. */
function copyUntil(o: Obj, key: string): Obj {
  const copy: Obj = {};
  for (const k in o) {
    if (k === key) break;
    copy[k] = o[k]!;
  }
  return copy;
}
