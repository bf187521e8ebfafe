// What crosses between the replay's main thread and its worker threads. Only bytes and small projections cross
// (an earlier worker experiment lost its gain to cloning records and documents, bench/README.md): a worker
// sends each file turn's documents as one transferred buffer of their JSON, a typed array of offsets, and one more
// transferred buffer of each document's id and projection (the fields detection reads); records, documents and
// parser state never cross. Strings are not sent per document: cloning the ids and the projections' JSON as
// strings (serialize, copy, deserialize), and parsing every projection, cost about a tenth of a parallel replay's
// CPU (perf, 2 IIS files of 250,000 lines). A document no rule condition holds for (most of them) is projected to
// `@timestamp` and the MINIMAL_FIELDS, whose values repeat: those go once per turn (TurnMessage.minimal).

import type { FramerWarning } from '../../framing/framer.types.js';
import type { AgentMetadata } from '../../pipeline/agent-metadata.types.js';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DocumentStream, EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { RedactionConfig } from '../../pipeline/redaction/redaction.config.js';
import type { ReplayFileJob } from '../../inputs/index.js';
import type { Rule } from '../../detect/rule.schema.js';
import { getField } from '../../detect/condition.js';

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
 * (start -1: the shape was not made), flags (DOC_FLAGS), then in `meta`: the end of its id (which starts where the
 * previous document's meta ends), the end of its projection, and the projection's entry in `minimal` (-1: the
 * projection is a JSON object; PROJECTED_VALUES: a JSON array of its values; else the meta bytes are its
 * `@timestamp`). With PLAIN, the full slot holds the document's plain JSON.
 */
export const DOC_FIELDS = 10;
/**
 * DOC_MINIMAL of a document whose projection crosses as its values (`projectedValues`): the meta bytes are a JSON
 * array, `@timestamp` then the value of each of the turn's `projected` paths in order, null where absent. Parsing an
 * array of values skips the keys a JSON object's parse internalizes: about 4.6 µs per matched document on the main
 * thread, where the worker used to send the projection as a JSON object (bench/README.md).
 */
export const PROJECTED_VALUES = -2;
export const DOC_FLAGS = 6;
export const DOC_ID_END = 7;
export const DOC_META_END = 8;
export const DOC_MINIMAL = 9;

/**
 * The fields the engine and the main thread read from every document (engine.ts, document-facts.ts, EventTimes),
 * besides `@timestamp`: a document no condition holds for is sent with these alone.
 */
export const MINIMAL_FIELDS: readonly (readonly string[])[] = [
  ['host', 'name'],
  ['microsoft', 'exchange', 'server'],
  ['log', 'file', 'path'],
];

/** MINIMAL_FIELDS' values of some documents (undefined: absent). */
export type MinimalValues = readonly (string | undefined)[];

/** Sets `value` at `path` in `p`, making the objects on the way (a projection's shape, as the document's). */
export function setPath(
  p: Record<string, JsonValue | undefined>,
  path: readonly string[],
  value: JsonValue,
): void {
  let cur = p;
  for (let k = 0; k < path.length - 1; k++) {
    const next = cur[path[k]!];
    if (next !== null && typeof next === 'object' && !Array.isArray(next)) cur = next;
    else cur = cur[path[k]!] = {};
  }
  cur[path[path.length - 1]!] = value;
}

/**
 * The projection of a document no condition holds for, as the worker's `project` makes it: `@timestamp`, then each
 * of MINIMAL_FIELDS present, in that order, in fresh objects.
 */
export function minimalProjection(timestamp: string, values: MinimalValues): EcsDocument {
  const p: EcsDocument = { '@timestamp': timestamp };
  for (let i = 0; i < MINIMAL_FIELDS.length; i++) {
    const v = values[i];
    if (v !== undefined) setPath(p, MINIMAL_FIELDS[i]!, v);
  }
  return p;
}

/** The fields of `doc` at `paths`, in a fresh object of the same shape: `@timestamp`, then each path present, in order. */
export function project(doc: EcsDocument, paths: readonly (readonly string[])[]): EcsDocument {
  const p: EcsDocument = { '@timestamp': doc['@timestamp'] };
  for (const path of paths) {
    const v = getField(doc, path);
    if (v !== undefined) setPath(p, path, v);
  }
  return p;
}

/**
 * `@timestamp` and the values of `doc` at `paths` (null where absent), for PROJECTED_VALUES; undefined when that form
 * could not say it exactly (a non-string `@timestamp`, a value that is null or not a finite number: the caller sends
 * `project(doc, paths)` as JSON instead). Paths may hold one another (`microsoft.exchange.server` and
 * `microsoft.exchange.server.kb2851708.status`): projectionFromValues makes the same setPath calls with the same
 * values as `project`, and a value getField finds has plain objects all the way down, so the result is the same.
 */
export function projectedValues(
  doc: EcsDocument,
  paths: readonly (readonly string[])[],
): (JsonValue | null)[] | undefined {
  const ts = doc['@timestamp'];
  if (typeof ts !== 'string') return undefined;
  const out: (JsonValue | null)[] = [ts];
  for (const path of paths) {
    const v = getField(doc, path);
    if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return undefined;
    out.push(v === undefined ? null : v);
  }
  return out;
}

/** The projection `projectedValues` describes, as `project` makes it (the same keys in the same order). */
export function projectionFromValues(
  values: readonly (JsonValue | null)[],
  paths: readonly (readonly string[])[],
): EcsDocument {
  // values[0] is a string: projectedValues gives up on any other `@timestamp`.
  const p: EcsDocument = { '@timestamp': values[0] as string };
  for (let i = 0; i < paths.length; i++) {
    const v = values[i + 1];
    if (v !== null && v !== undefined) setPath(p, paths[i]!, v);
  }
  return p;
}

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
  /** Per document (DOC_ID_END, DOC_META_END): its id, then its projection (see DOC_MINIMAL), in UTF-8. */
  readonly meta: ArrayBuffer;
  /** MINIMAL_FIELDS' values, shared by the documents whose DOC_MINIMAL points here. */
  readonly minimal: readonly MinimalValues[];
  /** The paths of a PROJECTED_VALUES array, in its order (after `@timestamp`). */
  readonly projected: readonly (readonly string[])[];
  readonly deadLetters: readonly DeadLetter[];
  readonly warnings: readonly FramerWarning[];
  readonly error?: string;
}

export type FromWorker = TurnMessage;
