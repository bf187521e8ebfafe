// Streaming EVTX framer: the input feeds the file's bytes in any slices (64 KiB reads in practice); the framer
// assembles the 4 KiB file header and then one 64 KiB chunk at a time, and emits each chunk's records as
// FramedRecords whose payload is the decoded WindowsEvent (form 'evtx'). Memory is one chunk buffer plus the
// records of the chunk being emitted, whatever the file size.
//
// Invariants:
// - Chunks are found by position (4096 + n * 65536) over the whole file, never by the header's chunk count,
//   which is stale in dirty files; all-zero blocks are skipped silently, other non-chunk blocks with a warning.
// - Checkpoint resume: `feedFrom` is the start of the chunk containing `startOffset` (a record needs its chunk's
//   header and earlier records for names and templates), and records starting before `startOffset` are dropped
//   without being decoded. A file that grew since the last read therefore resumes exactly after the last record.
// - A chunk still incomplete when input pauses waits for more bytes; `end()` reads a partial last chunk (a
//   copy cut short).
// - Nothing is thrown from push()/end(): damaged records come out with `error`, file-level problems as warnings.

import type { Framer, FramedRecord, FramerOptions } from '../framer.types.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE, readChunk, readFileHeader } from './evtx-chunk.js';
import type { EvtxFileHeader, EvtxWarning } from './evtx-chunk.js';

export type { EvtxFileHeader, EvtxWarning } from './evtx-chunk.js';

export interface EvtxFramerOptions extends FramerOptions {
  /** Render each event as XML into `WindowsEvent.xml` (for `event.original`). Default true. */
  readonly renderXml?: boolean;
  /**
   * After a record whose header is damaged (bad signature, impossible size), go on with the next record in the
   * same chunk whose signature and size copy are sound. Default true: one broken record must not cost the rest
   * of its chunk. False reproduces libevtx and the Rust crate, which abandon the chunk.
   */
  readonly resyncAfterDamage?: boolean;
  // `onWarning` (FramerOptions) receives file-level problems: bad CRC, non-chunk block, truncated chunk.
}

export interface EvtxFramer extends Framer {
  /** The file header, once read (undefined when resuming past it or when it was not an EVTX header). */
  readonly header: EvtxFileHeader | undefined;
  /** The first warnings seen (bounded), for tests and diagnostics. */
  readonly warnings: readonly EvtxWarning[];
}

const MAX_KEPT_WARNINGS = 100;

/** Where reading must start to resume at `startOffset`: the start of its chunk (or of the file). */
export function evtxFeedFrom(startOffset: number): number {
  if (!(startOffset > FILE_HEADER_SIZE)) return 0;
  return FILE_HEADER_SIZE + Math.floor((startOffset - FILE_HEADER_SIZE) / CHUNK_SIZE) * CHUNK_SIZE;
}

export function createEvtxFramer(options: FramerOptions | EvtxFramerOptions): EvtxFramer {
  const opts = options as EvtxFramerOptions;
  const renderXml = opts.renderXml ?? true;
  const resync = opts.resyncAfterDamage ?? true;
  const minOffset = Math.max(0, options.startOffset);
  const feedFrom = evtxFeedFrom(minOffset);
  const warnings: EvtxWarning[] = [];
  const warn = (w: EvtxWarning): void => {
    if (warnings.length < MAX_KEPT_WARNINGS) warnings.push(w);
    opts.onWarning?.(w);
  };

  let position = feedFrom; // file offset of the next byte to arrive
  const headerBuf = feedFrom === 0 ? Buffer.alloc(FILE_HEADER_SIZE) : undefined;
  let header: EvtxFileHeader | undefined;
  const chunkBuf = Buffer.alloc(CHUNK_SIZE);
  let chunkFill = 0;
  let chunkStart = Math.max(feedFrom, FILE_HEADER_SIZE);
  let ended = false;

  const flushChunk = (length: number, out: FramedRecord[]): void => {
    readChunk(chunkBuf, length, chunkStart, { minOffset, renderXml, resync }, warn, out);
    chunkStart += CHUNK_SIZE;
    chunkFill = 0;
  };

  return {
    feedFrom,
    get header() {
      return header;
    },
    warnings,
    push(bytes: Buffer): FramedRecord[] {
      const out: FramedRecord[] = [];
      if (ended) return out;
      let i = 0;
      while (i < bytes.length) {
        if (position < FILE_HEADER_SIZE) {
          const take = Math.min(FILE_HEADER_SIZE - position, bytes.length - i);
          if (headerBuf !== undefined) bytes.copy(headerBuf, position, i, i + take);
          position += take;
          i += take;
          if (position === FILE_HEADER_SIZE && headerBuf !== undefined)
            header = readFileHeader(headerBuf, warn);
          continue;
        }
        const take = Math.min(CHUNK_SIZE - chunkFill, bytes.length - i);
        bytes.copy(chunkBuf, chunkFill, i, i + take);
        chunkFill += take;
        position += take;
        i += take;
        if (chunkFill === CHUNK_SIZE) flushChunk(CHUNK_SIZE, out);
      }
      return out;
    },
    end(): FramedRecord[] {
      const out: FramedRecord[] = [];
      if (ended) return out;
      ended = true;
      if (position < FILE_HEADER_SIZE && headerBuf !== undefined && position > 0) {
        warn({
          code: 'evtx.file_truncated',
          offset: 0,
          message: `file ends inside its header (${position} bytes)`,
        });
        if (position >= 128) header = readFileHeader(headerBuf.subarray(0, position), warn);
      }
      if (chunkFill > 0) flushChunk(chunkFill, out);
      return out;
    },
  };
}
