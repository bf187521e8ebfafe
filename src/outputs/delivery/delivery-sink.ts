// The DocumentSink behind the Elasticsearch output: batching, bounded requests in flight, retries, disk spool
// and dead letters, composed around a BulkTransport (STYLE.md rule 6: the transport classifies, this wraps).
//
// Life of a document: `push` serializes it once into its bulk lines (action + source), written as UTF-8 straight
// into the open batch's growable buffer (an `NdjsonBuffer`), which becomes the request body as is: no per-document
// string is kept, no join, no second encoding by the HTTP client, and the JSON text dies young (cheap for the
// GC). An entry keeps only (buffer, start, end) for retries, splits, the spool and dead letters. A batch buffer
// goes back to a small pool once every document in it is settled (a batch is never sent again after that), so a
// steady flow reuses a few buffers instead of leaving one large garbage buffer per request for the old-space GC
// (measured: about 60 MB less peak RSS).
// The open batch A batch is sealed at `maxBatchDocs`, `maxBatchBytes` or `flushIntervalMs` after its first
// document (a batch age, not an idle timer: dependencies.md 3.4), then sent with at most `maxInFlight`
// requests open. Every item of the answer goes through the one table in `bulk-classify.ts`:
// delivered → settled; retry → a retry batch after backoff (full jitter); dead-letter → the dead-letter file,
// fsync'd, then settled. A request-level failure (no answer, 429/5xx, 413) retries or splits the whole batch,
// and while requests fail ("outage") only one request probes the cluster, gated by backoff and Retry-After.
//
// Invariants:
// - `onSettled` fires exactly once per pushed document: when it is delivered, dead-lettered (durably), or
//   durably spooled. Nothing is dropped except by the documented `spool.whenFull: drop-oldest` setting, and
//   those documents are already acknowledged (counted in `casguard_es_documents_dropped_total`).
// - Memory is bounded by `maxBufferBytes` of serialized documents: `push` returns false at the limit (inputs
//   wait for `drain()`); during an outage (SPILL_AFTER_FAILURES requests failed in a row), once half the budget
//   is used, every queued batch moves to the spool (and so do later batches until the spool is empty again,
//   which keeps the order) and is acknowledged there.
// - Spooled documents are re-sent oldest first when the cluster answers again; their segment is deleted only
//   when every document in it is delivered or dead-lettered.
// - Idempotence: events use `create` with deterministic ids (409 = already stored = delivered), alerts use
//   `index` with deterministic ids (a re-send replaces the same version), so re-sending after a lost answer
//   never stores a document twice.

