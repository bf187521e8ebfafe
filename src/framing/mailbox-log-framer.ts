// 'mailbox-log' framing for Get-MobileDeviceStatistics -GetMailboxLog reports: one record per `Log Entry`
// block. Exchange writes "\r\n-----------------\r\n Log Entry: N\r\n-----------------\r\n\r\n" before every
// entry (eas-formats.md 1.2), so an entry starts at a 17-hyphen line that is followed by ` Log Entry: N` and
// runs to the next such pair. A hyphen line not followed by `Log Entry` is ordinary content (it is held for
// one line of lookahead only). Text before the first entry is a record of its own unless it is blank.
// Record text keeps the file's line ends and drops trailing blank lines; endOffset covers them, so a resume
// offset is always the start of an entry's separator.

import type { FramedRecord } from './framer.types.js';
import { LineFramerBase } from './line-framer-base.js';
import type { PhysicalLine } from './line-splitter.js';
import { RECORD_SAMPLE_BYTES, tooLargeError } from './text-units.js';

const SEPARATOR = /^-{17}\s*$/;
const ENTRY = /^\s*Log Entry:\s*\d+\s*$/;

interface Entry {
  readonly offset: number;
  readonly line: number;
  endOffset: number;
  parts: string[];
  tooLong: boolean;
  blank: boolean;
}

export class MailboxLogFramer extends LineFramerBase {
  private line = 0;
  private entry: Entry | undefined;
  private held: { line: PhysicalLine; number: number } | undefined;

  protected drain(final: boolean): FramedRecord[] {
    const out: FramedRecord[] = [];
    for (const l of this.lines) {
      this.line += 1;
      const held = this.held;
      if (held) {
        this.held = undefined;
        if (!l.tooLong && ENTRY.test(l.text)) {
          this.flush(out);
          this.entry = this.newEntry(held.line, held.number);
          this.append(this.entry, held.line);
          this.append(this.entry, l);
          continue;
        }
        this.appendLine(held.line, held.number);
      }
      if (!l.tooLong && SEPARATOR.test(l.text)) {
        this.held = { line: l, number: this.line };
        continue;
      }
      this.appendLine(l, this.line);
    }
    this.lines.length = 0;
    if (final) {
      if (this.held) this.appendLine(this.held.line, this.held.number);
      this.held = undefined;
      this.flush(out);
    }
    return out;
  }

  private newEntry(l: PhysicalLine, line: number): Entry {
    return {
      offset: l.offset,
      line,
      endOffset: l.offset,
      parts: [],
      tooLong: false,
      blank: true,
    };
  }

  private appendLine(l: PhysicalLine, line: number): void {
    this.entry ??= this.newEntry(l, line);
    this.append(this.entry, l);
  }

  private append(e: Entry, l: PhysicalLine): void {
    e.endOffset = l.endOffset;
    if (l.text.trim().length > 0) e.blank = false;
    if (e.tooLong) return;
    if (l.tooLong || e.endOffset - e.offset > this.options.maxRecordBytes) {
      // Keep a sample only; the entry is dead-lettered when its end is found.
      e.tooLong = true;
      const sample = (e.parts.join('') + l.text).slice(0, RECORD_SAMPLE_BYTES);
      e.parts = [sample];
      return;
    }
    e.parts.push(l.text, l.eol);
  }

  private flush(out: FramedRecord[]): void {
    const e = this.entry;
    this.entry = undefined;
    if (!e || e.blank) return;
    if (e.tooLong) {
      out.push({
        offset: e.offset,
        endOffset: e.endOffset,
        text: e.parts.join(''),
        line: e.line,
        error: tooLargeError(e.offset, e.endOffset, this.options.maxRecordBytes),
      });
      return;
    }
    out.push({
      offset: e.offset,
      endOffset: e.endOffset,
      text: e.parts.join('').replace(/(?:\r?\n|\r)+$/, ''),
      line: e.line,
    });
  }
}
