// The EVTX file header and the walk over one 64 KiB chunk (evtx.md 1.2-1.4 and 1.8).
//
// Invariants:
// - Checksums are verified unless the no-CRC flag (0x4) is set, and a mismatch is only a warning: VSS copies
//   have bad CRCs and mostly good records.
// - Records are read from offset 512 until the free space offset (capped at the chunk length), a zero
//   signature, or the chunk's last record id. Every size is bounded by the chunk.
// - A record that cannot be read becomes one FramedRecord with `error` and its file byte range; after a torn
//   header the walk resynchronises on the next "**" signature whose size copy matches, so the rest of the chunk
//   is still read. A torn record (size copy missing) is reported and skipped by its size. No exception leaves
//   this module.

import { crc32 } from 'node:zlib';
import type { FramedRecord } from '../framer.types.js';
import { BinXmlChunk } from './evtx-binxml.js';
import { EvtxFormatError } from './evtx-errors.js';
import { toWindowsEvent } from './evtx-event.js';
import { filetime, uint64 } from './evtx-values.js';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
export const CHUNK_HEADER_SIZE = 512;
const RECORD_SIGNATURE = 0x00002a2a;
const RECORD_SIG_BYTES = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);
const ZERO_CHUNK = Buffer.alloc(CHUNK_SIZE);
const FILE_MAGIC = Buffer.from('ElfFile\0', 'latin1');
const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');

export type EvtxWarningCode =
  | 'evtx.file_signature'
  | 'evtx.file_header_crc'
  | 'evtx.file_truncated'
  | 'evtx.chunk_signature'
  | 'evtx.chunk_header_crc'
  | 'evtx.chunk_data_crc'
  | 'evtx.chunk_truncated';

/** Something wrong with the file that did not cost a record by itself (records that failed are FramedRecords). */
export interface EvtxWarning {
  readonly code: EvtxWarningCode;
  /** File offset of the structure concerned. */
  readonly offset: number;
  readonly message: string;
}

export interface EvtxFileHeader {
  readonly firstChunk: string;
  readonly lastChunk: string;
  readonly nextRecordId: string;
  readonly minorVersion: number;
  readonly majorVersion: number;
  readonly chunkCount: number;
  readonly flags: number;
  readonly dirty: boolean;
  readonly full: boolean;
}

export type WarningSink = (w: EvtxWarning) => void;

/** Parse the file header block (at least 128 bytes); returns undefined when the signature is wrong. */
export function readFileHeader(buf: Buffer, warn: WarningSink): EvtxFileHeader | undefined {
  if (buf.length < 128 || buf.compare(FILE_MAGIC, 0, 8, 0, 8) !== 0) {
    warn({
      code: 'evtx.file_signature',
      offset: 0,
      message: 'file does not start with the ElfFile signature',
    });
    return undefined;
  }
  const flags = buf.readUInt32LE(120);
  if ((flags & 0x4) === 0) {
    const expected = buf.readUInt32LE(124);
    const actual = crc32(buf.subarray(0, 120));
    if (expected !== actual) {
      warn({
        code: 'evtx.file_header_crc',
        offset: 0,
        message: `file header CRC32 mismatch (stored ${expected}, computed ${actual})`,
      });
    }
  }
  return {
    firstChunk: uint64(buf, 8),
    lastChunk: uint64(buf, 16),
    nextRecordId: uint64(buf, 24),
    minorVersion: buf.readUInt16LE(36),
    majorVersion: buf.readUInt16LE(38),
    chunkCount: buf.readUInt16LE(42),
    flags,
    dirty: (flags & 0x1) !== 0,
    full: (flags & 0x2) !== 0,
  };
}

export interface ChunkReadOptions {
  /** Records starting before this file offset are skipped without decoding (checkpoint resume). */
  readonly minOffset: number;
  readonly renderXml: boolean;
  /** After a damaged record header, look for the next sound record in the chunk instead of leaving it. */
  readonly resync: boolean;
}

/**
 * Read the records of one chunk held in `buf[0, length)`, which starts at file offset `fileOffset`, appending
 * them to `out`. `length` is below CHUNK_SIZE only for the truncated last chunk of a cut-short file.
 */