import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DocumentStream, EcsDocument, ShippableDocument } from '../../pipeline/document.types.js';
import { CasguardError, describeError } from '../../pipeline/errors.js';
import { redactText } from '../../pipeline/redact.js';
import type { DeadLetterSink, DocumentSink } from '../../pipeline/stages.types.js';
import type { Logger } from '../../telemetry/logger.types.js';
import {
  esDocumentsDeadLettered,
  esMetrics,
  esOutageEnded,
  esOutageStarted,
  esOutputInternalError,
  esRequestNeedsOperator,
  esSpoolCorrupt,
  esSpoolDrained,
  esSpoolDroppedOldest,
  esSpoolFull,
  esSpoolRecovered,
  esSpoolStarted,
} from '../../telemetry/elasticsearch-events.js';
import type { EsMetrics } from '../../telemetry/elasticsearch-events.js';
import { classifyItem, classifyRequest } from '../elasticsearch/bulk-classify.js';
import { backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { BulkItemResult, BulkSendResult, BulkTransport } from './bulk-transport.types.js';
import { parseSegment } from './spool.js';
import type { Spool, SpoolSegment } from './spool.js';

export interface DeliverySinkOptions {
  readonly transport: BulkTransport;
  /** Index, alias or data stream name for a stream. */
  readonly targetFor: (stream: DocumentStream) => string;
  readonly deadLetters: DeadLetterSink;
  readonly spool?: Spool;
  /** Last adjustment of a document's body before serialization (e.g. the configured namespace). */
  readonly prepare?: (doc: ShippableDocument) => EcsDocument;
  readonly logger: Logger;
  /** Label for metrics and log lines. */
  readonly name?: string;
  readonly maxBatchDocs: number;
  readonly maxBatchBytes: number;
  readonly flushIntervalMs: number;
  readonly maxInFlight: number;
  readonly maxBufferBytes: number;
  readonly retry: BackoffOptions;
  /** Only for tests: randomness and clock. */
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Settlement counts, for tests, `replay` and the final report of a run. */
export interface DeliveryCounts {
  pushed: number;
  delivered: number;
  duplicates: number;
  deadLettered: number;
  spooled: number;
  /** Documents from the spool (this run's or an earlier one's) delivered or dead-lettered. */
  fromSpoolDelivered: number;
  fromSpoolDeadLettered: number;
  dropped: number;
  retriedItems: number;
  failedRequests: number;
  requests: number;
}

interface LoadedSegment {
  readonly segment: SpoolSegment;
  outstanding: number;
}

const EMPTY = Buffer.alloc(0);

/** A few free batch buffers for reuse (the largest are kept). */
class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  take(min: number): Buffer {
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i]!.length >= min) return this.free.splice(i, 1)[0]!;
    }
    // Sizes in whole 64 KiB steps, so buffers of nearly equal batches fit each other.
    return Buffer.allocUnsafeSlow(Math.ceil(min / 65536) * 65536);
  }

  give(b: Buffer): void {
    if (this.free.length < this.keep) {
      this.free.push(b);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++)
      if (this.free[i]!.length < this.free[smallest]!.length) smallest = i;
    if (this.free[smallest]!.length < b.length) this.free[smallest] = b;
  }
}

/**
 * A growable byte buffer the bulk lines of one batch are written into. Entries point into it by offsets; when
 * it grows, the holder swaps `buf` for a larger copy (same offsets), so entries never hold a stale buffer.
 * `pending` counts the unsettled entries in it; at zero (and sealed) its memory goes back to the pool, and
 * `buf` becomes empty so that a use after release reads nothing instead of another batch's bytes.
 */
class NdjsonBuffer {
  buf: Buffer;
  len = 0;
  pending = 0;

  constructor(
    initial: number,
    private readonly cap: number,
    private readonly pool?: BufferPool,
  ) {
    this.buf = pool ? pool.take(initial) : Buffer.allocUnsafeSlow(initial);
  }

  release(): void {
    const b = this.buf;
    this.buf = EMPTY;
    if (this.pool && b !== EMPTY) this.pool.give(b);
  }

  /** Append `text` as UTF-8. */
  write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; only near the end of the buffer is the exact size asked.
    if (this.buf.length - this.len < text.length * 3) this.reserve(Buffer.byteLength(text));
    this.len += this.buf.write(text, this.len);
  }

  newline(): void {
    if (this.len === this.buf.length) this.reserve(1);
    this.buf[this.len++] = 0x0a;
  }

  private reserve(bytes: number): void {
    const need = this.len + bytes;
    if (need <= this.buf.length) return;
    // Doubling up to the batch limit (plus the document that crosses it): a batch is copied at most a few times.
    const size = Math.max(need, Math.min(this.buf.length * 2, this.cap + bytes));
    const next = this.pool ? this.pool.take(size) : Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.len);
    // Nothing else refers to the old memory: a body is taken from a buffer only when its batch is sealed.
    if (this.pool) this.pool.give(this.buf);
    this.buf = next;
  }
}

/**
 * Smallest first buffer of a batch. The first buffer is sized after the previous batch (plus an eighth), so a
 * steady flow of full batches is written without a growth copy, and a quiet period's batches shrink back.
 */
const MIN_BATCH_BUFFER = 64 * 1024;

