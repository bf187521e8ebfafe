// The contract between inputs (which own file handles, offsets, rotation and decoding decisions) and the
// framers (pure state machines that cut a file's bytes into records). One framer instance per file reading.

import type { FramingKind } from '../pipeline/record.types.js';

export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

export interface FramedRecord {
  /** Byte offset in the (decompressed) file where the record starts. */
  readonly offset: number;
  /** Byte offset just after the record (including its line end). */
  readonly endOffset: number;
  /** Decoded text of the record, without the trailing line end. Empty for binary records. */
  readonly text: string;
  /** 1-based line number of the record's first line, when known (counted from the resume point). */
  readonly line?: number;
  /** Binary framings (EVTX): the decoded event. */
  readonly payload?: unknown;
  /** Binary framings (EVTX): the record's own id. */
  readonly recordId?: string;
  /**
   * Set when the bytes could not be framed into a usable record (too long, corrupt EVTX record): the
   * record is dead-lettered with this reason and the offsets above, and reading goes on after it.
   */
  readonly error?: { readonly code: string; readonly reason: string };
}

export interface FramerOptions {
  /** Offset the caller wants to resume at (0 for a new file). */
  readonly startOffset: number;
  /** Encoding of text files, decided by the input from the BOM (utf8 when there is none). */
  readonly encoding: TextEncoding;
  /** Records longer than this are cut and reported with `error` instead of being held in memory. */
  readonly maxRecordBytes: number;
  /**
   * Structural problems that do not cost a record (an EVTX checksum mismatch, a skipped empty chunk): reported
   * so the input can log them as warnings; reading goes on.
   */
  readonly onWarning?: (warning: FramerWarning) => void;
}

export interface FramerWarning {
  /** Stable code, e.g. `chunk_header_crc_mismatch`. */
  readonly code: string;
  /** File offset of the structure concerned. */
  readonly offset: number;
  readonly message: string;
}

export interface Framer {
  /**
   * Where the input must start feeding bytes. Usually `startOffset`; a framer that needs context before the
   * resume point (EVTX needs its chunk header) returns an earlier offset and drops records before startOffset.
   */
  readonly feedFrom: number;
  /** Feed the next bytes of the file, in order, starting at `feedFrom`. */
  push(bytes: Buffer): FramedRecord[];
  /**
   * The file is complete (an export, or end of a replay): emit what is pending, e.g. a last line without a
   * trailing newline. A tailing input does not call this for a file that may still grow.
   */
  end(): FramedRecord[];
}

export type FramerFactory = (kind: FramingKind, options: FramerOptions) => Framer;