export function readChunk(
  buf: Buffer,
  length: number,
  fileOffset: number,
  options: ChunkReadOptions,
  warn: WarningSink,
  out: FramedRecord[],
): void {
  if (buf.compare(ZERO_CHUNK, 0, length, 0, length) === 0) return; // preallocated, never used
  if (length < CHUNK_HEADER_SIZE || buf.compare(CHUNK_MAGIC, 0, 8, 0, 8) !== 0) {
    warn({
      code: 'evtx.chunk_signature',
      offset: fileOffset,
      message: 'block is not an EVTX chunk (no ElfChnk signature); skipped',
    });
    return;
  }
  const freeSpace = buf.readUInt32LE(48);
  const flags = buf.readUInt32LE(120);
  if ((flags & 0x4) === 0) checkChunkCrcs(buf, length, freeSpace, fileOffset, warn);
  if (length < CHUNK_SIZE) {
    warn({
      code: 'evtx.chunk_truncated',
      offset: fileOffset,
      message: `last chunk has ${length} of ${CHUNK_SIZE} bytes`,
    });
  }
  const lastIdLo = buf.readUInt32LE(32);
  const lastIdHi = buf.readUInt32LE(36);
  const end = freeSpace >= CHUNK_HEADER_SIZE && freeSpace <= length ? freeSpace : length;
  const chunk = new BinXmlChunk(buf, length);

  let pos = CHUNK_HEADER_SIZE;
  while (pos + 4 <= end) {
    const sig = buf.readUInt32LE(pos);
    if (sig === 0) return; // unused space
    const problem = recordHeaderProblem(buf, pos, length, sig);
    if (problem !== undefined) {
      const next = options.resync ? resync(buf, pos + 1, end, length) : undefined;
      if (fileOffset + pos >= options.minOffset) {
        out.push(failed(fileOffset + pos, fileOffset + (next ?? end), problem[0], problem[1]));
      }
      if (next === undefined) return;
      pos = next;
      continue;
    }
    const size = buf.readUInt32LE(pos + 4);
    // A torn record (its trailing size copy never written: a copy of a live log taken mid-write) has a
    // zero-filled tail, so its values decode to plausible garbage (the corpus has a provider GUID ending in
    // zeros and an empty Channel). It is dead-lettered, not decoded; the Rust crate emits it, libevtx drops it.
    const copy = buf.readUInt32LE(pos + size - 4);
    const idLo = buf.readUInt32LE(pos + 8);
    const idHi = buf.readUInt32LE(pos + 12);
    const offset = fileOffset + pos;
    if (offset >= options.minOffset) {
      if (copy === size) {
        out.push(decodeRecord(chunk, pos, size, offset, options.renderXml));
      } else {
        const recordId = uint64(buf, pos + 8);
        const reason = `record ${recordId}: size copy at its end is ${copy}, not ${size} (torn record, not decoded)`;
        out.push({
          offset,
          endOffset: offset + size,
          text: '',
          recordId,
          error: { code: 'evtx.record_torn', reason },
        });
      }
    }
    pos += size;
    if (idLo === lastIdLo && idHi === lastIdHi) return;
  }
}

function checkChunkCrcs(
  buf: Buffer,
  length: number,
  freeSpace: number,
  fileOffset: number,
  warn: WarningSink,
): void {
  const expectedHeader = buf.readUInt32LE(124);
  const actualHeader = crc32(buf.subarray(128, 512), crc32(buf.subarray(0, 120)));
  if (expectedHeader !== actualHeader) {
    warn({
      code: 'evtx.chunk_header_crc',
      offset: fileOffset,
      message: `chunk header CRC32 mismatch (stored ${expectedHeader}, computed ${actualHeader})`,
    });
  }
  if (freeSpace >= CHUNK_HEADER_SIZE && freeSpace <= length) {
    const expectedData = buf.readUInt32LE(52);
    const actualData = crc32(buf.subarray(CHUNK_HEADER_SIZE, freeSpace));
    if (expectedData !== actualData) {
      warn({
        code: 'evtx.chunk_data_crc',
        offset: fileOffset,
        message: `chunk record data CRC32 mismatch (stored ${expectedData}, computed ${actualData})`,
      });
    }
  }
}

/** Why the record header at `pos` is unusable, or undefined when it is sound. */
function recordHeaderProblem(
  buf: Buffer,
  pos: number,
  length: number,
  sig: number,
): [EvtxErrorCodeLike, string] | undefined {
  if (sig !== RECORD_SIGNATURE)
    return ['evtx.record_signature', `bad record signature 0x${sig.toString(16)}`];
  if (pos + 24 > length) return ['evtx.record_truncated', 'record header cut off by the chunk end'];
  const size = buf.readUInt32LE(pos + 4);
  if (size < 28) return ['evtx.record_size', `record size ${size} is below the minimum of 28`];
  if (pos + size > length) return ['evtx.record_size', `record size ${size} passes the chunk end`];
  return undefined;
}

type EvtxErrorCodeLike = EvtxFormatError['code'];

/** The next plausible record start after a damaged one: a signature whose size and size copy agree. */
function resync(buf: Buffer, from: number, end: number, length: number): number | undefined {
  let p = from;
  while (p + 4 <= end) {
    const hit = buf.indexOf(RECORD_SIG_BYTES, p);
    if (hit === -1 || hit + 4 > end) return undefined;
    if (recordHeaderProblem(buf, hit, length, RECORD_SIGNATURE) === undefined) {
      const size = buf.readUInt32LE(hit + 4);
      if (buf.readUInt32LE(hit + size - 4) === size) return hit;
    }
    p = hit + 1;
  }
  return undefined;
}

function failed(offset: number, endOffset: number, code: string, reason: string): FramedRecord {
  return { offset, endOffset, text: '', error: { code, reason } };
}

function decodeRecord(
  chunk: BinXmlChunk,
  pos: number,
  size: number,
  offset: number,
  renderXml: boolean,
): FramedRecord {
  const buf = chunk.buf;
  const recordId = uint64(buf, pos + 8);
  try {
    const written = filetime(buf, pos + 16);
    const nodes = chunk.decodeRecord(pos + 24, pos + size - 4);
    const payload = toWindowsEvent(nodes, recordId, written, renderXml);
    return { offset, endOffset: offset + size, text: '', payload, recordId };
  } catch (err) {
    // Damaged BinXml fails this record only. Anything else thrown here (a RangeError from a Buffer read, a
    // stack overflow on hostile nesting) is equally a property of the bytes, so it is reported the same way.
    const code = err instanceof EvtxFormatError ? err.code : 'evtx.record_decode';
    const reason = `record ${recordId}: ${err instanceof Error ? err.message : String(err)}`;
    return { offset, endOffset: offset + size, text: '', recordId, error: { code, reason } };
  }
}
