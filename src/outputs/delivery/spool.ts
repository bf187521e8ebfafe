// The disk spool: batches that cannot be delivered while Elasticsearch is unreachable and memory is full.
// One file per batch, `seg-<seq>-<docs>.ndjson`, holding the batch's bulk NDJSON exactly as it will be sent.
// Invariants:
// - A segment exists under its final name only once its bytes are fsync'd: it is written as `*.tmp`, fsync'd,
//   renamed, and the directory fsync'd. So a SIGKILL leaves either a whole segment or a `.tmp` the next start
//   deletes (those documents were never acknowledged to the inputs, which re-read them). A write that fails
//   (full disk) deletes its `.tmp` and throws; the batch stays in memory.
// - Segments drain oldest first (sequence numbers). A segment is deleted only after every document in it was
//   delivered or dead-lettered (dead letters fsync'd first); a crash in between re-sends it, which `create`
//   with deterministic ids makes harmless (409 = delivered) and `index` makes idempotent.
// - Start-up lists the directory and reads nothing else, so a large spool cannot exhaust memory at start
//   (shippers.md C4, vector#26035). At most a few segments are loaded at a time, each read in slices of whole
//   lines (`SegmentReader`), so a segment of any size (an old or foreign one of 600 MB) is never one string.
// - Segment size is bounded on write too: a body over MAX_SEGMENT_BYTES is written as several segments, cut
//   between items.
// - A segment that cannot be read (a directory under a segment's name, no permission, an I/O error) is set
//   aside into `set-aside/` (or, if even that fails, skipped until the next start) and reported, instead of
//   stopping the agent at every start.
// - Size is bounded (`maxBytes`). When full: `pause` (default) refuses the batch, so memory fills and inputs
//   stop reading; `drop-oldest` deletes the oldest segments not being sent and reports how many documents went.

import path from 'node:path';
import type { DiskIo } from '../disk/disk-io.js';
import { errorCode, nodeDiskIo } from '../disk/disk-io.js';

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly whenFull: 'pause' | 'drop-oldest';
  /** Tests inject a failing disk; the agent uses node:fs. */
  readonly io?: DiskIo;
  /** Largest segment written (default MAX_SEGMENT_BYTES). */
  readonly maxSegmentBytes?: number;
}

export interface SpoolSegment {
  readonly seq: number;
  readonly file: string;
  readonly docs: number;
  readonly bytes: number;
}

/** A segment set aside because it could not be read. */
export interface SetAsideSegment {
  readonly segment: string;
  readonly documents: number;
  readonly code: string;
  readonly reason: string;
  /** Where it was moved, or undefined when it could not be moved (skipped until the next start). */
  readonly movedTo: string | undefined;
}

const SEGMENT_RE = /^seg-(\d{12})-(\d+)\.ndjson$/;
/** Largest segment written; larger bodies are cut between items into several segments. */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/**
 * Longest line read back; a longer one is skipped as damaged. Elasticsearch's default http.max_content_length
 * (100 MB) could never take a longer document anyway.
 */
export const MAX_LINE_BYTES = 100 * 1024 * 1024;
const SET_ASIDE = 'set-aside';

