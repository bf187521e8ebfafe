// A framed record on its way to documents, shared by the input's record dispatcher and the replay workers
// (src/cli/parallel-replay/): the dead letter of a framing failure, and the handler's result for a record, with
// a handler that throws turned into a parse dead letter. Both paths must build the same letters and records,
// or a parallel replay would not be byte-identical to a single-threaded one.

import type { FramedRecord } from '../framing/framer.types.js';
import type { DeadLetter } from './dead-letter.types.js';
import { describeError } from './errors.js';
import type { RecordSource, SourceRecord } from './record.types.js';
import { redactText } from './redact.js';
import type { FileHandler } from './stages.types.js';

/** How much of a record's text a dead letter keeps. */
export const DEAD_LETTER_TEXT_LIMIT = 64 * 1024;

/** The dead letter of a record the framer could not frame (`error` is its `rec.error`). */
export function framingDeadLetter(
  rec: FramedRecord,
  error: NonNullable<FramedRecord['error']>,
  source: RecordSource,
): DeadLetter {
  return {
    time: new Date().toISOString(),
    stage: 'framing',
    code: error.code,
    reason: `${source.path}:${rec.line !== undefined ? `${rec.line}:` : ''}offset ${rec.offset}: ${error.reason}`,
    inputId: source.inputId,
    path: source.path,
    offset: rec.offset,
    ...(rec.line !== undefined ? { line: rec.line } : {}),
    record: redactText(rec.text.slice(0, DEAD_LETTER_TEXT_LIMIT)),
  };
}

/** The handler's result for one framed record; a handler that throws gives a parse dead letter instead. */
export function processFramed(
  handler: FileHandler,
  source: RecordSource,
  rec: FramedRecord,
): ReturnType<FileHandler['process']> {
  // Assigned, not spread: no temporary object per optional field on the per-record path.
  const record: { -readonly [K in keyof SourceRecord]: SourceRecord[K] } = {
    source,
    offset: rec.offset,
    endOffset: rec.endOffset,
    text: rec.text,
  };
  if (rec.line !== undefined) record.line = rec.line;
  if (rec.payload !== undefined) record.payload = rec.payload;
  if (rec.recordId !== undefined) record.recordId = rec.recordId;
  try {
    return handler.process(record);
  } catch (err) {
    return {
      documents: [],
      deadLetter: {
        time: new Date().toISOString(),
        stage: 'parse',
        code: `${handler.formatName}.internal_error`,
        reason: `${source.path}:offset ${rec.offset}: ${describeError(err)}`,
        inputId: source.inputId,
        path: source.path,
        offset: rec.offset,
        record: redactText(rec.text.slice(0, DEAD_LETTER_TEXT_LIMIT)),
      },
    };
  }
}
