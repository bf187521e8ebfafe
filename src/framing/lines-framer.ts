// 'lines' framing: one record per LF- or CRLF-terminated line. Empty lines are consumed without a record.
// While tailing, a last line without a line end waits for more bytes; `end()` emits it.

import type { FramedRecord } from './framer.types.js';
import { LineFramerBase } from './line-framer-base.js';
import { tooLargeError } from './text-units.js';

export class LinesFramer extends LineFramerBase {
  private line = 0;

  protected drain(_final: boolean): FramedRecord[] {
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
