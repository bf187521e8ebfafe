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
// it is (and refused by the mapping: a bug, dead-lettered with the reason). Done like `event.ingested`, in place:
// while the document is serialized such a field holds `undefined` (JSON.stringify leaves the key out, the other
// keys keep their order), and its value is put back after (other outputs share the document); an object left with
// nothing else is itself left out the same way. Copying the objects instead (`event`, `data_stream`, `agent`: the
// way this was first done) cost about 700 bytes of garbage per IIS document (issue 16).

interface TopPlan {
  readonly top: string;
  readonly keys: readonly string[];
  readonly values: readonly string[];
}

/** Per stream: the top-level objects holding constant fields, with those fields and their values. */
const PLANS = new Map<DataStreamKind, readonly TopPlan[]>();
for (const stream of Object.keys(STREAM_CONSTANTS) as DataStreamKind[]) {
  const byTop = new Map<string, { top: string; keys: string[]; values: string[] }>();
  for (const [path, value] of Object.entries(STREAM_CONSTANTS[stream])) {
    const dot = path.indexOf('.');
    const top = path.slice(0, dot);
    let p = byTop.get(top);
    if (p === undefined) byTop.set(top, (p = { top, keys: [], values: [] }));
    p.keys.push(path.slice(dot + 1));
    p.values.push(value);
  }
  PLANS.set(stream, [...byTop.values()]);
}

function isObj(v: JsonValue | undefined): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isConstant(v: JsonValue | undefined, c: string): boolean {
  return v === c || (Array.isArray(v) && v.length === 1 && v[0] === c);
}

/** Whether any field of `o` holds a value. */
function hasDefined(o: Obj): boolean {
  for (const k in o) if (o[k] !== undefined) return true;
  return false;
}

/**
 * What the calls of withWireShape in progress blanked, as (object, key, value) triples from index 0 to `blankedTop`:
 * a stack (a nested call restores only its own), never shrunk, so that a document costs no allocation.
 */
const blanked: unknown[] = [];
let blankedTop = 0;

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
  const base = blankedTop;
  try {
    for (let p = 0; p < plan.length; p++) {
      const { top, keys, values } = plan[p]!;
      const o = doc[top];
      if (!isObj(o)) continue;
      let n = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = o[k];
        if (v === undefined || !isConstant(v, values[i]!)) continue;
        blanked[blankedTop++] = o;
        blanked[blankedTop++] = k;
        blanked[blankedTop++] = v;
        (o as Record<string, JsonValue | undefined>)[k] = undefined;
        n++;
      }
      // `event` stays: it receives `event.ingested`.
      if (n === keys.length && top !== 'event' && !hasDefined(o)) {
        blanked[blankedTop++] = doc;
        blanked[blankedTop++] = top;
        blanked[blankedTop++] = o;
        (doc as Record<string, JsonValue | undefined>)[top] = undefined;
      }
    }
    return withIngested(doc, ingested, fn);
  } finally {
    for (let i = blankedTop - 3; i >= base; i -= 3) {
      (blanked[i] as Record<string, unknown>)[blanked[i + 1] as string] = blanked[i + 2];
      // No reference kept to a document once it is restored.
      blanked[i] = blanked[i + 2] = undefined;
    }
    blankedTop = base;
  }
}