interface Entry {
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

interface Batch {
  entries: Entry[];
  attempts: number;
  notBefore: number;
  /** The request body when it is exactly the entries' bytes in order (a freshly sealed batch). */
  body?: Buffer | undefined;
  /** The transport's wire form of `body`, started when the batch was sealed (see BulkTransport.encode). */
  encoded?: Promise<Buffer> | undefined;
}

function entryBytes(e: Entry): number {
  return e.end - e.start;
}

function entryText(e: Entry): string {
  return e.nd.buf.toString('utf8', e.start, e.end);
}

/** The NDJSON body of a batch: its sealed buffer, or the entries' bytes gathered (retries, splits, spool). */
function batchBody(b: Batch): Buffer {
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

const SPILL_FRACTION = 0.5;
const RESUME_FRACTION = 0.75;
/**
 * Failed requests in a row before memory is spilled to the spool. A single 503 or reset among successful requests
 * is a blip the in-memory retry absorbs; spilling on it sent every later batch through the disk until the spool
 * was empty again (in the shared harness's fault run: 118 s instead of a few for 200,000 documents, with pauses
 * of up to 15 s). An unreachable cluster fails every probe, so it reaches this within a few backoff steps.
 */
export const SPILL_AFTER_FAILURES = 3;

export class DeliverySink implements DocumentSink {
  private readonly o: DeliverySinkOptions;
  private readonly name: string;
  private readonly m: EsMetrics;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly streamByTarget = new Map<string, DocumentStream>();

  private current: Entry[] = [];
  private currentNd: NdjsonBuffer | undefined;
  private lastBatchBytes = 0;
  private readonly pool: BufferPool;
  private currentBytes = 0;
  /** `{"<op>":{"_index":"<target>","_id":` per op and target. */
  private readonly actionPrefix = new Map<string, string>();
  private sealTimer: NodeJS.Timeout | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpTimerAt = 0;

  private readonly queue: Batch[] = [];
  private readonly delayed: Batch[] = [];
  private inFlight = 0;
  /** Serialized bytes of documents pushed and not yet settled (memory-origin only). */
  private memBytes = 0;
  private unsettled = 0;

  private outage = false;
  private outageStart = 0;
  private consecutiveFailures = 0;
  private operatorReported = false;
  private gateUntil = 0;
  private spilling = false;
  private spoolFullReported = false;

  private flushWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private closeWaiters: (() => void)[] = [];
  private closed = false;

  readonly counts: DeliveryCounts = {
    pushed: 0,
    delivered: 0,
    duplicates: 0,
    deadLettered: 0,
    spooled: 0,
    fromSpoolDelivered: 0,
    fromSpoolDeadLettered: 0,
    dropped: 0,
    retriedItems: 0,
    failedRequests: 0,
    requests: 0,
  };

  constructor(opts: DeliverySinkOptions) {
    this.o = opts;
    this.name = opts.name ?? 'elasticsearch';
    this.m = esMetrics();
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    // In flight, plus one being filled: enough to reuse in a steady flow.
    this.pool = new BufferPool(Math.min(4, opts.maxInFlight + 1));
    for (const s of ['activesync', 'application', 'alerts'] as const)
      this.streamByTarget.set(opts.targetFor(s), s);
    const sp = opts.spool;
    if (sp?.hasData) {
      esSpoolRecovered(opts.logger, {
        output: this.name,
        segments: sp.segmentCount,
        bytes: sp.bytes,
        dir: sp.dir,
      });
      this.m.spoolBytes.set({ output: this.name }, sp.bytes);
      // Send what an earlier run left behind as soon as the event loop turns.
      setImmediate(() => this.pump());
    }
  }

  push(doc: ShippableDocument, onSettled: () => void): boolean {
    if (this.closed) throw new CasguardError('INTERNAL', 'push() after close() on the Elasticsearch output');
    const target = this.o.targetFor(doc.stream);
    const key = doc.op === 'create' ? target : `index\0${target}`;
    let prefix = this.actionPrefix.get(key);
    if (prefix === undefined) {
      prefix = `{"${doc.op}":{"_index":${JSON.stringify(target)},"_id":`;
      this.actionPrefix.set(key, prefix);
    }
    const action = `${prefix}${JSON.stringify(doc.id)}}}\n`;
    const source = JSON.stringify(this.o.prepare ? this.o.prepare(doc) : doc.doc);
    // The exact UTF-8 size is computed only when the batch may be full (the length is a lower bound, 3x an upper).
    const maxBytes = this.o.maxBatchBytes;
    if (
      this.current.length > 0 &&
      this.currentBytes + (action.length + source.length) * 3 + 1 > maxBytes &&
      this.currentBytes + Buffer.byteLength(action) + Buffer.byteLength(source) + 1 > maxBytes
    )
      this.seal();
    let nd = this.currentNd;
    if (nd === undefined) {
      const guess = Math.max(MIN_BATCH_BUFFER, this.lastBatchBytes + (this.lastBatchBytes >> 3));
      // Full batches all ask for the same size (the limit plus one step of slack, in 64 KiB steps), so pooled
      // buffers fit them; rounding to whole MiB instead cost up to 1 MiB of RSS per buffer.
      const full = Math.ceil((maxBytes + MIN_BATCH_BUFFER) / MIN_BATCH_BUFFER) * MIN_BATCH_BUFFER;
      nd = new NdjsonBuffer(Math.min(guess, full), maxBytes, this.pool);
      this.currentNd = nd;
    }
    const start = nd.len;
    nd.write(action);
    nd.write(source);
    nd.newline();
    const end = nd.len;
    const bytes = end - start;
    nd.pending += 1;
    this.current.push({ id: doc.id, op: doc.op, target, nd, start, end, attempts: 0, onSettled });
    this.currentBytes += bytes;
    this.memBytes += bytes;
    this.unsettled += 1;
    this.counts.pushed += 1;
    // The buffered-bytes gauge is set per batch (seal, settlement), not per document.
    if (this.current.length >= this.o.maxBatchDocs || this.currentBytes >= this.o.maxBatchBytes) this.seal();
    else if (this.sealTimer === undefined) {
      this.sealTimer = setTimeout(() => {
        this.sealTimer = undefined;
        this.seal();
      }, this.o.flushIntervalMs);
    }
    return this.memBytes < this.o.maxBufferBytes;
  }

  drain(): Promise<void> {
    if (this.memBytes < this.o.maxBufferBytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  flush(): Promise<void> {
    this.seal();
    if (this.outage) this.spillAll();
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      this.checkWaiters();
    });
  }

  /** Resolves when nothing is buffered, in flight or spooled: everything delivered or dead-lettered. */
  idle(): Promise<void> {
    this.seal();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkWaiters();
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    clearTimeout(this.sealTimer);
    clearTimeout(this.pumpTimer);
    this.sealTimer = undefined;
    this.pumpTimer = undefined;
    await this.o.deadLetters.flush();
    await this.o.transport.close();
  }

  /** Documents pushed and not yet settled, bytes held in memory, and what the spool holds. */
  get state(): {
    unsettled: number;
    memBytes: number;
    inFlight: number;
    outage: boolean;
    spoolBytes: number;
  } {
    return {
      unsettled: this.unsettled,
      memBytes: this.memBytes,
      inFlight: this.inFlight,
      outage: this.outage,
      spoolBytes: this.o.spool?.bytes ?? 0,
    };
  }

  // ---- batching ----

  private seal(): void {
    if (this.sealTimer !== undefined) {
      clearTimeout(this.sealTimer);
      this.sealTimer = undefined;
    }
    if (this.current.length === 0) return;
    const batch: Batch = { entries: this.current, attempts: 0, notBefore: 0, body: this.takeCurrentBody() };
    this.current = [];
    this.currentBytes = 0;
    this.m.bufferedBytes.set({ output: this.name }, this.memBytes);
    const sp = this.o.spool;
    // While the spool holds data, new batches queue behind it on disk so the order is kept.
    if (sp && (sp.hasData || this.spillNeeded()) && this.spillBatch(batch)) {
      this.checkWaiters();
      return;
    }
    // Encoding (gzip) starts now, while the batch waits for a request slot, not when it is sent. If the batch is
    // spilled to the spool meanwhile, its buffer may go back to the pool while the encoder still reads it; that
    // encoding is never used (spilled batches are sent from their segment).
    const transport = this.o.transport;
    if (transport.encode && batch.body && this.inFlight >= this.o.maxInFlight) {
      batch.encoded = transport.encode(batch.body);
      batch.encoded.catch(() => undefined); // a failure is answered by send(); a spilled batch never awaits it
    }
    this.queue.push(batch);
    if (this.spillNeeded()) this.spillAll();
    this.pump();
  }

  /** The open batch's bytes, as one view of its buffer; the next document starts a new buffer. */
  private takeCurrentBody(): Buffer | undefined {
    const nd = this.currentNd;
    this.currentNd = undefined;
    if (!nd) return undefined;
    this.lastBatchBytes = nd.len;
    return nd.buf.subarray(0, nd.len);
  }

  // ---- sending ----

  private pump(): void {
    if (this.closed) return;
    const limit = this.outage ? 1 : this.o.maxInFlight;
    while (this.inFlight < limit) {
      const now = this.now();
      if (now < this.gateUntil) {
        this.armPump(this.gateUntil - now);
        return;
      }
      const batch = this.nextBatch(now);
      if (!batch) return;
      this.inFlight += 1;
      void this.send(batch);
    }
  }

  private armPump(ms: number): void {
    const at = this.now() + ms;
    if (this.pumpTimer !== undefined && this.pumpTimerAt <= at) return;
    clearTimeout(this.pumpTimer);
    this.pumpTimerAt = at;
    this.pumpTimer = setTimeout(
      () => {
        this.pumpTimer = undefined;
        this.pump();
      },
      Math.max(0, ms),
    );
  }

  private nextBatch(now: number): Batch | undefined {
    let soonest = Infinity;
    for (let i = 0; i < this.delayed.length; i++) {
      const b = this.delayed[i]!;
      if (b.notBefore <= now) {
        this.delayed.splice(i, 1);
        return b;
      }
      soonest = Math.min(soonest, b.notBefore);
    }
    if (soonest !== Infinity) this.armPump(soonest - now);
    // Failed batches first (they are the oldest), then the spool (older than anything queued after it).
    if (this.queue.length > 0 && this.queue[0]!.attempts > 0) return this.queue.shift();
    const sp = this.o.spool;
    if (sp && sp.hasUnloaded() && sp.loadedCount < this.o.maxInFlight * 2) {
      const b = this.loadSegment();
      if (b) return b;
    }
    return this.queue.shift();
  }

  private loadSegment(): Batch | undefined {
    const sp = this.o.spool!;
    for (;;) {
      const taken = sp.takeOldest();
      if (!taken) return undefined;
      const { items, bad } = parseSegment(taken.body);
      const seg: LoadedSegment = { segment: taken.segment, outstanding: items.length };
      if (bad.length > 0) {
        esSpoolCorrupt(this.o.logger, {
          output: this.name,
          segment: taken.segment.file,
          reason: `${bad.length} unreadable item(s)`,
        });
        for (const raw of bad) {
          this.o.deadLetters.write({
            time: new Date(this.now()).toISOString(),
            stage: 'output',
            code: 'spool.corrupt',
            reason: 'unreadable spool item',
            record: redactText(raw.slice(0, 64 * 1024)),
          });
        }
      }
      if (items.length === 0) {
        void this.o.deadLetters.flush().then(() => this.removeSegment(seg));
        continue;
      }
      const nd = new NdjsonBuffer(Math.max(taken.body.length, 1024), taken.body.length * 3);
      const entries: Entry[] = items.map((it) => {
        const start = nd.len;
        nd.write(it.lines);
        return {
          id: it.id,
          op: it.op,
          target: it.index,
          nd,
          start,
          end: nd.len,
          attempts: 0,
          onSettled: undefined,
          seg,
        };
      });
      return { entries, attempts: 0, notBefore: 0 };
    }
  }

  private async send(batch: Batch): Promise<void> {
    const n = batch.entries.length;
    // One buffer, handed to the client as is (the transport sends or gzips it without another copy).
    const body = batchBody(batch);
    this.m.sent.inc({ output: this.name }, n);
    this.m.bytes.inc({ output: this.name }, body.length);
    this.counts.requests += 1;
    const t0 = this.now();
    let result: BulkSendResult;
    try {
      result = await this.o.transport.send(body, n, batch.body === body ? batch.encoded : undefined);
    } catch (e) {
      result = { kind: 'failed', reason: redactText(describeError(e)) };
    }
    if (result.kind === 'items' && result.items.length !== n) {
      result = {
        kind: 'failed',
        status: 200,
        reason: `bulk answer has ${result.items.length} items for ${n} documents`,
      };
    }
    const outcome =
      result.kind === 'items' ? 'ok' : result.status === undefined ? 'transport' : String(result.status);
    this.m.latency.observe({ output: this.name, outcome }, (this.now() - t0) / 1000);
    this.m.requests.inc({ output: this.name, outcome });
    try {
      if (result.kind === 'items') await this.onItems(batch, result.items);
      else this.onRequestFailed(batch, result);
    } catch (e) {
      // Only the dead-letter file or the spool can fail here (disk full, permissions). The affected documents
      // stay unsettled, so their records are never acknowledged and are read again after a restart.
      esOutputInternalError(this.o.logger, { output: this.name, reason: redactText(describeError(e)) });
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        for (const w of this.closeWaiters.splice(0)) w();
      }
      this.pump();
      this.checkWaiters();
    }
  }

  private onRequestFailed(batch: Batch, r: Extract<BulkSendResult, { kind: 'failed' }>): void {
    const n = batch.entries.length;
    this.counts.failedRequests += 1;
    const verdict = classifyRequest(r.status);
    if (verdict === 'split') {
      if (n === 1) {
        this.deadLetterNow(batch.entries[0]!, {
          status: 413,
          errorType: 'request_too_large',
          reason: `a single document is larger than the cluster accepts: ${r.reason}`,
        });
        return;
      }
      const half = Math.ceil(n / 2);
      this.queue.unshift(
        { entries: batch.entries.slice(0, half), attempts: batch.attempts + 1, notBefore: 0 },
        { entries: batch.entries.slice(half), attempts: batch.attempts + 1, notBefore: 0 },
      );
      return;
    }
    this.consecutiveFailures += 1;
    const delay = backoffDelay(this.consecutiveFailures, this.o.retry, this.random, r.retryAfterMs);
    this.gateUntil = this.now() + delay;
    if (!this.outage) {
      this.outage = true;
      this.outageStart = this.now();
      esOutageStarted(this.o.logger, {
        output: this.name,
        reason: r.reason,
        ...(r.status !== undefined ? { status: r.status } : {}),
        retryInMs: delay,
      });
    }
    if (verdict === 'retry-operator' && !this.operatorReported) {
      this.operatorReported = true;
      esRequestNeedsOperator(this.o.logger, { output: this.name, status: r.status, reason: r.reason });
    }
    batch.attempts += 1;
    this.counts.retriedItems += n;
    this.m.retried.inc(
      { output: this.name, reason: r.status === undefined ? 'transport' : String(r.status) },
      n,
    );
    this.queue.unshift(batch);
    if (this.spillNeeded()) this.spillAll();
  }

  private async onItems(batch: Batch, items: readonly BulkItemResult[]): Promise<void> {
    if (this.outage) {
      esOutageEnded(this.o.logger, {
        output: this.name,
        durationMs: this.now() - this.outageStart,
        failedRequests: this.consecutiveFailures,
      });
    }
    this.outage = false;
    this.consecutiveFailures = 0;
    this.operatorReported = false;
    this.gateUntil = 0;

    const retry: Entry[] = [];
    const settleNow: Entry[] = [];
    const dead: Entry[] = [];
    const deadByCode = new Map<string, { count: number; target: string; reason: string }>();
    let delivered = 0;
    let duplicates = 0;
    for (let i = 0; i < items.length; i++) {
      const entry = batch.entries[i]!;
      const item = items[i]!;
      const verdict = classifyItem(entry.op, item.status);
      if (verdict === 'delivered' || verdict === 'duplicate') {
        if (verdict === 'duplicate') duplicates += 1;
        if (item.failureStore === 'used') this.m.failureStore.inc({ output: this.name });
        delivered += 1;
        settleNow.push(entry);
      } else if (verdict === 'retry') {
        entry.attempts += 1;
        retry.push(entry);
        this.m.retried.inc({ output: this.name, reason: String(item.status) });
      } else {
        const letter = this.letterFor(entry, item);
        this.o.deadLetters.write(letter);
        dead.push(entry);
        const agg = deadByCode.get(letter.code);
        if (agg) agg.count += 1;
        else deadByCode.set(letter.code, { count: 1, target: entry.target, reason: letter.reason });
      }
    }
    this.m.delivered.inc({ output: this.name }, delivered);
    if (duplicates > 0) this.m.duplicates.inc({ output: this.name }, duplicates);
    this.counts.delivered += delivered;
    this.counts.duplicates += duplicates;
    for (const e of settleNow) this.settle(e, 'delivered');
    if (retry.length > 0) {
      this.counts.retriedItems += retry.length;
      const attempts = retry.reduce((a, e) => Math.max(a, e.attempts), 0);
      this.delayed.push({
        entries: retry,
        attempts,
        notBefore: this.now() + backoffDelay(attempts, this.o.retry, this.random),
      });
    }
    if (dead.length > 0) {
      // A document is acknowledged as dead-lettered only once its letter is on disk.
      await this.o.deadLetters.flush();
      for (const [code, agg] of deadByCode) {
        this.m.deadLettered.inc({ output: this.name, code }, agg.count);
        esDocumentsDeadLettered(this.o.logger, { output: this.name, code, ...agg });
      }
      for (const e of dead) this.settle(e, 'dead-lettered');
    }
  }

  private letterFor(entry: Entry, item: { status: number; errorType?: string; reason?: string }): DeadLetter {
    const code = `es.${item.errorType ?? `http_${item.status}`}`;
    const reason = redactText(item.reason ?? item.errorType ?? `status ${item.status}`);
    let document: ShippableDocument | undefined;
    try {
      const lines = entryText(entry);
      const src = lines.slice(lines.indexOf('\n') + 1, -1);
      document = {
        id: entry.id,
        op: entry.op,
        stream: this.streamByTarget.get(entry.target) ?? guessStream(entry.target),
        doc: JSON.parse(src) as EcsDocument,
      };
    } catch {
      document = undefined;
    }
    return {
      time: new Date(this.now()).toISOString(),
      stage: 'output',
      reason,
      code,
      ...(document ? { document } : { record: redactText(entryText(entry).slice(0, 64 * 1024)) }),
      target: entry.target,
      status: item.status,
    };
  }

  private deadLetterNow(entry: Entry, item: { status: number; errorType?: string; reason?: string }): void {
    const letter = this.letterFor(entry, item);
    this.o.deadLetters.write(letter);
    this.m.deadLettered.inc({ output: this.name, code: letter.code });
    esDocumentsDeadLettered(this.o.logger, {
      output: this.name,
      count: 1,
      code: letter.code,
      target: entry.target,
      reason: letter.reason,
    });
    void this.o.deadLetters.flush().then(() => {
      this.settle(entry, 'dead-lettered');
      this.checkWaiters();
    });
  }

  // ---- settlement, spool ----

  private settle(entry: Entry, how: 'delivered' | 'dead-lettered' | 'spooled'): void {
    if (entry.seg) {
      if (how === 'delivered') this.counts.fromSpoolDelivered += 1;
      else if (how === 'dead-lettered') this.counts.fromSpoolDeadLettered += 1;
      entry.seg.outstanding -= 1;
      if (entry.seg.outstanding === 0) this.removeSegment(entry.seg);
      return;
    }
    if (how === 'dead-lettered') this.counts.deadLettered += 1;
    this.memBytes -= entryBytes(entry);
    // The last document of a sealed batch buffer: no batch can refer to its bytes any more.
    const nd = entry.nd;
    nd.pending -= 1;
    if (nd.pending === 0 && nd !== this.currentNd) nd.release();
    this.unsettled -= 1;
    const cb = entry.onSettled;
    entry.onSettled = undefined;
    cb?.();
  }

  private removeSegment(seg: LoadedSegment): void {
    const sp = this.o.spool!;
    sp.remove(seg.segment);
    this.m.spoolBytes.set({ output: this.name }, sp.bytes);
    if (!sp.hasData) esSpoolDrained(this.o.logger, { output: this.name, dir: sp.dir });
  }

  private spillNeeded(): boolean {
    if (!this.o.spool || !this.outage) return false;
    // Stopping (or a flush) during an outage spools at once, so a stop never waits for the cluster.
    if (this.flushWaiters.length > 0 || this.closed) return true;
    return (
      this.consecutiveFailures >= SPILL_AFTER_FAILURES &&
      this.memBytes >= this.o.maxBufferBytes * SPILL_FRACTION
    );
  }

  /** Move every queued memory batch (oldest first) and the open batch to the spool. */
  private spillAll(): void {
    const sp = this.o.spool;
    if (!sp || this.spilling) return;
    this.spilling = true;
    try {
      if (!sp.hasData)
        esSpoolStarted(this.o.logger, { output: this.name, bufferedBytes: this.memBytes, dir: sp.dir });
      if (this.current.length > 0) {
        this.queue.push({ entries: this.current, attempts: 0, notBefore: 0, body: this.takeCurrentBody() });
        this.current = [];
        this.currentBytes = 0;
        clearTimeout(this.sealTimer);
        this.sealTimer = undefined;
      }
      const pending = [...this.queue.splice(0), ...this.delayed.splice(0)];
      const keep: Batch[] = [];
      const keepDelayed: Batch[] = [];
      let full = false;
      for (const b of pending) {
        const mine = b.entries.filter((e) => !e.seg);
        const fromSpool = b.entries.filter((e) => e.seg);
        if (fromSpool.length > 0) {
          // A part of a batch is a new body (gathered when sent).
          (b.notBefore > 0 ? keepDelayed : keep).push({ ...b, entries: fromSpool, body: undefined });
        }
        if (mine.length === 0) continue;
        const mb: Batch = { ...b, entries: mine, body: fromSpool.length > 0 ? undefined : b.body };
        if (full || !this.spillBatch(mb)) {
          full = true;
          (b.notBefore > 0 ? keepDelayed : keep).push(mb);
        }
      }
      this.queue.push(...keep);
      this.delayed.push(...keepDelayed);
    } finally {
      this.spilling = false;
    }
    this.checkWaiters();
  }

  private spillBatch(batch: Batch): boolean {
    const sp = this.o.spool!;
    const body = batchBody(batch);
    let appended: ReturnType<Spool['append']>;
    try {
      appended = sp.append(body, batch.entries.length);
    } catch (e) {
      // Disk full or not writable: the batch stays in memory (and memory backpressure pauses the inputs).
      esOutputInternalError(this.o.logger, { output: this.name, reason: redactText(describeError(e)) });
      return false;
    }
    const { ok, dropped } = appended;
    this.m.spoolBytes.set({ output: this.name }, sp.bytes);
    for (const d of dropped) {
      this.counts.dropped += d.documents;
      this.m.dropped.inc({ output: this.name }, d.documents);
      esSpoolDroppedOldest(this.o.logger, { output: this.name, ...d });
    }
    if (!ok) {
      if (!this.spoolFullReported) {
        this.spoolFullReported = true;
        esSpoolFull(this.o.logger, {
          output: this.name,
          bytes: sp.bytes,
          maxBytes: sp.maxBytes,
          whenFull: sp.whenFull,
        });
      }
      return false;
    }
    this.spoolFullReported = false;
    this.counts.spooled += batch.entries.length;
    this.m.spooled.inc({ output: this.name }, batch.entries.length);
    for (const e of batch.entries) this.settle(e, 'spooled');
    return true;
  }

  private checkWaiters(): void {
    this.m.bufferedBytes.set({ output: this.name }, this.memBytes);
    // Hysteresis: once full, inputs resume at three quarters of the budget (about one request's worth freed),
    // so they neither wake for every settled document nor wait for every request in flight.
    if (this.memBytes < this.o.maxBufferBytes * RESUME_FRACTION) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
    if (this.unsettled === 0) {
      for (const w of this.flushWaiters.splice(0)) w();
    }
    if (
      this.idleWaiters.length > 0 &&
      this.unsettled === 0 &&
      this.inFlight === 0 &&
      this.queue.length === 0 &&
      this.delayed.length === 0 &&
      !(this.o.spool?.hasData ?? false)
    ) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

function guessStream(target: string): DocumentStream {
  if (target.includes('alerts')) return 'alerts';
  if (target.includes('application')) return 'application';
  return 'activesync';
}
