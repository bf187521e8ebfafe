// 'json' framing: one record per top-level JSON value. NDJSON (one value per line), concatenated values, and
// a top-level array (PowerShell ConvertTo-Json of several events) whose elements each become a record. A
// scanner tracks string/escape state and nesting depth on raw code units, so offsets are exact and values are
// never parsed here (the parser does that). A record's endOffset is just after its value: a resume point
// then sees the following `,` or `]` and knows it is inside a top-level array.

import type { FramedRecord, Framer, FramerOptions } from './framer.types.js';
import {
  RECORD_SAMPLE_BYTES,
  alignDown,
  decodeText,
  PendingBytes,
  tooLargeError,
  unitAt,
  unitBytes,
} from './text-units.js';

const WS = new Set([0x20, 0x09, 0x0d, 0x0a, 0xfeff]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

type Mode = 'gap' | 'value' | 'scalar';

export class JsonFramer implements Framer {
  readonly feedFrom: number;
  private readonly unit: number;
  private readonly pending: PendingBytes;
  private scanFrom = 0;
  private mode: Mode = 'gap';
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Inside a top-level array; undefined after a resume until the next `,`, `]` or value tells. */
  private inTopArray: boolean | undefined;
  private valueStart = 0;
  private discardSample: string | undefined;

  constructor(private readonly options: FramerOptions) {
    this.feedFrom = options.startOffset;
    this.pending = new PendingBytes(options.encoding, options.startOffset);
    this.inTopArray = options.startOffset === 0 ? false : undefined;
    this.unit = unitBytes(options.encoding);
  }

  push(bytes: Buffer): FramedRecord[] {
    const enc = this.options.encoding;
    const joined = this.pending.join(bytes);
    if (!joined) return [];
    const { data, base } = joined;
    const out: FramedRecord[] = [];
    const unit = this.unit;
    const limit = data.length - (data.length % unit);
    let keepFrom = this.mode === 'gap' ? this.scanFrom : 0;
    let i = this.scanFrom;
    while (i < limit) {
      const u = unitAt(enc, data, i);
      if (this.mode === 'gap') {
        if (WS.has(u)) {
          // white space between values
        } else if (u === COMMA) {
          this.inTopArray ??= true;
        } else if (u === CLOSE_BRACKET) {
          this.inTopArray = false;
        } else if (u === OPEN_BRACKET && this.inTopArray !== true) {
          this.inTopArray = true;
        } else {
          this.mode = u === OPEN_BRACE || u === OPEN_BRACKET || u === QUOTE ? 'value' : 'scalar';
          this.inTopArray ??= false;
          this.valueStart = base + i;
          this.depth = u === QUOTE ? 0 : this.mode === 'value' ? 1 : 0;
          this.inString = u === QUOTE;
          this.escape = false;
          keepFrom = i;
        }
        i += unit;
        if (this.mode === 'gap') keepFrom = i;
        continue;
      }
      if (this.mode === 'scalar') {
        if (
          WS.has(u) ||
          u === COMMA ||
          u === CLOSE_BRACKET ||
          u === CLOSE_BRACE ||
          u === OPEN_BRACE ||
          u === OPEN_BRACKET ||
          u === QUOTE
        ) {
          this.emit(out, data, base, i);
          keepFrom = i;
          continue; // re-read this unit in gap mode
        }
        i += unit;
        continue;
      }
      // mode === 'value'
      i += unit;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (u === BACKSLASH) this.escape = true;
        else if (u === QUOTE) {
          this.inString = false;
          if (this.depth === 0) {
            this.emit(out, data, base, i);
            keepFrom = i;
          }
        }
      } else if (u === QUOTE) {
        this.inString = true;
      } else if (u === OPEN_BRACE || u === OPEN_BRACKET) {
        this.depth += 1;
      } else if (u === CLOSE_BRACE || u === CLOSE_BRACKET) {
        this.depth -= 1;
        if (this.depth === 0) {
          this.emit(out, data, base, i);
          keepFrom = i;
        }
      }
    }
    if (this.mode !== 'gap') {
      const size = base + limit - this.valueStart;
      if (this.discardSample === undefined && size > this.options.maxRecordBytes) {
        const s = this.valueStart - base;
        this.discardSample = decodeText(enc, data.subarray(s, s + alignDown(RECORD_SAMPLE_BYTES, unit)));
      }
      keepFrom = this.discardSample !== undefined ? limit : Math.min(keepFrom, this.valueStart - base);
    }
    keepFrom = Math.max(0, Math.min(keepFrom, data.length));
    this.pending.keep(data, base, keepFrom);
    this.scanFrom = limit - keepFrom;
    return out;
  }

  end(): FramedRecord[] {
    if (this.mode === 'gap') return [];
    const out: FramedRecord[] = [];
    const kept = this.pending.bytes;
    const endOffset = this.pending.start + kept.length;
    if (this.mode === 'scalar' && this.discardSample === undefined) {
      this.emit(out, kept, this.pending.start, kept.length);
      return out;
    }
    const s = Math.max(0, this.valueStart - this.pending.start);
    out.push({
      offset: this.valueStart,
      endOffset,
      text:
        this.discardSample ?? decodeText(this.options.encoding, kept.subarray(s, s + RECORD_SAMPLE_BYTES)),
      error: {
        code: 'framing.truncated_record',
        reason: `JSON value at offset ${this.valueStart} is not complete at the end of the file`,
      },
    });
    this.mode = 'gap';
    this.discardSample = undefined;
    return out;
  }

  /** The value that started at valueStart ends just before data[end]. */
  private emit(out: FramedRecord[], data: Buffer, base: number, end: number): void {
    const endOffset = base + end;
    if (this.discardSample !== undefined || endOffset - this.valueStart > this.options.maxRecordBytes) {
      const s = this.valueStart - base;
      out.push({
        offset: this.valueStart,
        endOffset,
        text:
          this.discardSample ??
          decodeText(this.options.encoding, data.subarray(s, s + alignDown(RECORD_SAMPLE_BYTES, this.unit))),
        error: tooLargeError(this.valueStart, endOffset, this.options.maxRecordBytes),
      });
    } else {
      out.push({
        offset: this.valueStart,
        endOffset,
        text: decodeText(this.options.encoding, data.subarray(this.valueStart - base, end)),
      });
    }
    this.mode = 'gap';
    this.discardSample = undefined;
  }
}
