// The open batch: documents are serialized once into their bulk lines (action + source), written as UTF-8
// straight into the batch's growable buffer (an `NdjsonBuffer`), which becomes the request body as is: no
// per-document string is kept, no join, no second encoding by the HTTP client, and the JSON text dies young
// (cheap for the GC). An entry keeps only (buffer, start, end) for retries, splits, the spool and dead letters.
// A batch is sealed at `maxBatchDocs`, `maxBatchBytes` or `flushIntervalMs` after its first document (a batch
// age, not an idle timer: dependencies.md 3.4); the sink decides what happens to a sealed batch.
// A batch's first document decides its request's index (`POST /<index>/_bulk`, see batch.ts): the action lines of
// documents going there leave `_index` out (`{"create":{"_id":"..."}}`, 45 bytes less per document of the
// activesync stream), the others name theirs. A batch of one stream (a replay, an IIS-only host) names no index
// in its body at all.

import { CasguardError } from '../../pipeline/errors.js';
import type {
  EcsDocument,
  SerializedDocument,
  SerializedSource,
  ShippableDocument,
} from '../../pipeline/document.types.js';
import type { Entry } from './batch.js';
import { BufferPool, MIN_BATCH_BUFFER, NdjsonBuffer } from './ndjson-buffer.js';
import type { OnSettled } from '../../pipeline/settle.js';

export interface BatchBuilderOptions {
  readonly maxBatchDocs: number;
  /** Initial byte limit; `setMaxBytes` changes it (a cluster that refused a request as too large). */
  readonly maxBatchBytes: number;
  readonly flushIntervalMs: number;
  /** Buffers kept for reuse. */
  readonly poolSize: number;
  readonly prepare?: ((doc: ShippableDocument) => EcsDocument) | undefined;
  /** `event.ingested` inserted into pre-serialized documents (ShippableDocument.serialized). */
  readonly ingestedAt?: (() => string) | undefined;
  /** Which bytes of a pre-serialized document are sent (SerializedDocument); default `full`. */
  readonly serializedShape?: keyof SerializedDocument | undefined;
  /** Called when the open batch reaches its age (`flushIntervalMs` after its first document). */
  readonly onAge: () => void;
}

/**
 * A document's source line (without its newline; the action line is written by `append`, which knows the batch's
 * index); `pre`: its pre-serialized source, into which `source` is inserted.
 */
export interface BulkLines {
  readonly source: string;
  readonly pre?: SerializedSource;
}

export class BatchBuilder {
  private entries: Entry[] = [];
  private nd: NdjsonBuffer | undefined;
  private lastBatchBytes = 0;
  private bytes = 0;
  private readonly pool: BufferPool;
  /** `{"<op>":{"_index":"<target>","_id":` per op and target (documents not going to the batch's index). */
  private readonly actionPrefix = new Map<string, string>();
  /** Where the open batch's first document goes: its request's index. */
  private batchTarget: string | undefined;
  private ageTimer: NodeJS.Timeout | undefined;
  private maxBytes: number;

  constructor(private readonly o: BatchBuilderOptions) {
    this.pool = new BufferPool(o.poolSize);
    this.maxBytes = o.maxBatchBytes;
  }

  /** The byte limit of new batches. */
  get maxBatchBytes(): number {
    return this.maxBytes;
  }

  /** The byte limit of batches sealed from now on. */
  setMaxBytes(bytes: number): void {
    this.maxBytes = bytes;
  }

  get length(): number {
    return this.entries.length;
  }

  /** True when `nd` is the buffer still being filled (its memory must not go back to the pool yet). */
  isOpenBuffer(nd: NdjsonBuffer): boolean {
    return nd === this.nd;
  }

  /**
   * The source line of a document. A pre-serialized document (parallel replay) keeps its bytes: `source` is then
   * only the `event.ingested` text inserted into them.
   */
  serialize(doc: ShippableDocument): BulkLines {
    const serialized = doc.serialized;
    if (serialized) {
      const shape = this.o.serializedShape ?? 'full';
      const pre = serialized[shape];
      // The replay's workers make the shapes its outputs use (agent.ts workerSource): never missing.
      if (pre === undefined)
        throw new CasguardError('INTERNAL', `a pre-serialized document without its ${shape} bytes`);
      const at = this.o.ingestedAt;
      // As enterWireShape does for an object document: the last key of `event`.
      const source = at ? `${pre.eventEmpty ? '' : ','}"ingested":${JSON.stringify(at())}` : '';
      return { source, pre };
    }
    return { source: JSON.stringify(this.o.prepare ? this.o.prepare(doc) : doc.doc) };
  }

