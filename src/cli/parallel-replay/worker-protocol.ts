// What crosses between the replay's main thread and its worker threads. Only bytes and small projections cross
// (an earlier worker experiment lost its gain to cloning records and documents, bench/README.md): a worker
// sends each file turn's documents as one transferred buffer of their JSON, a typed array of offsets, the ids as
// one string and the fields detection reads as one JSON string; records, documents and parser state never cross.

import type { FramerWarning } from '../../framing/framer.types.js';
import type { AgentMetadata } from '../../pipeline/agent-metadata.types.js';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DocumentStream } from '../../pipeline/document.types.js';
import type { RedactionConfig } from '../../pipeline/redaction/redaction.config.js';
import type { ReplayFileJob } from '../../inputs/index.js';
import type { Rule } from '../../detect/rule.schema.js';

/** Everything a worker needs to build the same documents as the main thread's file handlers. */
export interface WorkerInit {
  readonly timezone: string;
  readonly observerHostname: string;
  readonly easLogTokens?: boolean;
  readonly preserveOriginalEvent?: boolean;
  readonly idScope?: string;
  readonly agent: AgentMetadata;
  readonly redaction?: Partial<RedactionConfig>;
  /** data_stream.namespace the outputs write (applied by the worker, as withNamespace does). */
  readonly namespace: string;
  readonly maxRecordBytes: number;
  /** Dotted fields detection reads (detect/condition.ts fieldsRead()); the projection keeps these. */
  readonly fields: readonly string[];
  /**
   * The detection rules: a document none of whose conditions holds is sent with only the fields the engine
   * reads from every document (`@timestamp`, the host facts) and evaluated as unmatched.
   */
  readonly rules: readonly Rule[];
  /** Turns a worker may run ahead of the main thread per file. */
  readonly ahead: number;
  /**
   * Turns a worker may have sent and not yet seen consumed, over all of its files: a file the main thread is
   * waiting for ('want') is served beyond it, so that memory stays bounded however many files a worker holds.
   */
  readonly budget: number;
  /**
   * The shapes the replay's outputs write (document.types.ts SerializedDocument): `full` for the file output and
   * an Elasticsearch output that sends the stream constants, `wire` for one that leaves them out (the default).
   * Each shape made costs one serialization per document.
   */
  readonly shapes: { readonly full: boolean; readonly wire: boolean };
}

export type ToWorker =
  | { readonly type: 'files'; readonly jobs: readonly (ReplayFileJob & { readonly index: number })[] }
  /** The main thread consumed a turn of this file (its last turn too). */
  | { readonly type: 'credit'; readonly file: number }
  /** The main thread is waiting for a turn of this file and holds none. */
  | { readonly type: 'want'; readonly file: number };

/**
 * Per document in `docs`: start, end (in `bytes`) and event end of its `full` shape, the same of its `wire` shape
 * (start -1: the shape was not made), flags. With PLAIN, the full slot holds the document's plain JSON.
 */
export const DOC_FIELDS = 7;
/** Per record in `records`: end offset, number of documents, index of its dead letter (-1: none). */
export const RECORD_FIELDS = 3;
/**
 * flags: stream in the low two bits; EVENT_EMPTY (full) and WIRE_EVENT_EMPTY (wire) when that shape's `event` has
 * no key; MATCHED when a condition holds; PLAIN when the document has no `event` object to put event.ingested
 * in (the main thread parses it and the outputs serialize it as any other document).
 */
export const EVENT_EMPTY = 4;
export const MATCHED = 8;
export const WIRE_EVENT_EMPTY = 16;
export const PLAIN = 32;
export const STREAMS: readonly DocumentStream[] = ['activesync', 'application', 'alerts'];

export interface TurnMessage {
  readonly type: 'turn';
  readonly file: number;
  readonly last: boolean;
  readonly bytesRead: number;
  readonly records: Float64Array;
  readonly recordCount: number;
  readonly docs: Int32Array;
  readonly docCount: number;
  readonly bytes: ArrayBuffer;
  /** Document ids, '\n'-separated. */
  readonly ids: string;
  /** JSON array of one projection per document. */
  readonly projections: string;
  readonly deadLetters: readonly DeadLetter[];
  readonly warnings: readonly FramerWarning[];
  readonly error?: string;
}

export type FromWorker = TurnMessage;
