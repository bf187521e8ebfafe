// The skeleton of every framing built on physical lines (lines, CSV rows, mailbox-log entries): bytes go through
// one LineSplitter (exact offsets in the file's encoding), and each framer only decides how lines group into
// records in `drain`.

import type { FramedRecord, Framer, FramerOptions } from './framer.types.js';
import { LineSplitter, type PhysicalLine } from './line-splitter.js';

export abstract class LineFramerBase implements Framer {
  readonly feedFrom: number;
  private readonly splitter: LineSplitter;
  /** Lines split since the last drain; `drain` consumes and clears them. */
  protected readonly lines: PhysicalLine[] = [];

  constructor(protected readonly options: FramerOptions) {
    this.feedFrom = options.startOffset;
    this.splitter = new LineSplitter(options.encoding, options.maxRecordBytes, options.startOffset);
  }

  push(bytes: Buffer): FramedRecord[] {
    this.splitter.push(bytes, this.lines);
    return this.drain(false);
  }

  end(): FramedRecord[] {
    this.splitter.end(this.lines);
    return this.drain(true);
  }

  /** Group the pending lines into records; `final` when the file is complete (emit what is held). */
  protected abstract drain(final: boolean): FramedRecord[];
}
