// An append-only NDJSON file whose good length is always known: `append` writes the whole buffer and fsyncs it,
// or rolls the file back to the good length (a short write followed by ENOSPC left 1,962 of 2,133 bytes of a
// document on disk, acknowledged, in issue 19). So after any failure the file ends on a whole line, and what
// failed can be written again once the disk has room. A line torn by a crash in an earlier run (a kill between
// write and rollback) is cut at open.

import type { DiskIo } from './disk-io.js';

const NEWLINE = 0x0a;

export class AppendFile {
  private fd: number | undefined;
  private good = 0;
  /** A failed append may have left bytes past `good` that the rollback could not remove yet. */
  private dirty = false;

  /** Bytes cut from a torn last line when the file was opened. */
  readonly tornBytes: number;

  constructor(
    private readonly io: DiskIo,
    readonly path: string,
  ) {
    const fd = io.openSync(path, 'a+');
    try {
      const size = io.fstatSync(fd).size;
      const whole = lastLineEnd(io, fd, size);
      this.tornBytes = size - whole;
      if (whole < size) {
        io.ftruncateSync(fd, whole);
        io.fsyncSync(fd);
      }
      this.good = whole;
    } catch (e) {
      io.closeSync(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** Bytes known to be durably in the file. */
  get size(): number {
    return this.good;
  }

  /** Write `buf` wholly and durably, or throw with the file back at its good length (when the disk allows). */
  append(buf: Buffer): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`${this.path} is closed`);
    if (this.dirty) {
      this.io.ftruncateSync(fd, this.good);
      this.dirty = false;
    }
    try {
      let off = 0;
      while (off < buf.length) off += this.io.writeSync(fd, buf, off, buf.length - off);
      this.io.fsyncSync(fd);
    } catch (e) {
      this.dirty = true;
      try {
        this.io.ftruncateSync(fd, this.good);
        this.dirty = false;
      } catch {
        // retried before the next append
      }
      throw e;
    }
    this.good += buf.length;
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (this.dirty) this.io.ftruncateSync(fd, this.good);
    } catch {
      // the next open cuts a torn line
    }
    this.io.closeSync(fd);
  }
}

/** Offset just past the last newline in the first `size` bytes (0 when there is none). */
function lastLineEnd(io: DiskIo, fd: number, size: number): number {
  if (size === 0) return 0;
  const chunk = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = io.readSync(fd, chunk, 0, end - start, start);
    const i = chunk.subarray(0, n).lastIndexOf(NEWLINE);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return 0;
}
