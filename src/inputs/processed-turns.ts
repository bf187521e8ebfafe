// Parallel replay, the input's side: the records of one file turn come back already processed (by a worker
// thread, cli/parallel-replay/) and are handed on here exactly as the record dispatcher hands on the records it
// processes itself: each record is registered with the file's acknowledgement tracker in read order, its
// documents are pushed with an acknowledgement bound to it, its dead letter is written, the counters move.
// The input keeps what it owns (identities, offsets, the acknowledgement order, checkpoints); only the pure
// middle of the pipeline moved.

import type { FramerWarning, TextEncoding } from '../framing/framer.types.js';
import type { DeadLetter } from '../pipeline/dead-letter.types.js';
import type { ShippableDocument } from '../pipeline/document.types.js';
import type { FramingKind, RecordSource } from '../pipeline/record.types.js';
import { fileReadError, framerWarning, inputMetrics } from '../telemetry/input-events.js';
import type { RecordDispatcher } from './record-dispatcher.js';
import type { InputContext, Tail } from './tail.types.js';

/** What a worker needs to read one file as the tail reader would. */
export interface ReplayFileJob {
  readonly path: string;
  readonly source: RecordSource;
  readonly kind: FramingKind;
  readonly encoding: TextEncoding;
  readonly format: string;
  readonly startOffset: number;
  /** Parser state at `startOffset` (snapshot), when resuming. */
  readonly state?: unknown;
}

/** One record, processed: its documents (events, each followed by the alerts it raised) or its dead letter. */
export interface ProcessedRecord {
  readonly endOffset: number;
  readonly documents: readonly ShippableDocument[];
  readonly deadLetter?: DeadLetter;
}

/** The records of one turn of one file (what the tail reader reads per turn: up to TURN_BUDGET_BYTES). */
export interface ProcessedTurn {
  /** In read order; iterated once (a worker's turn makes each record as it is asked for). */
  readonly records: Iterable<ProcessedRecord>;
  readonly bytesRead: number;
  /** The file is done (its last record, if any, is in this turn). */
  readonly last: boolean;
  readonly warnings: readonly FramerWarning[];
  /** The file could not be read further. */
  readonly error?: string;
}

/**
 * Processes the files of a replay elsewhere; `next(i)` gives the turns of the i-th file added, in order. Files
 * are added as the replay admits them (a bounded number at a time), so each is opened when it is added.
 */
export interface ProcessedTurnSource {
  /** A replay of up to `files` files begins. */
  start(files: number): void;
  /** A file to process; returns its number for `next`. */
  add(job: ReplayFileJob): number;
  next(file: number): Promise<ProcessedTurn>;
  close(): Promise<void>;
}

export function replayJob(t: Tail): ReplayFileJob {
  return {
    path: t.path,
    source: t.source,
    kind: t.kind,
    encoding: t.encoding,
    format: t.handler!.formatName,
    startOffset: t.pos,
    ...(t.lastState !== undefined ? { state: t.lastState } : {}),
  };
}

/** Hand on one processed turn of file `t`. */
export function dispatchTurn(
  ctx: InputContext,
  dispatcher: RecordDispatcher,
  t: Tail,
  turn: ProcessedTurn,
  warned: { n: number },
): void {
  const id = ctx.id;
  let errors = 0;
  for (const w of turn.warnings) {
    warned.n += 1;
    framerWarning(ctx.log, { inputId: id, path: t.path, ...w }, warned.n <= 10);
  }
  // Only a replay's files are processed elsewhere: it gives up on the file (replay-run.ts).
  if (turn.error !== undefined)
    fileReadError(ctx.log, { inputId: id, path: t.path, error: turn.error }, false);
  let records = 0;
  for (const rec of turn.records) {
    records += 1;
    t.records += 1;
    const pending = t.tracker.begin(rec.endOffset);
    if (rec.deadLetter) {
      errors += 1;
      t.deadLetters += 1;
      dispatcher.deadLettersWritten += 1;
      ctx.deps.deadLetters.write(rec.deadLetter);
    }
    for (const doc of rec.documents) {
      t.documents += 1;
      if (!ctx.deps.sink.push(doc, t.tracker.addDocument(pending))) ctx.blocked = true;
    }
    t.tracker.seal(pending);
  }
  if (records > 0) inputMetrics.records().inc({ input: id, file: t.path }, records);
  if (errors > 0) inputMetrics.errors().inc({ input: id, file: t.path }, errors);
  if (turn.bytesRead > 0) {
    t.pos += turn.bytesRead;
    ctx.bytesRead += turn.bytesRead;
    inputMetrics.bytesRead().inc({ input: id, file: t.path }, turn.bytesRead);
  }
}
