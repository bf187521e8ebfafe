// Keeps a `replay` from storing a document twice across a rollover (issue 13, finding 5). A data stream checks
// `_id` per backing index only: a `create` whose id exists only in an older backing index succeeds, so a
// backfill of files shipped before the last rollover, or `replay --dead-letters` of a document that was in fact
// stored, would store it a second time. This wrapper holds the `create` documents of a replay for a moment,
// asks the stream which of their ids it already holds in ANY backing index (`_search` with an `ids` query,
// ids only), settles those at once (as the 409 they would get in the same backing index) and passes the rest
// to the output. Alerts (`index` into a regular index) pass straight through.
//
// Only a stream with more than one backing index can hold an id the write index would not refuse itself: the
// filter asks `_resolve/index/<stream>` (part of the `read` privilege) how many it has, at most every 30 s, and
// searches only while there are several. A replay into a fresh stream, or one never rolled over, costs one
// small request per stream instead of a search per 500 documents.
//
// What it does not cover: `run` (a re-send after a lost answer is rare and this would cost a search per batch),
// the disk spool's drain, and a document stored by another request between the check and the send. The check
// needs `read` on the streams; without it (403) the wrapper says so once and passes everything through. A
// document written in the last second may not be searchable yet (refresh interval): within one backing index
// that is harmless (409).

import type { Client } from '@elastic/elasticsearch';
import type { ShippableDocument } from '../../pipeline/document.types.js';
import { describeError } from '../../pipeline/errors.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';
import { esKnownIdsCheckUnavailable, esKnownIdsSkipped } from '../../telemetry/elasticsearch-events.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { settle, type OnSettled } from '../../pipeline/settle.js';

interface Held {
  readonly doc: ShippableDocument;
  readonly onSettled: OnSettled;
}

export interface KnownIdsFilterOptions {
  /** A client of its own: closed by close(). */
  readonly client: Client;
  /** The index or stream a document goes to. */
  readonly targetFor: (doc: ShippableDocument) => string;
  readonly logger: Logger;
  /** Ids asked per search (default 500). */
  readonly batchSize?: number;
  /** How long a partial batch waits for more documents before it is checked (default 100 ms). */
  readonly holdMs?: number;
  /** How long a stream's backing-index count is trusted before it is asked again (default 30 s). */
  readonly resolveEveryMs?: number;
  readonly now?: () => number;
}

/** What `_resolve/index` said about a stream: whether it has older backing indices, and when it was asked. */
interface StreamShape {
  readonly rolledOver: boolean;
  readonly at: number;
}

export class KnownIdsFilter implements DocumentSink {
  private held: Held[] = [];
  /** Documents in batches handed to the check chain and not yet passed on or settled. */
  private queued = 0;
  private readonly shapes = new Map<string, StreamShape>();
  private readonly refreshing = new Set<string>();
  private checking: Promise<void> = Promise.resolve();
  private disabled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly holdMs: number;
  /** Documents settled because the target already held their id. */
  skipped = 0;
  private readonly batchSize: number;

