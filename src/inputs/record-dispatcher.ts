// Records to documents: each framed record goes through the file's handler; its documents are pushed to the
// sink with an acknowledgement bound to the record, framing and parse failures become dead letters, and the
// parser state is remembered at the record it belongs to (so it is committed with that record's offset).
// Nothing here logs per record: only counters move.

import { framingDeadLetter, processFramed } from '../pipeline/framed-record.js';
import type { FramedRecord } from '../framing/framer.types.js';
import type { DeadLetter } from '../pipeline/dead-letter.types.js';
import { inputMetrics } from '../telemetry/input-events.js';
import { pathText } from '../telemetry/path-text.js';
import type { InputContext, Tail } from './tail.types.js';

function shallowEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && ra[k] === rb[k]);
}

export class RecordDispatcher {
  /** Dead letters handed to the dead-letter sink (the committer flushes them before moving an offset). */
  deadLettersWritten = 0;

  constructor(private readonly ctx: InputContext) {}

  handle(t: Tail, records: FramedRecord[]): void {
    if (records.length === 0) return;
    // A framer exists only while the handler does (the reader unparks before it frames).
    const handler = t.handler!;
    const id = this.ctx.id;
    let errors = 0;
    for (const rec of records) {
      t.records += 1;
      const pending = t.tracker.begin(rec.endOffset);
      if (rec.error) {
        errors += 1;
        this.writeDeadLetter(t, framingDeadLetter(rec, rec.error, t.source));
        t.tracker.seal(pending);
        continue;
      }
      const result = processFramed(handler, t.source, rec);
      if (result.deadLetter) {
        errors += 1;
        this.writeDeadLetter(t, result.deadLetter);
      }
      for (const doc of result.documents) {
        t.documents += 1;
        if (!this.ctx.deps.sink.push(doc, t.tracker.addDocument(pending))) this.ctx.blocked = true;
      }
      // Parser state (e.g. IIS #Fields) is stored with the checkpoint it belongs to. A shallow comparison
      // first: parsers hand back the same inner objects until their state really changes, so the JSON
      // serialisation runs only on changes, not per record.
      const state = handler.snapshot();
      if (!shallowEqual(state, t.lastState)) {
        t.lastState = state;
        // Interned: thousands of files of one site hold the same #Fields, and each would keep its own copy.
        const text = JSON.stringify(state) as string | undefined;
        const json = text === undefined ? undefined : this.ctx.states.fromJson(text).json;
        if (json !== t.lastStateJson) {
          t.lastStateJson = json;
          t.stateChanges.push({ end: rec.endOffset, json });
        }
      }
      t.tracker.seal(pending);
    }
    inputMetrics.records().inc({ input: id, file: pathText(t.path) }, records.length);
    if (errors > 0) inputMetrics.errors().inc({ input: id, file: pathText(t.path) }, errors);
  }

  private writeDeadLetter(t: Tail, letter: DeadLetter): void {
    t.deadLetters += 1;
    this.deadLettersWritten += 1;
    this.ctx.deps.deadLetters.write(letter);
  }
}
