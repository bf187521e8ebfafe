// A DiskIo (src/outputs/disk/disk-io.ts) over the real filesystem that behaves like a small disk that fills
// up, for tests where no tmpfs can be mounted (CI containers). It answers as Linux and Node do:
// - write(2) on a nearly full disk writes what fits and returns that short count; the next write fails, and
//   Node throws `Error: ENOSPC: no space left on device, write` with errno -28, code 'ENOSPC', syscall 'write';
// - ftruncate and unlink give the space back; every other call goes to node:fs unchanged.
// Optional: every fsync fails with EIO (a failing disk). It does NOT model: metadata (inode, directory) space,
// delayed allocation (ext4 reporting ENOSPC only at fsync), or space used by files it did not write.

import { fstatSync, statSync } from 'node:fs';
import type { DiskIo } from '../../src/outputs/disk/disk-io.js';
import { nodeDiskIo } from '../../src/outputs/disk/disk-io.js';

function uvError(code: 'ENOSPC' | 'EIO', syscall: string): Error {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'i/o error';
  return Object.assign(new Error(`${code}: ${text}, ${syscall}`), {
    errno: code === 'ENOSPC' ? -28 : -5,
    code,
    syscall,
  });
}

export class FaultyDisk implements DiskIo {
  /** Bytes that can still be written (Infinity: as much as the real disk takes). */
  free: number;
  /** Every fsync fails with EIO while set. */
  failFsync = false;
  /** Failed calls so far, by syscall. */
  readonly failures: Record<string, number> = {};

  constructor(free = Infinity) {
    this.free = free;
  }

  private fail(code: 'ENOSPC' | 'EIO', syscall: string): never {
    this.failures[syscall] = (this.failures[syscall] ?? 0) + 1;
    throw uvError(code, syscall);
  }

  openSync = nodeDiskIo.openSync;
  readSync = nodeDiskIo.readSync;
  fstatSync = nodeDiskIo.fstatSync;
  closeSync = nodeDiskIo.closeSync;
  statSync = nodeDiskIo.statSync;
  renameSync = nodeDiskIo.renameSync;
  mkdirSync = nodeDiskIo.mkdirSync;
  readdirSync = nodeDiskIo.readdirSync;

  writeSync(fd: number, buf: Buffer, offset: number, length: number): number {
    if (length > 0 && this.free <= 0) this.fail('ENOSPC', 'write');
    const n = nodeDiskIo.writeSync(fd, buf, offset, Math.min(length, this.free));
    this.free -= n;
    return n;
  }

  fsyncSync(fd: number): void {
    if (this.failFsync) this.fail('EIO', 'fsync');
    nodeDiskIo.fsyncSync(fd);
  }

  ftruncateSync(fd: number, length: number): void {
    const before = fstatSync(fd).size;
    nodeDiskIo.ftruncateSync(fd, length);
    if (before > length) this.free += before - length;
  }

  unlinkSync(p: string): void {
    let size = 0;
    try {
      size = statSync(p).size;
    } catch {
      // unlink below reports it
    }
    nodeDiskIo.unlinkSync(p);
    this.free += size;
  }
}