  constructor(
    private readonly inner: DocumentSink,
    private readonly o: KnownIdsFilterOptions,
  ) {
    this.batchSize = o.batchSize ?? 500;
    this.holdMs = o.holdMs ?? 100;
  }

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (doc.op !== 'create' || this.disabled) return this.inner.push(doc, onSettled);
    // A stream known not to have rolled over needs no check: straight through, and its shape is asked again in
    // the background once it is old. Also while documents held earlier (before its shape was known) are still
    // being checked or handed on: their check searches nothing for such a stream, so waiting behind them only
    // kept the order of independent creates. Holding for that order kept the filter holding for good once the
    // output pushed back (each check waits for the output while the reader goes on), and every held document
    // lived until its turn: 9 % of a 250,000-line replay's documents, copied and promoted whole by the GC.
    const target = this.o.targetFor(doc);
    const shape = this.shapes.get(target);
    if (shape && !shape.rolledOver) {
      this.refreshIfStale(target, shape);
      return this.inner.push(doc, onSettled);
    }
    this.held.push({ doc, onSettled });
    if (this.held.length >= this.batchSize) this.startCheck();
    // Readers wait for their documents to settle before reading on: a partial batch is checked soon too.
    else this.timer ??= setTimeout(() => this.startCheck(), this.holdMs);
    // Backpressure: at most two batches wait for their check, so a reader never runs ahead of it (a reader
    // that is told "full" waits in drain() for the checks and the output).
    return this.held.length + this.queued < 2 * this.batchSize;
  }

  async drain(): Promise<void> {
    await this.checking;
    await this.inner.drain();
  }

  async flush(): Promise<void> {
    this.startCheck();
    await this.checking;
    await this.inner.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    esKnownIdsSkipped(this.o.logger, { count: this.skipped });
    await this.inner.close();
    await this.o.client.close();
  }

  private startCheck(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.held.length === 0) return;
    const batch = this.held;
    this.held = [];
    this.queued += batch.length;
    this.checking = this.checking.then(() => this.check(batch));
  }

  private async check(batch: Held[]): Promise<void> {
    const known = this.disabled ? new Set<string>() : await this.knownIds(batch);
    for (const h of batch) {
      this.queued -= 1;
      if (known.has(`${this.o.targetFor(h.doc)}\u0000${h.doc.id}`)) {
        this.skipped += 1;
        settle(h.onSettled);
      } else if (!this.inner.push(h.doc, h.onSettled)) await this.inner.drain();
    }
  }

  /** `target\0id` of every held document its target already holds. */
  private async knownIds(batch: Held[]): Promise<Set<string>> {
    const byTarget = new Map<string, string[]>();
    for (const h of batch) {
      const t = this.o.targetFor(h.doc);
      const ids = byTarget.get(t) ?? [];
      ids.push(h.doc.id);
      byTarget.set(t, ids);
    }
    const known = new Set<string>();
    for (const [target, ids] of byTarget) {
      try {
        if (!(await this.rolledOver(target))) continue;
        const r = await this.o.client.search({
          index: target,
          size: ids.length,
          _source: false,
          query: { ids: { values: ids } },
          ignore_unavailable: true,
          allow_no_indices: true,
          filter_path: 'hits.hits._id',
        });
        for (const hit of r.hits?.hits ?? [])
          if (hit._id !== undefined) known.add(`${target}\u0000${hit._id}`);
      } catch (e) {
        // 403 (no `read` on the stream) or anything else: the replay goes on as before, without the check.
        this.disabled = true;
        esKnownIdsCheckUnavailable(this.o.logger, { target, reason: describeError(e) });
        return known;
      }
    }
    return known;
  }

  private refreshIfStale(target: string, shape: StreamShape): void {
    if (this.refreshing.has(target)) return;
    if ((this.o.now ?? Date.now)() - shape.at < (this.o.resolveEveryMs ?? 30_000)) return;
    this.refreshing.add(target);
    this.rolledOver(target)
      .catch((e: unknown) => {
        this.disabled = true;
        esKnownIdsCheckUnavailable(this.o.logger, { target, reason: describeError(e) });
      })
      .finally(() => this.refreshing.delete(target));
  }

  /**
   * Whether `target` has more than one backing index (a missing stream or a plain index: no). Asked again
   * after `resolveEveryMs`, so a rollover during a long replay is noticed.
   */
  private async rolledOver(target: string): Promise<boolean> {
    const now = (this.o.now ?? Date.now)();
    const cached = this.shapes.get(target);
    if (cached && now - cached.at < (this.o.resolveEveryMs ?? 30_000)) return cached.rolledOver;
    let rolledOver: boolean;
    try {
      const r = await this.o.client.indices.resolveIndex({ name: target });
      const ds = r.data_streams?.find((d) => d.name === target);
      const backing = ds?.backing_indices;
      rolledOver = Array.isArray(backing) && backing.length > 1;
    } catch (e) {
      // 404: no such stream yet, so nothing stored before. Anything else is thrown to disable the check.
      if ((e as { meta?: { statusCode?: number } }).meta?.statusCode !== 404) throw e;
      rolledOver = false;
    }
    this.shapes.set(target, { rolledOver, at: now });
    return rolledOver;
  }
}
