// The DocumentSink behind the Elasticsearch output: batching, bounded requests in flight, retries, disk spool
// and dead letters, composed around a BulkTransport (STYLE.md rule 6: the transport classifies, this wraps).
// This file is the scheduler; each other role has its file beside it:
//   batch-builder.ts   the open batch (documents serialized once into a reusable NDJSON buffer)
//   batch.ts           entries, batches and request bodies;  ndjson-buffer.ts  the buffers and their pool
//   item-outcomes.ts   a bulk answer → delivered / retry / dead letter, per item (the table: bulk-classify.ts)
//   outage-gate.ts     request-level failures: one probe during an outage, backoff, Retry-After
//   spool-bridge.ts    batches to and from the disk spool;  waiters.ts  drain / flush / idle / close promises
//
// A sealed batch is sent with at most `maxInFlight` requests open. Every item of the answer is sorted by
// item-outcomes.ts: delivered → settled; retry → a retry batch after backoff (full jitter); dead-letter → the
// dead-letter file, fsync'd, then settled. A request-level failure (no answer, 429/5xx, 413) retries or splits
// the whole batch, and while requests fail ("outage") only one request probes the cluster.
// Too large (413): the batch is split in two and new batches are kept below half the refused size; a document
// refused alone is dead-lettered once, the next request waits a backoff that grows while that repeats (a limit
// below every document must not become thousands of requests a second), and the refusals are reported in one
// line per `reportIntervalMs`. A connection lost while a body larger than any the cluster answered was being
// sent is treated as a possible 413 whose answer was lost: the batch is split after its second such loss.
// Stop: `abort()` (the agent's stop deadline) aborts requests in flight and moves everything unsettled to the
// spool, and `close()` clears every timer, so nothing keeps the process alive after a stop.
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

