// A dead letter is a record or document that cannot be parsed or indexed, kept with the reason so that
// nothing is lost silently and `casguard replay` can re-send it once the cause is fixed.

import type { ShippableDocument } from './document.types.js';

export interface DeadLetter {
  /** ISO time the dead letter was written. */
  readonly time: string;
  /** Which stage gave up: parse (the record never became a document), framing, or output. */
  readonly stage: 'framing' | 'parse' | 'output';
  readonly reason: string;
  /** Stable machine-readable code (e.g. `iis.column_count`, `es.mapper_parsing_exception`). */
  readonly code: string;
  readonly inputId?: string;
  readonly path?: string;
  readonly offset?: number;
  readonly line?: number;
  /** The raw record (redacted) for parse failures, cut to a bounded length. */
  readonly record?: string;
  /** The document and its target for output failures. */
  readonly document?: ShippableDocument;
  readonly target?: string;
  readonly status?: number;
}
