// Between the delivery sink and the disk spool: writes a batch to a segment (the documents are then settled as
// spooled), and turns the oldest segment back into a batch to re-send. Entries from the spool carry their
// segment, which is deleted when its last document is delivered or dead-lettered.

import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import { describeError } from '../../pipeline/errors.js';
import { redactText } from '../../pipeline/redact.js';
import type { Logger } from '../../telemetry/logger.types.js';
import {
  esOutputInternalError,
  esSpoolCorrupt,
  esSpoolDrained,
  esSpoolDroppedOldest,
  esSpoolFull,
} from '../../telemetry/elasticsearch-events.js';
import type { EsMetrics } from '../../telemetry/elasticsearch-events.js';
import type { Batch, Entry, LoadedSegment } from './batch.js';
import { batchBody } from './batch.js';
import { NdjsonBuffer } from './ndjson-buffer.js';
import { parseSegment } from './spool.js';
import type { Spool } from './spool.js';

export interface SpoolBridgeOptions {
  readonly spool: Spool;
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: EsMetrics;
  readonly deadLetters: DeadLetterSink;
  readonly now: () => number;
}

export class SpoolBridge {
  private fullReported = false;

  constructor(private readonly o: SpoolBridgeOptions) {}

  /**
   * Write a memory batch to the spool. True when it is durably there (the caller settles its entries as
   * spooled); false when the spool is full or cannot be written (the batch stays in memory).
   */
  write(batch: Batch, dropped: (documents: number) => void): boolean {
    const { spool: sp, name, logger, metrics: m } = this.o;
    const body = batchBody(batch);
    let appended: ReturnType<Spool['append']>;
    try {
      appended = sp.append(body, batch.entries.length);
    } catch (e) {
      // Disk full or not writable: the batch stays in memory (and memory backpressure pauses the inputs).
      esOutputInternalError(logger, { output: name, reason: redactText(describeError(e)) });
      return false;
    }
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

  /** The oldest segment not being sent, as a batch; unreadable items are dead-lettered. */
  load(): Batch | undefined {
    const { spool: sp, name, logger, deadLetters } = this.o;
    for (;;) {
      const taken = sp.takeOldest();
      if (!taken) return undefined;
      const { items, bad } = parseSegment(taken.body);
      const seg: LoadedSegment = { segment: taken.segment, outstanding: items.length };
      if (bad.length > 0) {
        esSpoolCorrupt(logger, {
          output: name,
          segment: taken.segment.file,
          reason: `${bad.length} unreadable item(s)`,
        });
        for (const raw of bad) {
          deadLetters.write({
            time: new Date(this.o.now()).toISOString(),
            stage: 'output',
            code: 'spool.corrupt',
            reason: 'unreadable spool item',
            record: redactText(raw.slice(0, 64 * 1024)),
          });
        }
      }
      if (items.length === 0) {
        void deadLetters.flush().then(() => this.remove(seg));
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

  /** Delete a segment whose documents are all settled. */
  remove(seg: LoadedSegment): void {
    const { spool: sp, name, logger, metrics: m } = this.o;
    sp.remove(seg.segment);
    m.spoolBytes.set({ output: name }, sp.bytes);
    if (!sp.hasData) esSpoolDrained(logger, { output: name, dir: sp.dir });
  }
}
