// 'csv-rows' framing: one record per CSV row (RFC 4180 quoting: a quoted field may hold commas, doubled
// quotes and line ends). Lines starting with '#' outside a row (`#TYPE ...`, W3C directives) and header rows
// are records of their own; the parser decides what they mean. A row's text keeps its inner line ends as
// found in the file. An unclosed quote cannot swallow the file: once a row passes maxRecordBytes it is cut
// at the current line end, dead-lettered, and framing resynchronises on the next line.

import type { FramedRecord } from './framer.types.js';
import { LineFramerBase } from './line-framer-base.js';
import { tooLargeError } from './text-units.js';

interface Row {
  readonly offset: number;
  readonly line: number;
  parts: string[];
  bytes: number;
  quotes: number;
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n += 1;
  return n;
}

export class CsvRowsFramer extends LineFramerBase {
  private line = 0;
  private row: Row | undefined;

  protected drain(final: boolean): FramedRecord[] {
    const out: FramedRecord[] = [];
    for (const l of this.lines) {
      this.line += 1;
      if (l.tooLong) {
        // An over-long physical line: whatever row it belonged to is cut here.
        const offset = this.row ? this.row.offset : l.offset;
        const line = this.row ? this.row.line : this.line;
        this.row = undefined;
        out.push({
          offset,
          endOffset: l.endOffset,
          text: l.text,
          line,
          error: tooLargeError(offset, l.endOffset, this.options.maxRecordBytes),
        });
        continue;
      }
      if (!this.row) {
        if (l.text.length === 0) continue;
        if (l.text.startsWith('#')) {
          out.push({ offset: l.offset, endOffset: l.endOffset, text: l.text, line: this.line });
          continue;
        }
        this.row = { offset: l.offset, line: this.line, parts: [], bytes: 0, quotes: 0 };
      }
      const row = this.row;
      row.parts.push(l.text);
      row.bytes = l.endOffset - row.offset;
      // Quote state is the parity of the quotes seen in the row so far ("" counts twice: no change).
      row.quotes += countQuotes(l.text);
      const open = row.quotes % 2 === 1;
      if (row.bytes > this.options.maxRecordBytes) {
        this.row = undefined;
        out.push({
          offset: row.offset,
          endOffset: l.endOffset,
          text: row.parts.join('\n').slice(0, 4096),
          line: row.line,
          error: tooLargeError(row.offset, l.endOffset, this.options.maxRecordBytes),
        });
      } else if (!open || l.eol === '') {
        this.row = undefined;
        out.push({ offset: row.offset, endOffset: l.endOffset, text: row.parts.join(''), line: row.line });
      } else {
        row.parts.push(l.eol);
      }
    }
    this.lines.length = 0;
    if (final && this.row) {
      // A row whose quote never closed, at the end of a complete file.
      const row = this.row;
      this.row = undefined;
      row.parts.pop(); // the line end after the last line
      out.push({
        offset: row.offset,
        endOffset: row.offset + row.bytes,
        text: row.parts.join(''),
        line: row.line,
      });
    }
    return out;
  }
}
