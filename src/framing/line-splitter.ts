// Cuts a byte stream into physical lines (LF or CRLF) in UTF-8 or UTF-16, with exact byte offsets. Memory is
// bounded: a line longer than `maxLineBytes` is not kept; only a sample of its start is, and it is reported as
// `tooLong` once its end is found (or at end of file), so that a resume offset is always a line start.

import type { TextEncoding } from './framer.types.js';
import { RECORD_SAMPLE_BYTES, alignDown, bomLength, decodeText, stripBom, unitBytes } from './text-units.js';

export interface PhysicalLine {
  readonly offset: number;
  /** Just after the line end (or the last byte, for a final line without one). */
  readonly endOffset: number;
  /** Decoded text without the line end; for a `tooLong` line, the decoded sample of its start. */
  readonly text: string;
  /** The line end as found: '\r\n', '\n', or '' for a final line without one. */
  readonly eol: string;
  readonly tooLong: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private readonly unit: number;
  private pending: Buffer = Buffer.alloc(0);
  private pendingOffset: number;
  /** Index in `pending` up to which no LF was found. */
  private scanFrom = 0;
  private bomChecked: boolean;
  private discard: { offset: number; sample: string } | undefined;

  constructor(
    private readonly enc: TextEncoding,
    private readonly maxLineBytes: number,
    startOffset: number,
  ) {
    this.unit = unitBytes(enc);
    this.pendingOffset = startOffset;
    this.bomChecked = startOffset !== 0;
  }

  /** Offset of the first byte not yet part of an emitted line. */
  get position(): number {
    return this.discard ? this.discard.offset : this.pendingOffset;
  }

  push(chunk: Buffer, out: PhysicalLine[]): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let base = this.pendingOffset;
    if (!this.bomChecked) {
      const stripped = stripBom(this.enc, data, base);
      if (!stripped) {
        this.pending = Buffer.from(data);
        return;
      }
      ({ data, base } = stripped);
      this.bomChecked = true;
      this.scanFrom = 0;
    }
    let start = 0;
    let from = this.scanFrom;
    for (;;) {
      const lf = this.findLf(data, from, base);
      if (lf < 0) break;
      const end = lf + this.unit;
      if (this.discard) {
        out.push({
          offset: this.discard.offset,
          endOffset: base + end,
          text: this.discard.sample,
          eol: '\n',
          tooLong: true,
        });
        this.discard = undefined;
      } else {
        let contentEnd = lf;
        let eol = '\n';
        if (contentEnd - start >= this.unit && this.isUnit(data, contentEnd - this.unit, CR)) {
          contentEnd -= this.unit;
          eol = '\r\n';
        }
        if (end - start > this.maxLineBytes) {
          out.push({
            offset: base + start,
            endOffset: base + end,
            text: this.sample(data, start, contentEnd),
            eol,
            tooLong: true,
          });
        } else {
          out.push({
            offset: base + start,
            endOffset: base + end,
            text: decodeText(this.enc, data.subarray(start, contentEnd)),
            eol,
            tooLong: false,
          });
        }
      }
      start = end;
      from = end;
    }
    const rest = data.length - start;
    if (!this.discard && rest > this.maxLineBytes) {
      this.discard = { offset: base + start, sample: this.sample(data, start, data.length) };
    }
    if (this.discard) {
      // Keep nothing of an over-long line but whole units (and a possible CR before the coming LF is irrelevant).
      start += alignDown(rest, this.unit);
    }
    const tail = data.subarray(start);
    // Copy small tails so a 64 KiB read buffer is not retained for a few bytes.
    this.pending = tail.length * 4 < data.length ? Buffer.from(tail) : tail;
    this.pendingOffset = base + start;
    // Whole units of the tail hold no LF; an incomplete last unit is searched again with the next bytes.
    this.scanFrom = alignDown(this.pending.length, this.unit);
  }

  /** The stream is complete: a final line without a line end is emitted. */
  end(out: PhysicalLine[]): void {
    if (!this.bomChecked) {
      const skip = bomLength(this.enc, this.pending);
      this.pending = this.pending.subarray(skip);
      this.pendingOffset += skip;
      this.bomChecked = true;
    }
    if (this.discard) {
      out.push({
        offset: this.discard.offset,
        endOffset: this.pendingOffset + this.pending.length,
        text: this.discard.sample,
        eol: '',
        tooLong: true,
      });
      this.discard = undefined;
    } else if (this.pending.length > 0) {
      let contentEnd = this.pending.length;
      let eol = '';
      if (contentEnd >= this.unit && this.isUnit(this.pending, contentEnd - this.unit, CR)) {
        contentEnd -= this.unit;
        eol = '\r';
      }
      out.push({
        offset: this.pendingOffset,
        endOffset: this.pendingOffset + this.pending.length,
        text: decodeText(this.enc, this.pending.subarray(0, contentEnd)),
        eol,
        tooLong: false,
      });
    }
    this.pendingOffset += this.pending.length;
    this.pending = Buffer.alloc(0);
    this.scanFrom = 0;
  }

  private sample(data: Buffer, start: number, end: number): string {
    return decodeText(
      this.enc,
      data.subarray(start, Math.min(end, start + alignDown(RECORD_SAMPLE_BYTES, this.unit))),
    );
  }

  private isUnit(data: Buffer, i: number, ascii: number): boolean {
    if (this.enc === 'utf8') return data[i] === ascii;
    if (this.enc === 'utf16le') return data[i] === ascii && data[i + 1] === 0;
    return data[i] === 0 && data[i + 1] === ascii;
  }

  /** Index of the first LF code unit at or after `from`, aligned to the file's units; -1 if none (yet). */
  private findLf(data: Buffer, from: number, base: number): number {
    if (this.enc === 'utf8') return data.indexOf(LF, from);
    const le = this.enc === 'utf16le';
    // In LE the LF byte is the first of its unit; in BE the second.
    let i = data.indexOf(LF, le ? from : from + 1);
    while (i >= 0) {
      const unitStart = le ? i : i - 1;
      if ((base + unitStart) % 2 === 0 && unitStart + 1 < data.length) {
        if (le ? data[i + 1] === 0 : data[unitStart] === 0) return unitStart;
      }
      i = data.indexOf(LF, i + 1);
    }
    return -1;
  }
}
