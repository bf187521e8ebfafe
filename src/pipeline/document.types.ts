// Documents are plain nested objects in the shape Elasticsearch stores (ECS dotted names expanded into
// objects). Every document carries its deterministic `_id` next to it, never inside it.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export interface EcsDocument {
  '@timestamp': string;
  [field: string]: JsonValue | undefined;
}

/** The logical destination; outputs turn it into a data stream or index name. */
export type DocumentStream = 'activesync' | 'application' | 'alerts';

export interface ShippableDocument {
  /** Deterministic id: the same record always yields the same id, so a replay never duplicates. */
  readonly id: string;
  readonly stream: DocumentStream;
  /**
   * `create` for events (data streams are append-only; a 409 means "already there", i.e. delivered);
   * `index` for alerts, whose later versions replace earlier ones under the same id.
   */
  readonly op: 'create' | 'index';
  readonly doc: EcsDocument;
  /**
   * On alert documents in array mode only (the detector's `shareFraction`): what the array-wide merge needs
   * beyond the document (outputs/array/). Never serialised into the document itself.
   */
  readonly share?: AlertShareFacts;
  /**
   * The document already serialized by a replay worker (cli/parallel-replay/): then `doc` holds only what the
   * agent reads on the main thread (detection's fields, `@timestamp`, `log.file.path`) and the outputs write
   * these bytes instead of serializing `doc`. Events only.
   */
  readonly serialized?: SerializedDocument;
}

/**
 * A worker-serialized document in the shapes the replay's outputs write (the worker makes only those its
 * configuration needs): `full`, the whole document (the file output; the Elasticsearch output with
 * `sendStreamConstants`), and `wire`, as the Elasticsearch output sends it by default: without the stream's
 * constant fields (outputs/elasticsearch/prepare-document.ts enterWireShape, which the worker runs itself).
 */
export interface SerializedDocument {
  readonly full?: SerializedSource;
  readonly wire?: SerializedSource;
}

/**
 * A document as UTF-8 JSON, exactly as `JSON.stringify` writes it with the configured namespace applied and
 * without `event.ingested`: `bytes[start, end)` (a range of the buffer a worker's turn came in, not a view of its
 * own: a view per shape and per copy cost about 0.1 µs a document on the parallel path's main thread).
 * `eventEnd` is the offset from `start` of the closing brace of its `event` object, where the Elasticsearch output
 * inserts `event.ingested` (as the last key, as it does for an object document).
 */
export interface SerializedSource {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  readonly eventEnd: number;
  /** The `event` object has no key (the insertion needs no comma). */
  readonly eventEmpty: boolean;
}

/**
 * One agent's contribution to an alert, beside the alert document it emitted: whether this agent alone reached
 * the rule's threshold, and the windowed counts from which the array-wide threshold is evaluated.
 */
export interface AlertShareFacts {
  /** The rule's condition was met on this agent alone (false: a threshold key above the share fraction only). */
  readonly raised: boolean;
  /** Documents the rule needs in its window (1 for match rules). */
  readonly need: number;
  readonly windowMs: number;
  /** Width of one count bucket (the engine's window/60, at least 1 s). */
  readonly bucketMs: number;
  /** (bucket index, count) pairs of the key's window counts in the alert's period, flat. */
  readonly buckets: readonly number[];
  /** Event times (ms) of the evidence ids, in the same order. */
  readonly evidenceTimes: readonly number[];
}
