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
// document for the duration of that call and unset again (the key stays with the value `undefined`, which JSON
// leaves out), instead of copying every document (a copy of the top-level object cost more than half as much as
// serializing it, measured on a golden IIS document).

import type { DocumentStream, EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import { STREAM_CONSTANTS, type DataStreamKind } from '../../pipeline/stream-constants.js';

type Obj = { [key: string]: JsonValue };

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
 * What the wire shapes in progress changed, as (object, key, previous value) triples from index 0 to `blankedTop`:
 * a stack (a nested shape restores only its own), never shrunk, so that a document costs no allocation. ABSENT as a
 * previous value: the key was not there (it is deleted again; only `event` itself, when it is not an object).
 */
const blanked: unknown[] = [];
let blankedTop = 0;
const ABSENT: unique symbol = Symbol('absent');

function change(o: Record<string, unknown>, key: string, value: unknown, previous: unknown): void {
  blanked[blankedTop++] = o;
  blanked[blankedTop++] = key;
  blanked[blankedTop++] = previous;
  o[key] = value;
}

/**
 * Puts `doc` in its wire shape: `event.ingested = ingested` (the last key of `event`) and, for a data stream,
 * without the stream's constant fields (`sendConstants: false`). Returns the mark to give `leaveWireShape`, which
 * must be called (in a `finally`) before `doc` is used otherwise: other outputs share it. Two calls instead of a
 * callback: the Elasticsearch output runs this for every document, and a closure per document was garbage.
 */
export function enterWireShape(
  doc: EcsDocument,
  stream: DocumentStream,
  ingested: string,
  sendConstants: boolean,
): number {
  const base = blankedTop;
  const event = doc['event'];
  if (!isObj(event)) {
    const d = doc as Record<string, unknown>;
    change(d, 'event', { ingested }, event === undefined && !('event' in doc) ? ABSENT : event);
    return base;
  }
  const plan = stream === 'alerts' || sendConstants ? undefined : PLANS.get(stream);
  if (plan !== undefined) {
    for (let p = 0; p < plan.length; p++) {
      const { top, keys, values } = plan[p]!;
      const o = doc[top];
      if (!isObj(o)) continue;
      let n = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = o[k];
        if (v === undefined || !isConstant(v, values[i]!)) continue;
        change(o, k, undefined, v);
        n++;
      }
      // `event` stays: it receives `event.ingested`.
      if (n === keys.length && top !== 'event' && !hasDefined(o)) change(doc, top, undefined, o);
    }
  }
  // Put back as `undefined` when it was not there, not deleted: the key stays, last in `event`, where the next
  // wire shape of the document (an alert pushed again) sets it again. JSON leaves an undefined value out, so every
  // output's bytes are the same; deleting it cost about 0.7 µs per document (a third of the shape's whole cost).
  change(event, 'ingested', ingested, event['ingested']);
  return base;
}

/** Puts back what `enterWireShape` changed since `mark` (the newest first). */
export function leaveWireShape(mark: number): void {
  for (let i = blankedTop - 3; i >= mark; i -= 3) {
    const o = blanked[i] as Record<string, unknown>;
    const key = blanked[i + 1] as string;
    const previous = blanked[i + 2];
    if (previous === ABSENT) delete o[key];
    else o[key] = previous;
    // No reference kept to a document once it is restored.
    blanked[i] = blanked[i + 2] = undefined;
  }
  blankedTop = mark;
}