  /** The action line (with its newline), `_index` left out when the document goes to the batch's index. */
  private action(op: ShippableDocument['op'], target: string, id: string): string {
    if (target === this.batchTarget)
      return op === 'create'
        ? `{"create":{"_id":${JSON.stringify(id)}}}\n`
        : `{"index":{"_id":${JSON.stringify(id)}}}\n`;
    const key = op === 'create' ? target : `index\0${target}`;
    let prefix = this.actionPrefix.get(key);
    if (prefix === undefined) {
      prefix = `{"${op}":{"_index":${JSON.stringify(target)},"_id":`;
      this.actionPrefix.set(key, prefix);
    }
    return `${prefix}${JSON.stringify(id)}}}\n`;
  }

  /** False when the open batch holds documents and these lines would take it past `maxBatchBytes`. */
  fits(doc: ShippableDocument, target: string, lines: BulkLines): boolean {
    const maxBytes = this.maxBytes;
    const pre = lines.pre;
    const preBytes = pre ? pre.end - pre.start : 0;
    // At least the longest action line this document can get (`{"create":{"_index":..,"_id":..}}\n`, 34 bytes and
    // the two strings; 3 bytes per UTF-16 unit is UTF-8's most): written later, by `append`.
    const action = 34 + (target.length + doc.id.length) * 3;
    const source = lines.source;
    // The exact UTF-8 size is computed only when the batch may be full (the length is a lower bound, 3x an upper).
    return !(
      this.entries.length > 0 &&
      this.bytes + preBytes + action + source.length * 3 + 1 > maxBytes &&
      this.bytes + preBytes + action + Buffer.byteLength(source) + 1 > maxBytes
    );
  }

  append(doc: ShippableDocument, target: string, lines: BulkLines, onSettled: OnSettled): Entry {
    let nd = this.nd;
    if (nd === undefined) {
      const maxBytes = this.maxBytes;
      const guess = Math.max(MIN_BATCH_BUFFER, this.lastBatchBytes + (this.lastBatchBytes >> 3));
      // Full batches all ask for the same size (the limit plus one step of slack, in 64 KiB steps), so pooled
      // buffers fit them; rounding to whole MiB instead cost up to 1 MiB of RSS per buffer.
      const full = Math.ceil((maxBytes + MIN_BATCH_BUFFER) / MIN_BATCH_BUFFER) * MIN_BATCH_BUFFER;
      nd = new NdjsonBuffer(Math.min(guess, full), maxBytes, this.pool);
      this.nd = nd;
    }
    if (this.entries.length === 0) this.batchTarget = target;
    const implicitIndex = target === this.batchTarget;
    const start = nd.len;
    nd.write(this.action(doc.op, target, doc.id));
    const pre = lines.pre;
    if (pre) {
      const event = pre.start + pre.eventEnd;
      nd.writeBytes(pre.bytes, pre.start, event);
      nd.write(lines.source);
      nd.writeBytes(pre.bytes, event, pre.end);
    } else nd.write(lines.source);
    nd.newline();
    const end = nd.len;
    nd.pending += 1;
    const entry: Entry = {
      op: doc.op,
      target,
      implicitIndex,
      nd,
      start,
      end,
      attempts: 0,
      onSettled,
    };
    this.entries.push(entry);
    this.bytes += end - start;
    return entry;
  }

  /** The open batch reached `maxBatchDocs` or `maxBatchBytes`. */
  get full(): boolean {
    return this.entries.length >= this.o.maxBatchDocs || this.bytes >= this.maxBytes;
  }

  /** Start the age timer unless it runs already. */
  armAge(): void {
    if (this.ageTimer !== undefined) return;
    this.ageTimer = setTimeout(() => {
      this.ageTimer = undefined;
      this.o.onAge();
    }, this.o.flushIntervalMs);
  }

  clearAge(): void {
    if (this.ageTimer !== undefined) {
      clearTimeout(this.ageTimer);
      this.ageTimer = undefined;
    }
  }

  /**
   * Close the open batch: its entries and its bytes as one view of its buffer (the next document starts a new
   * buffer). Undefined when the batch is empty.
   */
  take(): { entries: Entry[]; body: Buffer | undefined } | undefined {
    this.clearAge();
    if (this.entries.length === 0) return undefined;
    const entries = this.entries;
    this.entries = [];
    this.bytes = 0;
    this.batchTarget = undefined;
    const nd = this.nd;
    this.nd = undefined;
    if (!nd) return { entries, body: undefined };
    this.lastBatchBytes = nd.len;
    return { entries, body: nd.buf.subarray(0, nd.len) };
  }
}
