// 'csv-rows' framing: one record per CSV row, for the Windows event exports (Event Viewer "Save as CSV" and
// "Save as Text", PowerShell Export-Csv), whose quoted message fields legitimately span lines. RFC 4180 quoting:
// a field that starts with `"` is quoted and may hold delimiters, doubled quotes and line ends; a quote anywhere
// else is a literal character. Both `,` and TAB count as delimiters (Event Viewer's text export is the CSV with
// TABs): in a well-formed export an unquoted field never holds a quote, so this cannot misread one. Lines
// starting with '#' outside a row (`#TYPE ...`) and header rows are records of their own; the parser decides
// what they mean. A row's text keeps its inner line ends as found in the file.
//
// A stray quote must cost one record, not the rows after it. A row continues past a line end only while a
// quoted field is open, and is resynchronised when it turns out not to be one row:
// - a quoted field that spans lines and then closes with text after the quote (`"...\r\nnext row,"x`: the next
//   quote the stray one meets is almost always another row's opening quote) is malformed;
// - a quoted field still open after maxRecordBytes, or at the end of a complete file, is unclosed.
// Either way the row's first line becomes a dead letter (`framing.csv_unclosed_quote`, its offset and line) and
// the lines held after it are framed again from a clean state, so the good rows that followed are kept. A
// malformed single-line row is handed on as it is: the parser reports it as one dead letter.
// (HttpProxy logs do not use this framing: Exchange's CSV writer escapes line ends, so their records are
// lines.)

import type { FramedRecord } from './framer.types.js';
import { LineFramerBase } from './line-framer-base.js';
import type { PhysicalLine } from './line-splitter.js';
import { tooLargeError } from './text-units.js';

/** Scanner state at a point of a row. */
const enum Q {
  /** At the start of a field: a quote here opens a quoted field. */
  FieldStart,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: `"` (escaped quote), a delimiter or the line end must follow. */
  QuoteSeen,
  /** Text followed a closing quote: the row is malformed (it ends at this line's end). */
  Broken,
}

interface HeldLine {
  readonly line: PhysicalLine;
  /** 1-based line number in the reading. */
  readonly no: number;
}

interface Row {
  readonly first: HeldLine;
  readonly held: HeldLine[];
  state: Q;
}

/** The scanner state after `text`, starting in `state`. */
function scan(text: string, state: Q): Q {
  let s = state;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    switch (s) {
      case Q.FieldStart:
        s = c === 34 ? Q.Quoted : c === 44 || c === 9 ? Q.FieldStart : Q.Unquoted;
        break;
      case Q.Unquoted:
        if (c === 44 || c === 9) s = Q.FieldStart;
        break;
      case Q.Quoted: {
        const q = text.indexOf('"', i);
        if (q < 0) return Q.Quoted;
        i = q;
        s = Q.QuoteSeen;
        break;
      }
      case Q.QuoteSeen:
        s = c === 34 ? Q.Quoted : c === 44 || c === 9 ? Q.FieldStart : Q.Broken;
        break;
      case Q.Broken:
        return Q.Broken;
    }
  }
  return s;
}

export class CsvRowsFramer extends LineFramerBase {
  private line = 0;
  private row: Row | undefined;

  protected drain(final: boolean): FramedRecord[] {
    const out: FramedRecord[] = [];
    const fresh: HeldLine[] = this.lines.map((l) => ({ line: l, no: ++this.line }));
    this.lines.length = 0;
    this.frame(fresh, out);
    // A quoted field still open at the end of a complete file: cut, and frame what it held again (each round
    // dead-letters one line, so this ends).
    while (final && this.row) {
      if (this.row.held.length > 1) this.frame(this.takeRow(out), out);
      else {
        // One line: handed on as it is, the parser reports the unclosed quote.
        out.push(rowRecord(this.row));
        this.row = undefined;
      }
    }
    return out;
  }

  /** Group lines into rows; lines handed back by a resynchronisation are framed again, in order. */
  private frame(lines: HeldLine[], out: FramedRecord[]): void {
    let queue = lines;
    for (let i = 0; i < queue.length; i++) {
      const h = queue[i]!;
      const l = h.line;
      if (l.tooLong) {
        // An over-long physical line: an open row before it is resynchronised first.
        if (this.row) {
          const back = this.takeRow(out);
          queue = [...back, ...queue.slice(i)];
          i = -1;
          continue;
        }
        out.push({
          offset: l.offset,
          endOffset: l.endOffset,
          text: l.text,
          line: h.no,
          error: tooLargeError(l.offset, l.endOffset, this.options.maxRecordBytes),
        });
        continue;
      }
      let row = this.row;
      if (!row) {
        if (l.text.length === 0) continue;
        if (l.text.startsWith('#')) {
          out.push({ offset: l.offset, endOffset: l.endOffset, text: l.text, line: h.no });
          continue;
        }
        row = { first: h, held: [], state: Q.FieldStart };
        this.row = row;
      }
      row.held.push(h);
      row.state = scan(l.text, row.state);
      const multiLine = row.held.length > 1;
      const cut =
        // a quoted field that crossed a line end and then closed with text after its quote was not one field
        (row.state === Q.Broken && multiLine) ||
        // still open: at the end of a complete file (a last line has no line end), or past the size bound
        (row.state === Q.Quoted &&
          (l.eol === '' ? multiLine : l.endOffset - row.first.line.offset > this.options.maxRecordBytes));
      if (cut) {
        const back = this.takeRow(out);
        queue = [...back, ...queue.slice(i + 1)];
        i = -1;
      } else if (row.state !== Q.Quoted || l.eol === '') {
        this.row = undefined;
        out.push(rowRecord(row));
      }
      // else: the line end is inside a quoted field; the row goes on with the next line
    }
  }

  /** Dead-letter the open row's first line and return the lines held after it (to be framed again). */
  private takeRow(out: FramedRecord[]): HeldLine[] {
    const row = this.row!;
    this.row = undefined;
    const { line: first, no } = row.first;
    out.push({
      offset: first.offset,
      endOffset: first.endOffset,
      text: first.text,
      line: no,
      error: {
        code: 'framing.csv_unclosed_quote',
        reason:
          'a quoted field opened in this CSV row does not close as a field does (a stray quote): the row is ' +
          'cut at its first line end and framing resumes on the next line',
      },
    });
    return row.held.slice(1);
  }
}

function rowRecord(row: Row): FramedRecord {
  const h = row.held;
  const first = row.first;
  const last = h[h.length - 1]!;
  let text = first.line.text;
  for (let i = 1; i < h.length; i++) text += h[i - 1]!.line.eol + h[i]!.line.text;
  return { offset: first.line.offset, endOffset: last.line.endOffset, text, line: first.no };
}
