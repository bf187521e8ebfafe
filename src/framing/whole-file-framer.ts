// 'whole-file' framing: the entire file is one record, emitted by `end()` (the input calls it once the file is
// complete). A file over maxRecordBytes is not held: only a sample is kept and the record is dead-lettered.

import type { FramedRecord, Framer, FramerOptions } from './framer.types.js';
import {
  RECORD_SAMPLE_BYTES,
  alignDown,
  bomLength,
  decodeText,
  tooLargeError,
  unitBytes,
} from './text-units.js';

export class WholeFileFramer implements Framer {
  readonly feedFrom: number;
  private chunks: Buffer[] = [];
  private size = 0;
  private sample: Buffer | undefined;

  constructor(private readonly options: FramerOptions) {
    this.feedFrom = options.startOffset;
  }

  push(bytes: Buffer): FramedRecord[] {
    this.size += bytes.length;
    if (this.sample) return [];
    this.chunks.push(bytes);
    if (this.size > this.options.maxRecordBytes) {
      const all = Buffer.concat(this.chunks);
      this.sample = Buffer.from(
        all.subarray(0, alignDown(RECORD_SAMPLE_BYTES, unitBytes(this.options.encoding))),
      );
      this.chunks = [];
    }
    return [];
  }

  end(): FramedRecord[] {
    const start = this.options.startOffset;
    const endOffset = start + this.size;
    if (this.size === 0) return [];
    if (this.sample) {
      const text = decodeText(this.options.encoding, this.sample);
      this.sample = undefined;
      this.size = 0;
      return [
        {
          offset: start,
          endOffset,
          text,
          line: 1,
          error: tooLargeError(start, endOffset, this.options.maxRecordBytes),
        },
      ];
    }
    let all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    let offset = start;
    if (start === 0) {
      const skip = bomLength(this.options.encoding, all);
      all = all.subarray(skip);
      offset += skip;
    }
    const text = decodeText(this.options.encoding, all);
    if (text.trim().length === 0) return [];
    return [{ offset, endOffset, text, line: 1 }];
  }
}
