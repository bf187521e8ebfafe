// Between the delivery sink and the disk spool: writes a batch to a segment (the documents are then settled as
// spooled), and turns the oldest segment back into batches to re-send, one slice of about a batch at a time.
// Entries from the spool carry their segment, which is deleted when it has been read to its end and its last
// document is delivered or dead-lettered.
// Damage is accounted per segment: documents the segment's name promises but the parser could not recover are
// reported as lost (log event, `casguard_es_spool_documents_lost_total`), the damaged bytes go to the
// dead-letter file in runs; an unreadable segment is set aside (Spool) and reported. A failed write (full disk)
// is one disk-outage report until a write succeeds again, not a line per batch.

import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import { redactText } from '../../pipeline/redact.js';
import type { Logger } from '../../telemetry/logger.types.js';
import {
  esSpoolDamaged,
  esSpoolDrained,
  esSpoolDroppedOldest,
  esSpoolFull,
  esSpoolSegmentSetAside,
} from '../../telemetry/elasticsearch-events.js';
import type { EsMetrics } from '../../telemetry/elasticsearch-events.js';
import { DiskOutage } from '../disk/disk-outage.js';
import type { Batch, Entry, LoadedSegment } from './batch.js';
import { batchBody, explicitBody } from './batch.js';
import { NdjsonBuffer } from './ndjson-buffer.js';
import type { SegmentReader, Spool, SpoolSegment } from './spool.js';
import { SegmentParser } from './spool-segment-parser.js';
import type { DamagedRun, SpooledItem } from './spool-segment-parser.js';

export interface SpoolBridgeOptions {
  readonly spool: Spool;
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: EsMetrics;
  readonly deadLetters: DeadLetterSink;
  /** About how many bytes of a segment become one batch. */
  readonly sliceBytes: number;
  readonly now: () => number;
  /** Called after a segment was deleted (waiters for an empty spool), and when loading paused (see load). */
  readonly wake: () => void;
}

interface Reading {
  readonly loaded: LoadedSegment;
  readonly reader: SegmentReader;
  readonly parser: SegmentParser;
}

export class SpoolBridge {
  private fullReported = false;
  private reading: Reading | undefined;
  private readonly outage: DiskOutage;

  constructor(private readonly o: SpoolBridgeOptions) {
    // While writes fail, the disk is probed with backoff, so the outage ends (and /health recovers) when space
    // returns even if nothing needs spooling by then; the sink is woken to spill what waits.
    this.outage = new DiskOutage({
      path: 'spool',
      logger: o.logger,
      retry: () => {
        try {
          o.spool.probe();
        } catch (e) {
          this.outage.failed(o.spool.dir, e);
          return;
        }
        this.outage.succeeded(o.spool.dir);
        o.wake();
      },
      maxDelayMs: 30_000,
    });
    this.reportSetAside();
  }

  /**
   * Write a memory batch to the spool. True when it is durably there (the caller settles its entries as
   * spooled); false when the spool is full or cannot be written (the batch stays in memory).
   */
  write(batch: Batch, dropped: (documents: number) => void): boolean {
    const { spool: sp, name, logger, metrics: m } = this.o;
    // Spooled action lines always name their index: a segment is read back by them (and may be sent with others).
    const body = batch.entries.some((e) => e.implicitIndex) ? explicitBody(batch.entries) : batchBody(batch);
    let appended: ReturnType<Spool['append']>;
    try {
      appended = sp.append(body, batch.entries.length);
    } catch (e) {
      // Disk full or not writable: the batch stays in memory (and memory backpressure pauses the inputs).
      this.outage.failed(sp.dir, e);
      return false;
    }
    this.outage.succeeded(sp.dir);
    m.spoolBytes.set({ output: name }, sp.bytes);
    for (const d of appended.dropped) {
      dropped(d.documents);
      m.dropped.inc({ output: name }, d.documents);
      esSpoolDroppedOldest(logger, { output: name, ...d });
    }
    if (!appended.ok) {
      if (!this.fullReported) {
        this.fullReported = true;
        esSpoolFull(logger, { output: name, bytes: sp.bytes, maxBytes: sp.maxBytes, whenFull: sp.whenFull });
      }
      return false;
    }
    this.fullReported = false;
    m.spooled.inc({ output: name }, batch.entries.length);
    return true;
  }

