// The contracts between stages. Every stage except inputs and outputs is a pure function of its input plus
// injected tables and clock (ARCHITECTURE.md), so the hot path can be tested with golden files.

import type { EcsDocument, ShippableDocument } from './document.types.js';
import type { DeadLetter } from './dead-letter.types.js';
import type { FramingKind, RecordSource, SourceRecord } from './record.types.js';
import type { OnSettled } from './settle.js';

/** A record that could not be turned into an event. Never thrown: returned as a value. */
export interface ParseFailure {
  readonly kind: 'failure';
  /** Stable code, `<format>.<reason>` (e.g. `iis.column_count`). */
  readonly code: string;
  /** Human sentence; the pipeline adds file and offset when it dead-letters. */
  readonly reason: string;
}

export type ParseResult<E> =
  | { readonly kind: 'event'; readonly event: E }
  /** Header, directive or comment lines: consumed (and acknowledged) but yield no document. */
  | { readonly kind: 'skip' }
  | ParseFailure;

/** Per-file context handed to parsers and normalizers. */
export interface FileContext {
  readonly source: RecordSource;
  /** IANA zone or 'UTC' assumed for logs whose times carry no offset (mailbox log). */
  readonly timezone: string;
  /** Short host name of the agent machine (observer), used when a log does not name its server. */
  readonly observerHostname: string;
  /** Store every `&Log=` token under microsoft.exchange.activesync.log_tokens (input option `easLogTokens`). */
  readonly easLogTokens?: boolean;
  /**
   * Store the record's text as `event.original` (input option `preserveOriginalEvent`, default off, as Elastic's
   * integrations do with `preserve_original_event`). Every field is parsed out of it either way; dead letters
   * always keep the raw record.
   */
  readonly preserveOriginalEvent?: boolean;
  /**
   * Part of every document id when set: the agent's id (issue 14). The CAS hosts of an array write IIS logs
   * whose first bytes (the header) are identical, so two hosts' files can share a fingerprint, and a record at
   * the same offset the same id: the second `create` would be answered 409 and taken for delivered.
   */
  readonly idScope?: string;
}

/** A stateful per-file parser (e.g. IIS keeps the latest `#Fields`). State is snapshotted with checkpoints. */
export interface RecordParser<E> {
  parse(record: SourceRecord): ParseResult<E>;
  /** JSON-serialisable state needed to resume mid-file (e.g. the current `#Fields`). */
  snapshot(): unknown;
  restore(state: unknown): void;
}

/** One log format: how to recognise it, frame it, parse it and map it to ECS. */
export interface FormatDefinition<E = unknown> {
  /** Name used in config (`format: iis`). */
  readonly name: string;
  readonly description: string;
  readonly framing: FramingKind;
  /**
   * Recognise the format from a file's first bytes (already decoded to text, BOM removed) and its name.
   * Returns a confidence: 0 = not this format; higher wins.
   */
  detect(head: string, fileName: string): number;
  createParser(ctx: FileContext): RecordParser<E>;
  /** Map a typed source event to zero or more ECS documents (pure). */
  normalize(event: E, record: SourceRecord, ctx: FileContext): EcsDocument[];
  /**
   * What FileProcessor scans to decide whether a document needs redacting: the record (default), or the
   * document's own `event.original` when the normalizer guarantees that every string of the document is a
   * substring or a decoding of it (IIS, which masks credential columns before reading any field).
   */
  readonly redactionScope?: 'record' | 'original';
  /**
   * With `redactionScope: 'original'` and `event.original` not stored: the text the normalizer reads every field
   * from (the record with credential columns masked), which FileProcessor's trigger scan looks at instead.
   */
  redactionText?(event: E, record: SourceRecord): string;
}

/** Adds knowledge from lookup tables to a finished ECS document, in place (pure apart from the mutation). */
export type Enricher = (doc: EcsDocument) => void;

/** Streaming detection: sees every document in order, returns alert documents to ship (new or updated). */
export interface Detector {
  /**
   * `unmatched`: the caller has checked that no rule's condition holds for the document (a parallel replay's
   * worker did, on the whole document); `doc` may then hold only `@timestamp` and the host facts.
   */
  evaluate(doc: EcsDocument, id: string, unmatched?: boolean): ShippableDocument[];
  /** Windows that closed because time moved on (event time), e.g. at end of a replay. */
  flush(): ShippableDocument[];
  snapshot(): unknown;
  restore(state: unknown): void;
}

/**
 * Where documents go. `push` hands a document over with a callback (`OnSettled`: a function or a
 * `Settleable`, called through `settle()`) that fires exactly once, when the document
 * has been delivered, durably spooled or dead-lettered. It returns false when the caller should wait for
 * `drain()` before pushing more (backpressure bounded in bytes).
 */
export interface DocumentSink {
  // A property, not a method: TypeScript then refuses an implementation whose callback parameter is narrower (a
  // plain `() => void` it would call as a function), which it lets pass for a method (parameter bivariance).
  push: (doc: ShippableDocument, onSettled: OnSettled) => boolean;
  /** Resolves when there is room for more documents again. */
  drain(): Promise<void>;
  /** Sends everything buffered and resolves when every pushed document is settled. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What the input needs to know about one file once its format is chosen. `FileProcessor` implements it. */
export interface FileHandler {
  readonly formatName: string;
  readonly framing: FramingKind;
  process(record: SourceRecord): { documents: ShippableDocument[]; deadLetter?: DeadLetter };
  /** Parser state to store with the checkpoint (e.g. IIS `#Fields`). */
  snapshot(): unknown;
  restore(state: unknown): void;
}

/**
 * Chooses and builds the handler for a file from its identity and first bytes (decoded, BOM removed).
 * Returns undefined when no format recognises the file (the input reports it once and skips the file).
 */
export type FileHandlerFactory = (source: RecordSource, head: string) => FileHandler | undefined;

/** Where records and documents that can never be delivered go, with their reason. */
export interface DeadLetterSink {
  write(letter: DeadLetter): void;
  /** Resolves when everything written so far is durable on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
