// What the delivery layer moves around: an entry (one document's bulk lines, as a slice of a batch buffer, with
// its settlement callback) and a batch (entries sent in one request), and how a request body is made of them.

import type { NdjsonBuffer } from './ndjson-buffer.js';
import type { SpoolSegment } from './spool.js';

/** A spool segment being re-sent: it is deleted once `complete` (read to its end) and `outstanding` is zero. */
export interface LoadedSegment {
  readonly segment: SpoolSegment;
  outstanding: number;
  complete: boolean;
}

export interface Entry {
  readonly id: string;
  readonly op: 'create' | 'index';
  readonly target: string;
  /** `action\nsource\n` as UTF-8 is `nd.buf[start, end)`. */
  readonly nd: NdjsonBuffer;
  readonly start: number;
  readonly end: number;
  attempts: number;
  onSettled: (() => void) | undefined;
  /** Set when the entry came from the spool (it is acknowledged already). */
  readonly seg?: LoadedSegment;
}

export interface Batch {
  entries: Entry[];
  attempts: number;
  notBefore: number;
  /** The request body when it is exactly the entries' bytes in order (a freshly sealed batch). */
  body?: Buffer | undefined;
  /** The transport's wire form of `body`, started when the batch was sealed (see BulkTransport.encode). */
  encoded?: Promise<Buffer> | undefined;
  /** Failures in a row of this batch whose connection was lost mid-request (see DeliverySink.onRequestFailed). */
  lost?: number;
  /** The sink's answered-request count at the first of those failures. */
  answersAtLoss?: number;
}

export function entryBytes(e: Entry): number {
  return e.end - e.start;
}

export function entryText(e: Entry): string {
  return e.nd.buf.toString('utf8', e.start, e.end);
}

/** Size of a batch's request body. */
export function batchBytes(b: Batch): number {
  if (b.body) return b.body.length;
  let n = 0;
  for (const e of b.entries) n += e.end - e.start;
  return n;
}

/** The NDJSON body of a batch: its sealed buffer, or the entries' bytes gathered (retries, splits, spool). */
export function batchBody(b: Batch): Buffer {
  if (b.body) return b.body;
  const parts: Buffer[] = [];
  let total = 0;
  let run: { nd: NdjsonBuffer; start: number; end: number } | undefined;
  for (const e of b.entries) {
    // Adjacent entries of the same buffer are copied as one run.
    if (run && run.nd === e.nd && run.end === e.start) {
      run.end = e.end;
      continue;
    }
    if (run) parts.push(run.nd.buf.subarray(run.start, run.end));
    run = { nd: e.nd, start: e.start, end: e.end };
  }
  if (run) parts.push(run.nd.buf.subarray(run.start, run.end));
  for (const p of parts) total += p.length;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
