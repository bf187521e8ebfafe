// Messages between the main thread (offload.ts) and the processing worker (processing-worker.ts). The main
// thread keeps the I/O ends (files, framing, acknowledgements, detection state, outputs); the worker runs the
// pure middle (parse → normalize → enrich → id) and serialises each document, so the outputs copy bytes.

import type { Rule } from '../detect/rule.schema.js';
import type { DeadLetter } from '../pipeline/dead-letter.types.js';
import type { DocumentStream, JsonValue } from '../pipeline/document.types.js';
import type { RecordSource, SourceRecord } from '../pipeline/record.types.js';

/** workerData. */
export interface WorkerInit {
  /** Configured data-stream namespace, written into the serialised documents (withNamespace). */
  readonly namespace: string;
  /** Enabled detection rules, for DetectionFilter; absent when detection is off (no document crosses whole). */
  readonly rules?: readonly Rule[];
  readonly observerHostname: string;
}

export type ToWorker =
  | {
      readonly t: 'open';
      readonly h: number;
      readonly source: RecordSource;
      readonly format: string;
      /** null: the worker's machine zone, looked up only if a parser asks. */
      readonly timezone: string | null;
      readonly easLogTokens: boolean;
    }
  | { readonly t: 'restore'; readonly h: number; readonly state: unknown }
  /** Records as the input made them (their shared `source` object is cloned once per message). */
  | { readonly t: 'batch'; readonly h: number; readonly seq: number; readonly records: SourceRecord[] }
  | { readonly t: 'release'; readonly h: number }
  /** A result's byte buffer handed back once its documents were pushed (the outputs copy them). */
  | { readonly t: 'recycle'; readonly buf: ArrayBuffer };

export const STREAM_CODES: readonly DocumentStream[] = ['activesync', 'application', 'alerts'];

/** One batch's outcome: documents as UTF-8 JSON back to back, with what the main thread needs beside them. */
export interface BatchResult {
  readonly t: 'result';
  readonly seq: number;
  /** Documents per record. */
  readonly counts: Uint32Array;
  /** The JSON of every document back to back; document k is bytes[ends[k-1] ?? 0, ends[k]). */
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
  readonly ids: string[];
  /** Index into STREAM_CODES per document. */
  readonly streams: Uint8Array;
  /** @timestamp as epoch ms per document (NaN when unparsable). */
  readonly times: Float64Array;
  /** Documents DetectionFilter says the engine must see: [document index, DetectionFilter.values()]. */
  readonly whole: [number, (JsonValue | undefined)[]][];
  readonly dead: [number, DeadLetter][];
  /** Parser state changes: [record index, JSON or null for no state]. */
  readonly states: [number, string | null][];
}