function fsyncDir(io: DiskIo, dir: string): void {
  // Makes the rename durable on Linux; opening a directory fails on Windows, where NTFS journals the rename.
  try {
    const fd = io.openSync(dir, 'r');
    try {
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/** Reads a segment in slices of whole lines. */
export class SegmentReader {
  private offset = 0;
  private readonly fd: number;
  readonly size: number;

  constructor(
    private readonly io: DiskIo,
    file: string,
  ) {
    this.fd = io.openSync(file, 'r');
    try {
      this.size = io.fstatSync(this.fd).size;
      // A directory opens on Linux and fails only when read: find out now.
      io.readSync(this.fd, Buffer.alloc(1), 0, this.size > 0 ? 1 : 0, 0);
    } catch (e) {
      io.closeSync(this.fd);
      throw e;
    }
  }

  /**
   * The next whole lines, about `maxBytes` of them (at least one line, up to MAX_LINE_BYTES); a last line
   * without a newline (a cut segment) is returned as is. `skipped` counts bytes of a line too long to read.
   * Undefined at the end.
   */
  next(maxBytes: number): { text: string; skipped: number } | undefined {
    if (this.offset >= this.size) return undefined;
    let want = Math.max(1, Math.min(maxBytes, this.size - this.offset));
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const n = this.io.readSync(this.fd, buf, 0, want, this.offset);
      const chunk = buf.subarray(0, n);
      const nl = chunk.lastIndexOf(0x0a);
      if (nl >= 0 || this.offset + n >= this.size) {
        const take = nl >= 0 ? nl + 1 : n;
        this.offset += take;
        return { text: chunk.toString('utf8', 0, take), skipped: 0 };
      }
      // No line end: a NUL (never in JSON text) means a zero-filled region; everything up to its last NUL is
      // damage, skipped without growing the read.
      const nul = chunk.lastIndexOf(0);
      if (nul >= 0) {
        this.offset += nul + 1;
        return { text: '', skipped: nul + 1 };
      }
      if (want >= MAX_LINE_BYTES) {
        // A line longer than any casguard writes: skip to its end without holding it.
        const start = this.offset;
        this.offset += n;
        while (this.offset < this.size) {
          const m = this.io.readSync(this.fd, buf, 0, buf.length, this.offset);
          const i = buf.subarray(0, m).indexOf(0x0a);
          if (i >= 0) {
            this.offset += i + 1;
            break;
          }
          this.offset += m;
        }
        return { text: '', skipped: this.offset - start };
      }
      want = Math.min(want * 2, MAX_LINE_BYTES, this.size - this.offset);
    }
  }

  close(): void {
    this.io.closeSync(this.fd);
  }
}

export class Spool {
  private readonly segments: SpoolSegment[] = [];
  private readonly loaded = new Set<number>();
  private nextSeq = 1;
  private totalBytes = 0;
  private readonly io: DiskIo;
  /** Segments set aside since the last call of `takeSetAside`. */
  private setAside: SetAsideSegment[] = [];

  constructor(private readonly opts: SpoolOptions) {
    const io = (this.io = opts.io ?? nodeDiskIo);
    io.mkdirSync(opts.dir, { recursive: true });
    let maxSeq = 0;
    for (const name of io.readdirSync(opts.dir)) {
      const full = path.join(opts.dir, name);
      if (name.endsWith('.tmp')) {
        try {
          io.unlinkSync(full);
        } catch {
          // a folder or no permission: never a segment, ignored
        }
        continue;
      }
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const seg = { seq: Number(m[1]), docs: Number(m[2]), file: full, bytes: 0 };
      maxSeq = Math.max(maxSeq, seg.seq);
      let st: ReturnType<DiskIo['statSync']>;
      try {
        st = io.statSync(full);
        if (!st.isFile()) throw Object.assign(new Error(`${name} is not a regular file`), { code: 'EISDIR' });
      } catch (e) {
        this.putAside(seg, e);
        continue;
      }
      this.segments.push({ ...seg, bytes: st.size });
      this.totalBytes += st.size;
    }
    this.segments.sort((a, b) => a.seq - b.seq);
    this.nextSeq = maxSeq + 1;
  }

  get dir(): string {
    return this.opts.dir;
  }
  get bytes(): number {
    return this.totalBytes;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  get documentCount(): number {
    return this.segments.reduce((n, s) => n + s.docs, 0);
  }
  /** True while any segment exists (loaded or not). */
  get hasData(): boolean {
    return this.segments.length > 0;
  }
  get loadedCount(): number {
    return this.loaded.size;
  }
  hasUnloaded(): boolean {
    return this.segments.length > this.loaded.size;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }
  get whenFull(): 'pause' | 'drop-oldest' {
    return this.opts.whenFull;
  }

  /** Segments set aside (at start or when opened) since the last call, for the caller to report. */
  takeSetAside(): SetAsideSegment[] {
    const out = this.setAside;
    this.setAside = [];
    return out;
  }

  /**
   * Write a batch durably. `ok` is false when the spool is full and `whenFull` is `pause` (or nothing could be
   * dropped to make room). `dropped` lists segments deleted to make room (drop-oldest). Throws when the disk
   * refuses the write (nothing is left behind).
   */
  append(
    body: string | Buffer,
    docs: number,
  ): { ok: boolean; dropped: { documents: number; segment: string }[] } {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const bytes = buf.length;
    const dropped: { documents: number; segment: string }[] = [];
    if (this.totalBytes + bytes > this.opts.maxBytes) {
      if (this.opts.whenFull === 'pause') return { ok: false, dropped };
      while (this.totalBytes + bytes > this.opts.maxBytes) {
        const victim = this.segments.find((s) => !this.loaded.has(s.seq));
        if (!victim) return { ok: false, dropped };
        this.remove(victim);
        dropped.push({ documents: victim.docs, segment: path.basename(victim.file) });
      }
    }
    const maxSeg = this.opts.maxSegmentBytes ?? MAX_SEGMENT_BYTES;
    const parts = bytes > maxSeg ? cutBetweenItems(buf, maxSeg) : [{ buf, docs }];
    const written: SpoolSegment[] = [];
    const seqBefore = this.nextSeq;
    try {
      for (const p of parts) written.push(this.writeSegment(p.buf, p.docs));
    } catch (e) {
      // All or nothing: a batch is acknowledged as spooled only when every part is on disk.
      for (const s of written) this.unlinkQuietly(s.file);
      this.nextSeq = seqBefore;
      throw e;
    }
    fsyncDir(this.io, this.opts.dir);
    for (const s of written) {
      this.segments.push(s);
      this.totalBytes += s.bytes;
    }
    return { ok: true, dropped };
  }

  private writeSegment(buf: Buffer, docs: number): SpoolSegment {
    const seq = this.nextSeq++;
    const file = path.join(this.opts.dir, `seg-${String(seq).padStart(12, '0')}-${docs}.ndjson`);
    const tmp = `${file}.tmp`;
    const io = this.io;
    try {
      const fd = io.openSync(tmp, 'w');
      try {
        let off = 0;
        while (off < buf.length) off += io.writeSync(fd, buf, off, buf.length - off);
        io.fsyncSync(fd);
      } finally {
        io.closeSync(fd);
      }
      io.renameSync(tmp, file);
    } catch (e) {
      this.unlinkQuietly(tmp);
      throw e;
    }
    return { seq, file, docs, bytes: buf.length };
  }

  /** Write, fsync and delete a small file: throws while the disk cannot take a segment. */
  probe(): void {
    const file = path.join(this.opts.dir, 'probe.tmp');
    const io = this.io;
    try {
      const fd = io.openSync(file, 'w');
      try {
        const buf = Buffer.alloc(4096, 0x0a);
        let off = 0;
        while (off < buf.length) off += io.writeSync(fd, buf, off, buf.length - off);
        io.fsyncSync(fd);
      } finally {
        io.closeSync(fd);
      }
    } finally {
      this.unlinkQuietly(file);
    }
  }

  /**
   * The oldest segment not being sent, opened for reading and marked as being sent. A segment that cannot be
   * opened is set aside (see `takeSetAside`) and the next one is tried.
   */
  takeOldest(): { segment: SpoolSegment; reader: SegmentReader } | undefined {
    for (;;) {
      const seg = this.segments.find((s) => !this.loaded.has(s.seq));
      if (!seg) return undefined;
      try {
        const reader = new SegmentReader(this.io, seg.file);
        this.loaded.add(seg.seq);
        return { segment: seg, reader };
      } catch (e) {
        this.forget(seg);
        this.putAside(seg, e);
      }
    }
  }

  /** A segment whose reading failed midway: set it aside (its unread documents are reported lost). */
  readFailed(seg: SpoolSegment, e: unknown): void {
    this.forget(seg);
    this.putAside(seg, e);
  }

  /** Delete a segment whose documents are all delivered or dead-lettered. */
  remove(seg: SpoolSegment): void {
    if (!this.forget(seg)) return;
    this.unlinkQuietly(seg.file);
  }

  private forget(seg: SpoolSegment): boolean {
    const i = this.segments.findIndex((s) => s.seq === seg.seq);
    if (i < 0) return false;
    this.segments.splice(i, 1);
    this.loaded.delete(seg.seq);
    this.totalBytes -= seg.bytes;
    return true;
  }

  private putAside(seg: Omit<SpoolSegment, 'bytes'>, e: unknown): void {
    const name = path.basename(seg.file);
    let movedTo: string | undefined;
    try {
      const dir = path.join(this.opts.dir, SET_ASIDE);
      this.io.mkdirSync(dir, { recursive: true });
      movedTo = path.join(dir, name);
      this.io.renameSync(seg.file, movedTo);
    } catch {
      movedTo = undefined;
    }
    this.setAside.push({
      segment: name,
      documents: seg.docs,
      code: errorCode(e),
      reason: e instanceof Error ? e.message : String(e),
      movedTo,
    });
  }

  private unlinkQuietly(file: string): void {
    try {
      this.io.unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

/** Cut a bulk body into parts of at most about `max` bytes, between items (every second newline). */
function cutBetweenItems(buf: Buffer, max: number): { buf: Buffer; docs: number }[] {
  const parts: { buf: Buffer; docs: number }[] = [];
  let start = 0;
  let docs = 0;
  let pos = 0;
  let lastCut = 0;
  let lastCutDocs = 0;
  while (pos < buf.length) {
    const a = buf.indexOf(0x0a, pos);
    if (a < 0) break;
    const b = buf.indexOf(0x0a, a + 1);
    const itemEnd = b < 0 ? buf.length : b + 1;
    docs += 1;
    pos = itemEnd;
    if (pos - start > max && lastCut > start) {
      parts.push({ buf: buf.subarray(start, lastCut), docs: lastCutDocs });
      start = lastCut;
      docs -= lastCutDocs;
    }
    lastCut = pos;
    lastCutDocs = docs;
  }
  if (start < buf.length) parts.push({ buf: buf.subarray(start), docs });
  return parts;
}

export { parseSegment } from './spool-segment-parser.js';
export type { SpooledItem } from './spool-segment-parser.js';
