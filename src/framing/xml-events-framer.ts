// 'xml-events' framing: one record per whole `<Event ...>...</Event>` element, wherever it sits: one per line
// (wevtutil /f:xml), pretty-printed, or all on one line inside an `<Events>` root (Event Viewer "Save as
// XML"). Bytes between elements (XML declaration, the root tags, white space) belong to no record. The search
// runs on raw bytes in the file's encoding, so offsets are exact; only a finished element is decoded.
// Windows never nests <Event> elements, so the first `</Event>` after an opening tag closes it.

import type { FramedRecord, Framer, FramerOptions } from './framer.types.js';
import {
  RECORD_SAMPLE_BYTES,
  alignDown,
  decodeText,
  encodeAscii,
  findPattern,
  PendingBytes,
  tooLargeError,
  unitAt,
  unitBytes,
} from './text-units.js';

/** Code units that may follow `<Event` in a real opening tag (not `<Events`, `<EventData`, `<EventID`). */
const AFTER_NAME = new Set([0x20, 0x09, 0x0d, 0x0a, 0x3e /* > */, 0x2f /* / */]);

export class XmlEventsFramer implements Framer {
  readonly feedFrom: number;
  private readonly unit: number;
  private readonly open: Buffer;
  private readonly close: Buffer;
  private readonly pending: PendingBytes;
  private scanFrom = 0;
  /** Inside an element: its start offset (pending[0] is that byte unless discarding). */
  private inEvent = false;
  private eventStart = 0;
  private discardSample: string | undefined;

  constructor(private readonly options: FramerOptions) {
    this.feedFrom = options.startOffset;
    this.pending = new PendingBytes(options.encoding, options.startOffset);
    this.unit = unitBytes(options.encoding);
    this.open = encodeAscii(options.encoding, '<Event');
    this.close = encodeAscii(options.encoding, '</Event>');
  }

  push(bytes: Buffer): FramedRecord[] {
    const enc = this.options.encoding;
    const joined = this.pending.join(bytes);
    if (!joined) return [];
    const { data, base } = joined;
    const out: FramedRecord[] = [];
    let keepFrom = 0; // bytes before this index are no longer needed
    let from = this.scanFrom;
    for (;;) {
      if (!this.inEvent) {
        const i = this.findOpen(data, from, base);
        if (i < -1) {
          // `<Event` at the very end: the next unit decides.
          keepFrom = -i - 2;
          from = keepFrom;
          break;
        }
        if (i < 0) {
          keepFrom = Math.max(0, alignDown(data.length - this.open.length + this.unit, this.unit));
          from = keepFrom;
          break;
        }
        this.inEvent = true;
        this.eventStart = base + i;
        keepFrom = i;
        from = i + this.open.length;
      }
      const j = findPattern(data, this.close, from, base, this.unit);
      if (j < 0) {
        const size = base + data.length - this.eventStart;
        if (this.discardSample === undefined && size > this.options.maxRecordBytes) {
          const s = this.eventStart - base;
          this.discardSample = decodeText(
            enc,
            data.subarray(s, s + alignDown(RECORD_SAMPLE_BYTES, this.unit)),
          );
        }
        if (this.discardSample !== undefined) {
          // Keep only enough to see a `</Event>` split across reads.
          keepFrom = Math.max(keepFrom, alignDown(data.length - this.close.length + this.unit, this.unit));
        }
        from = Math.max(keepFrom, alignDown(data.length - this.close.length + this.unit, this.unit));
        break;
      }
      const end = j + this.close.length;
      if (this.discardSample !== undefined || base + end - this.eventStart > this.options.maxRecordBytes) {
        const s = this.eventStart - base;
        const text =
          this.discardSample ??
          decodeText(enc, data.subarray(s, s + alignDown(RECORD_SAMPLE_BYTES, this.unit)));
        out.push({
          offset: this.eventStart,
          endOffset: base + end,
          text,
          error: tooLargeError(this.eventStart, base + end, this.options.maxRecordBytes),
        });
      } else {
        const s = this.eventStart - base;
        out.push({
          offset: this.eventStart,
          endOffset: base + end,
          text: decodeText(enc, data.subarray(s, end)),
        });
      }
      this.inEvent = false;
      this.discardSample = undefined;
      keepFrom = end;
      from = end;
    }
    keepFrom = Math.max(0, Math.min(keepFrom, data.length));
    this.pending.keep(data, base, keepFrom);
    this.scanFrom = Math.max(0, from - keepFrom);
    return out;
  }

  end(): FramedRecord[] {
    // An element left open at the end of a complete file is cut off: dead-letter what we have.
    if (!this.inEvent) return [];
    this.inEvent = false;
    const kept = this.pending.bytes;
    const s = this.eventStart - this.pending.start;
    const endOffset = this.pending.start + kept.length;
    const text =
      this.discardSample ??
      decodeText(this.options.encoding, kept.subarray(Math.max(0, s), Math.max(0, s) + RECORD_SAMPLE_BYTES));
    this.discardSample = undefined;
    return [
      {
        offset: this.eventStart,
        endOffset,
        text,
        error: {
          code: 'framing.truncated_record',
          reason: `<Event> element at offset ${this.eventStart} is not closed before the end of the file`,
        },
      },
    ];
  }

  /**
   * Index of a real `<Event` opening tag at or after `from`; -1 when there is none; `-(index + 2)` when a
   * `<Event` ends the data and the unit after it, which decides, has not arrived yet.
   */
  private findOpen(data: Buffer, from: number, base: number): number {
    let i = findPattern(data, this.open, from, base, this.unit);
    while (i >= 0) {
      const next = i + this.open.length;
      if (next + this.unit > data.length) return -(i + 2);
      if (AFTER_NAME.has(unitAt(this.options.encoding, data, next))) return i;
      i = findPattern(data, this.open, i + this.unit, base, this.unit);
    }
    return -1;
  }
}