  /**
   * The next slice of the oldest segment as a batch; undefined when nothing is left to load, or when a long
   * damaged stretch was skipped (then `wake` is called on the next turn of the event loop, so reading a huge
   * damaged segment never blocks requests in flight).
   */
  load(): Batch | undefined {
    let budget = 4 * this.o.sliceBytes;
    for (;;) {
      if (budget <= 0) {
        setImmediate(this.o.wake);
        return undefined;
      }
      if (!this.reading) {
        const taken = this.o.spool.takeOldest();
        this.reportSetAside();
        if (!taken) return undefined;
        this.reading = {
          loaded: { segment: taken.segment, outstanding: 0, complete: false },
          reader: taken.reader,
          parser: new SegmentParser(),
        };
      }
      const r = this.reading;
      let slice: ReturnType<SegmentReader['next']>;
      try {
        slice = r.reader.next(this.o.sliceBytes);
      } catch (e) {
        // An I/O error midway: what was read is being sent; the rest is set aside with the file.
        this.finish(r);
        this.o.spool.readFailed(r.loaded.segment, e);
        this.reportSetAside();
        continue;
      }
      if (slice) budget -= slice.text.length + slice.skipped;
      let found: { items: SpooledItem[]; damaged: DamagedRun[] };
      if (slice === undefined) {
        found = r.parser.end();
      } else {
        if (slice.skipped > 0) r.parser.skipped(slice.skipped);
        found = r.parser.parse(slice.text);
      }
      this.deadLetterDamage(r.loaded.segment, found.damaged);
      if (slice === undefined) this.finish(r);
      if (found.items.length > 0) return this.batchOf(found.items, r.loaded);
      if (slice === undefined) {
        if (r.loaded.outstanding === 0) this.removeAfterDeadLetters(r.loaded);
        continue;
      }
    }
  }

  /** True when a segment (or the rest of one) can be loaded, with fewer than `maxLoaded` segments loaded. */
  canLoad(maxLoaded: number): boolean {
    const sp = this.o.spool;
    return this.reading !== undefined || (sp.hasUnloaded() && sp.loadedCount < maxLoaded);
  }

  /** A segment's documents are all settled and it was read to its end: delete it (its dead letters first). */
  settled(seg: LoadedSegment): void {
    if (seg.complete && seg.outstanding === 0) this.removeAfterDeadLetters(seg);
  }

  /** No more disk probes (stopping). */
  stopRetries(): void {
    this.outage.close();
  }

  close(): void {
    this.outage.close();
    this.reading?.reader.close();
    this.reading = undefined;
  }

  private batchOf(items: SpooledItem[], loaded: LoadedSegment): Batch {
    const bytes = items.reduce((n, it) => n + it.lines.length, 0);
    const nd = new NdjsonBuffer(Math.max(bytes, 1024), bytes * 3);
    loaded.outstanding += items.length;
    const entries: Entry[] = items.map((it) => {
      const start = nd.len;
      nd.write(it.lines);
      return {
        op: it.op,
        target: it.index,
        implicitIndex: false,
        nd,
        start,
        end: nd.len,
        attempts: 0,
        onSettled: undefined,
        seg: loaded,
      };
    });
    return { entries, attempts: 0, notBefore: 0 };
  }

  /** The segment was read to its end (or could not be read further): account for what it promised. */
  private finish(r: Reading): void {
    r.reader.close();
    this.reading = undefined;
    r.loaded.complete = true;
    const seg = r.loaded.segment;
    const lost = Math.max(0, seg.docs - r.parser.recovered);
    if (lost > 0 || r.parser.damagedBytes > 0) {
      esSpoolDamaged(this.o.logger, {
        output: this.o.name,
        segment: seg.file,
        documents: seg.docs,
        recovered: r.parser.recovered,
        lostDocuments: lost,
        damagedBytes: r.parser.damagedBytes,
      });
    }
  }

  private deadLetterDamage(seg: SpoolSegment, runs: readonly DamagedRun[]): void {
    for (const run of runs) {
      this.o.deadLetters.write({
        time: new Date(this.o.now()).toISOString(),
        stage: 'output',
        code: 'spool.damaged',
        reason: `${run.bytes} damaged bytes in spool segment ${seg.file}; the documents in them could not be recovered`,
        record: redactText(run.text),
      });
    }
  }

  private reportSetAside(): void {
    for (const s of this.o.spool.takeSetAside()) {
      esSpoolSegmentSetAside(this.o.logger, {
        output: this.o.name,
        segment: s.segment,
        documents: s.documents,
        code: s.code,
        reason: s.reason,
        ...(s.movedTo !== undefined ? { movedTo: s.movedTo } : {}),
      });
    }
  }

  private removeAfterDeadLetters(seg: LoadedSegment): void {
    this.o.deadLetters
      .flush()
      .then(() => this.remove(seg))
      .catch(() => undefined); // kept: re-sent at the next start ('create' + ids make that harmless)
  }

  private remove(seg: LoadedSegment): void {
    const { spool: sp, name, logger, metrics: m } = this.o;
    sp.remove(seg.segment);
    m.spoolBytes.set({ output: name }, sp.bytes);
    if (!sp.hasData) esSpoolDrained(logger, { output: name, dir: sp.dir });
    this.o.wake();
  }
}
