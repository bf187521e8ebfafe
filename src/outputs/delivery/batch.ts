// What the delivery layer moves around: an entry (one document's bulk lines, as a slice of a batch buffer, with
// its settlement callback) and a batch (entries sent in one request), and how a request body is made of them.
//
// The request's index (issue 16): an entry whose action line leaves `_index` out (`implicitIndex`) relies on the
// request URL naming its target, `POST /<target>/_bulk` (Elasticsearch's default index: an action line without
// `_index` takes the URL's, one with `_index` keeps its own; BulkRequestParser). The batch builder leaves it out
// for the documents of a batch that go where the batch's first document goes, so every entry with an implicit
// index in a request has the same target; a request is made only of entries of one sealed batch (retries and
// splits are parts of one), or of spooled entries, which always name their index (a spool segment is read back by
// its action lines: `explicitBody`).

import { CasguardError } from '../../pipeline/errors.js';
import type { NdjsonBuffer } from './ndjson-buffer.js';
import type { SpoolSegment } from './spool.js';
import type { OnSettled } from '../../pipeline/settle.js';

/** A spool segment being re-sent: it is deleted once `complete` (read to its end) and `outstanding` is zero. */
export interface LoadedSegment {
  readonly segment: SpoolSegment;
  outstanding: number;
  complete: boolean;
}

/**
 * One document in a batch. It lives until the document is settled (a request or more), so it holds only what
 * retries, splits, the spool and dead letters need: its `_id` is read back from its action line (`entryId`) by the
 * rare dead letter, not kept as a string per document (issue 16: what outlives a scavenge is what the GC copies).
 */
export interface Entry {
  readonly op: 'create' | 'index';
  readonly target: string;
  /** The action line leaves `_index` out: it must be sent in a request to `POST /<target>/_bulk`. */
  readonly implicitIndex: boolean;
  /** `action\nsource\n` as UTF-8 is `nd.buf[start, end)`. */
  readonly nd: NdjsonBuffer;
  readonly start: number;
  readonly end: number;
  attempts: number;
  onSettled: OnSettled | undefined;
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

/** The document id of an entry, from its action line (undefined if the line cannot be read). */
export function entryId(e: Entry): string | undefined {
  const buf = e.nd.buf;
  const nl = buf.indexOf(0x0a, e.start);
  if (nl < 0 || nl >= e.end) return undefined;
  try {
    const action = JSON.parse(buf.toString('utf8', e.start, nl)) as Record<string, { _id?: unknown }>;
    const id = action[e.op]?._id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Size of a batch's request body. */
export function batchBytes(b: Batch): number {
  if (b.body) return b.body.length;
  let n = 0;
  for (const e of b.entries) n += e.end - e.start;
  return n;
}

/**
 * The index a batch's request must name in its URL (`POST /<index>/_bulk`): the target of its entries whose action
 * line leaves `_index` out; undefined when every action line names its index. Throws if those entries disagree
 * (a request can name one index only: a bug in how the batch was made, which must not send documents astray).
 */
export function requestIndex(entries: readonly Entry[]): string | undefined {
  let index: string | undefined;
  for (const e of entries) {
    if (!e.implicitIndex) continue;
    if (index === undefined) index = e.target;
    else if (e.target !== index)
      throw new CasguardError(
        'INTERNAL',
        `one bulk request holds documents for ${index} and ${e.target} without _index in their action lines`,
      );
  }
  return index;
}

/** `{"<op>":{` of an action line: where `"_index":...,` goes. */
const OP_PREFIX_BYTES = { create: '{"create":{'.length, index: '{"index":{'.length } as const;

/**
 * The entries' bytes with every action line naming its index (`_index` inserted where it was left out): the form
 * the spool stores, whose segments are read back by their action lines.
 */
export function explicitBody(entries: readonly Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const bytes = e.nd.buf.subarray(e.start, e.end);
    if (!e.implicitIndex) {
      parts.push(bytes);
      continue;
    }
    const at = OP_PREFIX_BYTES[e.op];
    parts.push(
      bytes.subarray(0, at),
      Buffer.from(`"_index":${JSON.stringify(e.target)},`),
      bytes.subarray(at),
    );
  }
  return Buffer.concat(parts);
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