import type { DocumentStream, EcsDocument, ShippableDocument } from '../../pipeline/document.types.js';
import { CasguardError, describeError } from '../../pipeline/errors.js';
import { redactText } from '../../pipeline/redact.js';
import type { DeadLetterSink, DocumentSink } from '../../pipeline/stages.types.js';
import type { Logger } from '../../telemetry/logger.types.js';
import {
  esDocumentsDeadLettered,
  esDocumentsTooLarge,
  esDocumentsNeedOperator,
  esMetrics,
  esOutputInternalError,
  esRequestSizeLimited,
  esSpoolRecovered,
  esSpoolStarted,
  esStopSpooled,
} from '../../telemetry/elasticsearch-events.js';
import type { EsMetrics } from '../../telemetry/elasticsearch-events.js';
import { IntervalSummary } from '../../telemetry/interval-summary.js';
import { classifyRequest } from '../elasticsearch/bulk-classify.js';
import { backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { Batch, Entry } from './batch.js';
import { batchBody, batchBytes, entryBytes, requestIndex } from './batch.js';
import { BatchBuilder } from './batch-builder.js';
import type { BulkItemResult, BulkSendResult, BulkTransport } from './bulk-transport.types.js';
import { letterFor, sortItems } from './item-outcomes.js';
import type { LetterContext } from './item-outcomes.js';
import { OutageGate } from './outage-gate.js';
import { RefusedItems } from './refused-items.js';
import { RequestSizeLimit } from './request-size-limit.js';
import type { Spool } from './spool.js';
import { SpoolBridge } from './spool-bridge.js';
import { Waiters } from './waiters.js';
import { settle, type OnSettled } from '../../pipeline/settle.js';

export interface DeliverySinkOptions {
  readonly transport: BulkTransport;
  /** Index, alias or data stream name for a stream. */
  readonly targetFor: (stream: DocumentStream) => string;
  readonly deadLetters: DeadLetterSink;
  readonly spool?: Spool;
  /** Last adjustment of a document's body before serialization (e.g. the configured namespace). */
  readonly prepare?: (doc: ShippableDocument) => EcsDocument;
  /** `event.ingested` for pre-serialized documents (ShippableDocument.serialized); none when not given. */
  readonly ingestedAt?: () => string;
  /** Which bytes of a pre-serialized document are sent (SerializedDocument); default `full`. */
  readonly serializedShape?: 'full' | 'wire';
  readonly logger: Logger;
  /** Label for metrics and log lines. */
  readonly name?: string;
  readonly maxBatchDocs: number;
  readonly maxBatchBytes: number;
  readonly flushIntervalMs: number;
  readonly maxInFlight: number;
  readonly maxBufferBytes: number;
  readonly retry: BackoffOptions;
  /** Repeated refusals (documents too large even alone) are logged once per this interval. Default 60 s. */
  readonly reportIntervalMs?: number;
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

const SPILL_FRACTION = 0.5;
const RESUME_FRACTION = 0.75;
/**
 * Failed requests in a row before memory is spilled to the spool. A single 503 or reset among successful requests
 * is a blip the in-memory retry absorbs; spilling on it sent every later batch through the disk until the spool
 * was empty again (in the shared harness's fault run: 118 s instead of a few for 200,000 documents, with pauses
 * of up to 15 s). An unreachable cluster fails every probe, so it reaches this within a few backoff steps.
 */
export const SPILL_AFTER_FAILURES = 3;
/** A single document whose connection was lost this often (while others were answered) is dead-lettered. */
const LOST_ALONE_LIMIT = 3;

export class DeliverySink implements DocumentSink {
  private readonly o: DeliverySinkOptions;
  private readonly name: string;
  private readonly m: EsMetrics;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly letters: LetterContext;

  private readonly open: BatchBuilder;
  private readonly gate: OutageGate;
  private readonly spoolBridge: SpoolBridge | undefined;
  private readonly waiters = new Waiters();
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpTimerAt = 0;

  private readonly queue: Batch[] = [];
  private readonly delayed: Batch[] = [];
  private inFlight = 0;
  /** Serialized bytes of documents pushed and not yet settled (memory-origin only). */
  private memBytes = 0;
  private unsettled = 0;
  private spilling = false;
  private closed = false;
  /** Stopping now: nothing more is sent; what is unsettled goes to the spool. */
  private aborting = false;
  /** Documents refused as too large alone, in a row (the backoff before the next request grows with it). */
  private tooLargeStreak = 0;
  /** Requests answered (any HTTP answer but 413), and the largest body that got such an answer. */
  private answers = 0;
  private largestAnswered = 0;
  private readonly tooLargeReport: IntervalSummary<{ target: string; reason: string }>;
  private readonly needOperatorReport: IntervalSummary<{
    target: string;
    status: number;
    errorType: string;
    reason: string;
  }>;
  private readonly sizeLimit: RequestSizeLimit;
  private readonly refusedItems: RefusedItems;

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
    const streamByTarget = new Map<string, DocumentStream>();
    for (const s of ['activesync', 'application', 'alerts'] as const)
      streamByTarget.set(opts.targetFor(s), s);
    this.letters = { now: this.now, streamByTarget };
    this.open = new BatchBuilder({
      maxBatchDocs: opts.maxBatchDocs,
      maxBatchBytes: opts.maxBatchBytes,
      flushIntervalMs: opts.flushIntervalMs,
      // In flight, plus one being filled: enough to reuse in a steady flow.
      poolSize: Math.min(4, opts.maxInFlight + 1),
      prepare: opts.prepare,
      ingestedAt: opts.ingestedAt,
      serializedShape: opts.serializedShape,
      onAge: () => this.seal(),
    });
    this.gate = new OutageGate({
      name: this.name,
      logger: opts.logger,
      retry: opts.retry,
      random: this.random,
      now: this.now,
    });
    this.sizeLimit = new RequestSizeLimit(opts.maxBatchBytes);
    this.refusedItems = new RefusedItems(this.name, opts.logger);
    this.tooLargeReport = new IntervalSummary({
      intervalMs: opts.reportIntervalMs ?? 60_000,
      now: this.now,
      emit: (count, f) => esDocumentsTooLarge(opts.logger, { output: this.name, count, ...f }),
    });
    this.needOperatorReport = new IntervalSummary({
      intervalMs: opts.reportIntervalMs ?? 60_000,
      now: this.now,
      emit: (count, f) => esDocumentsNeedOperator(opts.logger, { output: this.name, count, ...f }),
    });
    const sp = opts.spool;
    if (sp) {
      this.spoolBridge = new SpoolBridge({
        spool: sp,
        name: this.name,
        logger: opts.logger,
        metrics: this.m,
        deadLetters: opts.deadLetters,
        sliceBytes: opts.maxBatchBytes,
        now: this.now,
        wake: () => {
          this.checkWaiters();
          this.pump();
        },
      });
    }
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

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (this.closed) throw new CasguardError('INTERNAL', 'push() after close() on the Elasticsearch output');
    const target = this.o.targetFor(doc.stream);
    const lines = this.open.serialize(doc);
    if (!this.open.fits(doc, target, lines)) this.seal();
    const entry = this.open.append(doc, target, lines, onSettled);
    this.memBytes += entryBytes(entry);
    this.unsettled += 1;
    this.counts.pushed += 1;
    // The buffered-bytes gauge is set per batch (seal, settlement), not per document.
    if (this.open.full) this.seal();
    else this.open.armAge();
    return this.memBytes < this.o.maxBufferBytes;
  }

  drain(): Promise<void> {
    if (this.memBytes < this.o.maxBufferBytes) return Promise.resolve();
    return this.waiters.drain();
  }

  flush(): Promise<void> {
    this.seal();
    if (this.gate.outage) this.spillAll();
    return new Promise((resolve) => {
      this.waiters.addFlush(resolve);
      this.checkWaiters();
    });
  }

  /** Resolves when nothing is buffered, in flight or spooled: everything delivered or dead-lettered. */
  idle(): Promise<void> {
    this.seal();
    return new Promise((resolve) => {
      this.waiters.addIdle(resolve);
      this.checkWaiters();
      this.pump();
    });
  }

  /**
   * Stop waiting for the cluster (the agent's stop deadline): abort the requests in flight and move every
   * unsettled document to the spool, where it is acknowledged. Without a spool, or when the spool cannot take
   * them, documents stay unsettled and their records are read again at the next start. Clears every timer.
   */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.aborting = true;
    this.clearTimers();
    this.o.transport.abort?.();
    // An aborted request answers at once; a transport without abort() is waited for (the caller bounds it).
    if (this.inFlight > 0) await this.waiters.closed();
    const before = this.counts.spooled;
    this.seal();
    this.spillAll();
    this.clearTimers();
    this.checkWaiters();
    const sp = this.o.spool;
    if (sp && this.counts.spooled > before)
      esStopSpooled(this.o.logger, {
        output: this.name,
        documents: this.counts.spooled - before,
        dir: sp.dir,
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.aborting) await this.flush();
    this.closed = true;
    if (this.inFlight > 0) await this.waiters.closed();
    this.clearTimers();
    this.tooLargeReport.close();
    this.needOperatorReport.close();
    this.spoolBridge?.close();
    // The connections first: a dead-letter flush can wait out a disk outage, and an open socket must not keep
    // the process alive meanwhile.
    await this.o.transport.close();
    await this.o.deadLetters.flush();
  }

  private clearTimers(): void {
    this.open.clearAge();
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.spoolBridge?.stopRetries();
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
      outage: this.gate.outage,
      spoolBytes: this.o.spool?.bytes ?? 0,
    };
  }

  // ---- batching ----

  private seal(): void {
    const taken = this.open.take();
    if (!taken) return;
    const batch: Batch = { entries: taken.entries, attempts: 0, notBefore: 0, body: taken.body };
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

  // ---- sending ----

  private pump(): void {
    if (this.closed || this.aborting) return;
    const limit = this.gate.limit(this.o.maxInFlight);
    while (this.inFlight < limit) {
      const now = this.now();
      if (now < this.gate.gateUntil) {
        this.armPump(this.gate.gateUntil - now);
        return;
      }
      const batch = this.nextBatch(now);
      if (!batch) return;
      // Batches sealed before the cluster refused a size are split before they are sent, not after a refusal.
      if (batch.entries.length > 1 && batchBytes(batch) > this.sizeLimit.maxBytes) {
        this.split(batch, batch.attempts);
        continue;
      }
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
    if (this.spoolBridge?.canLoad(this.o.maxInFlight * 2)) {
      const b = this.spoolBridge.load();
      if (b) return b;
    }
    return this.queue.shift();
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
      const index = requestIndex(batch.entries);
      result = await this.o.transport.send(body, n, batch.body === body ? batch.encoded : undefined, index);
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
    if (result.kind === 'items' || (result.status !== undefined && result.status !== 413)) {
      this.answers += 1;
      this.largestAnswered = Math.max(this.largestAnswered, body.length);
      if (this.sizeLimit.answered(body.length)) this.open.setMaxBytes(this.sizeLimit.maxBytes);
    }
    try {
      if (result.kind === 'items') this.onItems(batch, result.items);
      else if (this.aborting)
        this.queue.unshift(batch); // stopping: spilled by abort(), not an outage
      else this.onRequestFailed(batch, result, body.length);
    } catch (e) {
      // Only the dead-letter file or the spool can fail here (disk full, permissions). The affected documents
      // stay unsettled, so their records are never acknowledged and are read again after a restart.
      esOutputInternalError(this.o.logger, { output: this.name, reason: redactText(describeError(e)) });
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.waiters.requestsDone();
      this.pump();
      this.checkWaiters();
    }
  }

  private onRequestFailed(
    batch: Batch,
    r: Extract<BulkSendResult, { kind: 'failed' }>,
    bodyBytes: number,
  ): void {
    const n = batch.entries.length;
    this.counts.failedRequests += 1;
    const verdict = classifyRequest(r.status);
    if (verdict === 'split') {
      if (n === 1) {
        this.tooLargeAlone(batch.entries[0]!, r.reason);
        return;
      }
      this.limitRequestBytes(bodyBytes, true);
      this.split(batch);
      return;
    }
    // A lost connection on a body larger than any the cluster answered may be a 413 whose answer was lost
    // (Elasticsearch closes the connection of a body over http.max_content_length, possibly before reading it).
    // Retried as usual but behind the other batches (so they, not it, probe the cluster); split after the
    // second loss in a row (the first while the size limit is already a guess from such losses); a single
    // document lost LOST_ALONE_LIMIT times while other requests were answered is too large. Smaller bodies, or
    // a cluster that answers nothing at all, are an ordinary outage.
    const suspect = r.connectionLost === true && bodyBytes > this.largestAnswered;
    batch.lost = suspect ? (batch.lost ?? 0) + 1 : 0;
    if (suspect) batch.answersAtLoss ??= this.answers;
    else batch.answersAtLoss = undefined;
    if (suspect && n === 1 && batch.lost! >= LOST_ALONE_LIMIT && this.answers > batch.answersAtLoss!) {
      this.tooLargeAlone(
        batch.entries[0]!,
        `the connection was closed each of the ${batch.lost} times this document was sent alone: ${r.reason}`,
      );
      return;
    }
    this.gate.failed(r, verdict);
    batch.attempts += 1;
    this.counts.retriedItems += n;
    this.m.retried.inc(
      { output: this.name, reason: r.status === undefined ? 'transport' : String(r.status) },
      n,
    );
    if (suspect && n > 1 && (batch.lost! >= 2 || this.sizeLimit.isGuess)) {
      this.limitRequestBytes(bodyBytes, false);
      this.split(batch);
    } else if (suspect) this.queue.push(batch);
    else this.queue.unshift(batch);
    if (this.spillNeeded()) this.spillAll();
  }

  /** Send the two halves of a batch next. */
  private split(batch: Batch, attempts = batch.attempts + 1): void {
    const half = Math.ceil(batch.entries.length / 2);
    // attempts > 0 puts the halves before the spool and new batches (see nextBatch).
    const a = Math.max(1, attempts);
    this.queue.unshift(
      { entries: batch.entries.slice(0, half), attempts: a, notBefore: 0 },
      { entries: batch.entries.slice(half), attempts: a, notBefore: 0 },
    );
  }

  /** A body of `refusedBytes` was too large (`confirmed`: a 413): keep new batches below half of it. */
  private limitRequestBytes(refusedBytes: number, confirmed: boolean): void {
    if (!this.sizeLimit.refused(refusedBytes, confirmed)) return;
    this.open.setMaxBytes(this.sizeLimit.maxBytes);
    esRequestSizeLimited(this.o.logger, {
      output: this.name,
      refusedBytes,
      maxRequestBytes: this.sizeLimit.maxBytes,
    });
  }

  /** A document too large even alone: dead-lettered once, and the next request waits (a growing backoff). */
  private tooLargeAlone(entry: Entry, reason: string): void {
    this.tooLargeStreak += 1;
    this.gate.pause(backoffDelay(this.tooLargeStreak, this.o.retry, this.random));
    const letter = letterFor(
      entry,
      {
        status: 413,
        errorType: 'request_too_large',
        reason: `a single document is larger than the cluster accepts: ${reason}`,
      },
      this.letters,
    );
    this.o.deadLetters.write(letter);
    this.m.deadLettered.inc({ output: this.name, code: letter.code });
    this.tooLargeReport.add(1, { target: entry.target, reason: letter.reason });
    this.afterDeadLetters(() => this.settle(entry, 'dead-lettered'));
  }

  /** Runs `then` once the dead letters written so far are durable (during a disk outage: once it is over). */
  private afterDeadLetters(then: () => void): void {
    this.o.deadLetters
      .flush()
      .then(() => {
        then();
        this.checkWaiters();
      })
      .catch((e: unknown) => {
        // Documents stay unsettled: their records are not acknowledged and are read again after a restart.
        esOutputInternalError(this.o.logger, { output: this.name, reason: redactText(describeError(e)) });
      });
  }

  private onItems(batch: Batch, items: readonly BulkItemResult[]): void {
    this.gate.answered();
    this.tooLargeStreak = 0;
    const out = sortItems(batch.entries, items, this.letters);
    for (const reason of out.retryReasons) this.m.retried.inc({ output: this.name, reason });
    if (out.needOperator) {
      const { count, ...f } = out.needOperator;
      this.needOperatorReport.add(count, f);
      this.refusedItems.refused(out.needOperatorEntries, f);
    }
    for (const { letter } of out.dead) this.o.deadLetters.write(letter);
    if (out.failureStoreUsed > 0) this.m.failureStore.inc({ output: this.name }, out.failureStoreUsed);
    this.m.delivered.inc({ output: this.name }, out.delivered);
    if (out.duplicates > 0) this.m.duplicates.inc({ output: this.name }, out.duplicates);
    this.counts.delivered += out.delivered;
    this.counts.duplicates += out.duplicates;
    for (const e of out.settleNow) this.settle(e, 'delivered');
    const retry = out.retry;
    if (retry.length > 0) {
      this.counts.retriedItems += retry.length;
      const attempts = retry.reduce((a, e) => Math.max(a, e.attempts), 0);
      this.delayed.push({
        entries: retry,
        attempts,
        notBefore: this.now() + backoffDelay(attempts, this.o.retry, this.random),
      });
    }
    if (out.dead.length > 0) {
      // A document is acknowledged as dead-lettered only once its letter is on disk. Not awaited here: during
      // a disk outage the dead-letter file's flush waits for space, and that must not hold a request slot.
      for (const [code, agg] of out.deadByCode) {
        this.m.deadLettered.inc({ output: this.name, code }, agg.count);
        esDocumentsDeadLettered(this.o.logger, { output: this.name, code, ...agg });
      }
      this.afterDeadLetters(() => {
        for (const { entry } of out.dead) this.settle(entry, 'dead-lettered');
      });
    }
  }

  // ---- settlement, spool ----

  private settle(entry: Entry, how: 'delivered' | 'dead-lettered' | 'spooled'): void {
    this.refusedItems.settled(entry);
    if (entry.seg) {
      if (how === 'delivered') this.counts.fromSpoolDelivered += 1;
      else if (how === 'dead-lettered') this.counts.fromSpoolDeadLettered += 1;
      entry.seg.outstanding -= 1;
      this.spoolBridge!.settled(entry.seg);
      return;
    }
    if (how === 'dead-lettered') this.counts.deadLettered += 1;
    this.memBytes -= entryBytes(entry);
    // The last document of a sealed batch buffer: no batch can refer to its bytes any more.
    const nd = entry.nd;
    nd.pending -= 1;
    if (nd.pending === 0 && !this.open.isOpenBuffer(nd)) nd.release();
    this.unsettled -= 1;
    const cb = entry.onSettled;
    entry.onSettled = undefined;
    if (cb !== undefined) settle(cb);
  }

  private spillNeeded(): boolean {
    if (!this.o.spool) return false;
    if (this.aborting) return true;
    if (!this.gate.outage) return false;
    // Stopping (or a flush) during an outage spools at once, so a stop never waits for the cluster.
    if (this.waiters.flushing || this.closed) return true;
    return (
      this.gate.consecutiveFailures >= SPILL_AFTER_FAILURES &&
      this.memBytes >= this.o.maxBufferBytes * SPILL_FRACTION
    );
  }

  /** Move every queued memory batch (oldest first) and the open batch to the spool. */
  private spillAll(): void {
    const sp = this.o.spool;
    if (!sp || this.spilling) return;
    this.spilling = true;
    try {
      if (!sp.hasData && !this.aborting)
        esSpoolStarted(this.o.logger, { output: this.name, bufferedBytes: this.memBytes, dir: sp.dir });
      const taken = this.open.take();
      if (taken) this.queue.push({ entries: taken.entries, attempts: 0, notBefore: 0, body: taken.body });
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
    const ok = this.spoolBridge!.write(batch, (documents) => (this.counts.dropped += documents));
    if (!ok) return false;
    this.counts.spooled += batch.entries.length;
    for (const e of batch.entries) this.settle(e, 'spooled');
    return true;
  }

  private checkWaiters(): void {
    this.m.bufferedBytes.set({ output: this.name }, this.memBytes);
    // Hysteresis: once full, inputs resume at three quarters of the budget (about one request's worth freed),
    // so they neither wake for every settled document nor wait for every request in flight.
    this.waiters.check({
      belowResumeMark: this.memBytes < this.o.maxBufferBytes * RESUME_FRACTION,
      unsettled: this.unsettled,
      inFlight: this.inFlight,
      workLeft: this.queue.length > 0 || this.delayed.length > 0 || (this.o.spool?.hasData ?? false),
    });
  }
}
