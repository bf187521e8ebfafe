// Byte-level helpers shared by the text framers. Framers cut records on the raw bytes of the file, in the
// file's own encoding, so record offsets are exact byte offsets even when a line holds invalid sequences;
// only the bytes of a finished record are decoded (never fatally: invalid bytes become U+FFFD).
// UTF-16 files are handled as 2-byte code units; every structural character the framers look for is ASCII,
// so a search for its code unit at an even file offset is exact.

import { TextDecoder } from 'node:util';
import type { TextEncoding } from './framer.types.js';

/** Bytes kept from an over-long record for its dead letter. */
export const RECORD_SAMPLE_BYTES = 4096;

export const BOM: Readonly<Record<TextEncoding, Buffer>> = {
  utf8: Buffer.from([0xef, 0xbb, 0xbf]),
  utf16le: Buffer.from([0xff, 0xfe]),
  utf16be: Buffer.from([0xfe, 0xff]),
};

export function unitBytes(enc: TextEncoding): number {
  return enc === 'utf8' ? 1 : 2;
}

const decoders: Record<TextEncoding, TextDecoder> = {
  utf8: new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }),
  utf16le: new TextDecoder('utf-16le', { fatal: false, ignoreBOM: true }),
  utf16be: new TextDecoder('utf-16be', { fatal: false, ignoreBOM: true }),
};

/** Decode a complete record; invalid or truncated sequences become U+FFFD instead of failing. */
export function decodeText(enc: TextEncoding, bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  return decoders[enc].decode(bytes);
}

/** An ASCII string in the file's encoding, for byte searches. */
export function encodeAscii(enc: TextEncoding, s: string): Buffer {
  if (enc === 'utf8') return Buffer.from(s, 'latin1');
  const out = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (enc === 'utf16le') out[i * 2] = c;
    else out[i * 2 + 1] = c;
  }
  return out;
}

/** The code unit at byte index `i` (caller guarantees a whole unit is there). */
export function unitAt(enc: TextEncoding, buf: Buffer, i: number): number {
  if (enc === 'utf8') return buf[i]!;
  if (enc === 'utf16le') return buf[i]! | (buf[i + 1]! << 8);
  return (buf[i]! << 8) | buf[i + 1]!;
}

/**
 * First index >= from where `pattern` starts at a unit boundary (`base + index` is a multiple of the unit
 * size, base being the file offset of buf[0]), or -1.
 */
export function findPattern(buf: Buffer, pattern: Buffer, from: number, base: number, unit: number): number {
  let i = buf.indexOf(pattern, from);
  if (unit === 1) return i;
  while (i >= 0 && (base + i) % unit !== 0) i = buf.indexOf(pattern, i + 1);
  return i;
}

/** Number of BOM bytes at the very start of a file in this encoding (0 when absent). */
export function bomLength(enc: TextEncoding, head: Buffer): number {
  const bom = BOM[enc];
  return head.length >= bom.length && head.subarray(0, bom.length).equals(bom) ? bom.length : 0;
}

/** True while `head` is too short to tell whether it starts with the BOM. */
export function mayBeBomPrefix(enc: TextEncoding, head: Buffer): boolean {
  const bom = BOM[enc];
  return head.length < bom.length && bom.subarray(0, head.length).equals(head);
}

/**
 * The once-per-file BOM step of a framer: undefined while `data` may still be the start of a BOM (keep it and
 * wait for more bytes); otherwise the bytes past any BOM and their file offset.
 */
export function stripBom(
  enc: TextEncoding,
  data: Buffer,
  base: number,
): { data: Buffer; base: number } | undefined {
  if (mayBeBomPrefix(enc, data)) return undefined;
  const skip = bomLength(enc, data);
  return { data: data.subarray(skip), base: base + skip };
}

/**
 * The unconsumed bytes of a scanning framer (the JSON and event-XML framers): the tail kept from earlier
 * chunks, the file offset of its first byte, and the once-per-file BOM step.
 */
export class PendingBytes {
  private buf: Buffer = Buffer.alloc(0);
  private offset: number;
  private bomChecked: boolean;

  constructor(
    private readonly enc: TextEncoding,
    startOffset: number,
  ) {
    this.offset = startOffset;
    // A framer resumed mid-file starts past any BOM.
    this.bomChecked = startOffset !== 0;
  }

  /** The kept bytes. */
  get bytes(): Buffer {
    return this.buf;
  }

  /** File offset of `bytes[0]`. */
  get start(): number {
    return this.offset;
  }

  /**
   * The kept bytes followed by `chunk`, with a BOM at the start of the file removed, and the file offset of
   * the first returned byte. Undefined while the data may still be the start of a BOM (it is kept).
   */
  join(chunk: Buffer): { data: Buffer; base: number } | undefined {
    const data = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.bomChecked) return { data, base: this.offset };
    const stripped = stripBom(this.enc, data, this.offset);
    if (!stripped) {
      this.buf = Buffer.from(data);
      return undefined;
    }
    this.bomChecked = true;
    return stripped;
  }

  /**
   * Keep `data[from..]` (file offset `base + from`) for the next chunk. A tail that is small next to the chunk
   * is copied, so that the chunk itself is not held alive by it.
   */
  keep(data: Buffer, base: number, from: number): void {
    const keepFrom = Math.max(0, Math.min(from, data.length));
    const tail = data.subarray(keepFrom);
    this.buf = tail.length * 4 < data.length ? Buffer.from(tail) : tail;
    this.offset = base + keepFrom;
  }
}

/** Round down to a whole number of units, so a kept tail never splits a UTF-16 code unit. */
export function alignDown(n: number, unit: number): number {
  return n - (n % unit);
}

export function tooLargeError(
  offset: number,
  endOffset: number,
  maxRecordBytes: number,
): { code: string; reason: string } {
  return {
    code: 'framing.record_too_large',
    reason:
      `record at offset ${offset} is ${endOffset - offset} bytes, over maxRecordBytes ${maxRecordBytes}: ` +
      `cut, its first ${RECORD_SAMPLE_BYTES} bytes kept`,
  };
}
