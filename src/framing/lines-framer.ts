// 'lines' framing: one record per LF- or CRLF-terminated line. Empty lines are consumed without a record.
// While tailing, a last line without a line end waits for more bytes; `end()` emits it.

import type { FramedRecord, Framer, FramerOptions } from './framer.types.js';
import { LineSplitter, type PhysicalLine } from './line-splitter.js';
import { tooLargeError } from './text-units.js';

export class LinesFramer implements Framer {
  readonly feedFrom: number;
  private readonly splitter: LineSplitter;
  private line = 0;
  private readonly lines: PhysicalLine[] = [];

  constructor(private readonly options: FramerOptions) {
    this.feedFrom = options.startOffset;
    this.splitter = new LineSplitter(options.encoding, options.maxRecordBytes, options.startOffset);
  }

  push(bytes: Buffer): FramedRecord[] {
    this.splitter.push(bytes, this.lines);
    return this.drain();
  }

  end(): FramedRecord[] {
    this.splitter.end(this.lines);
    return this.drain();
  }

  private drain(): FramedRecord[] {
    const out: FramedRecord[] = [];
    for (const l of this.lines) {
      this.line += 1;
      if (l.tooLong) {
        out.push({
          offset: l.offset,
          endOffset: l.endOffset,
          text: l.text,
          line: this.line,
          error: tooLargeError(l.offset, l.endOffset, this.options.maxRecordBytes),
        });
      } else if (l.text.length > 0) {
        out.push({ offset: l.offset, endOffset: l.endOffset, text: l.text, line: this.line });
      }
    }
    this.lines.length = 0;
    return out;
  }
}
