// A record is one framed unit of a source file (a line, a mailbox-log entry, an <Event> element, a CSV row, an
// EVTX record) together with where it came from. The position travels with the record all the way to the
// output so that a checkpoint can only move once everything derived from it is delivered (STYLE.md rule 3).

/** How a format wants its bytes cut into records. The input picks the framer by this name. */
export type FramingKind =
  'lines' | 'mailbox-log' | 'xml-events' | 'csv-rows' | 'json' | 'evtx' | 'whole-file';

export interface RecordSource {
  /** The configured input id (stable; part of every document id). */
  readonly inputId: string;
  /** Absolute path of the file when the record was read (`log.file.path`). */
  readonly path: string;
  /** Content fingerprint of the file (its identity, independent of path and inode). */
  readonly fingerprint: string;
}

export interface SourceRecord {
  readonly source: RecordSource;
  /** Byte offset in the file where the record starts (`log.offset`). */
  readonly offset: number;
  /** Byte offset just after the record: where reading resumes once this record is done. */
  readonly endOffset: number;
  /** The decoded record text (for binary framings such as EVTX, a rendering is attached instead). */
  readonly text: string;
  /** 1-based line number of the first line of the record, when the framing knows it. */
  readonly line?: number;
  /** For binary framings: a structured payload (e.g. a decoded EVTX event) instead of text. */
  readonly payload?: unknown;
  /** For EVTX and other record-id sources: the record's own id, used for ids and checkpoints. */
  readonly recordId?: string;
}
