// The file operations the outputs' own files use (file output, dead letters, spool), behind one interface so a
// test can make the disk fail exactly as a full or failing disk does, where no small filesystem can be mounted
// (test/helpers/faulty-disk.ts). Synchronous on purpose: each write is small, ordered and followed by an fsync
// that must finish before anything is acknowledged; the callers batch to keep the number of calls low.

import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';

export interface DiskIo {
  readonly openSync: (path: string, flags: 'a' | 'r' | 'w' | 'a+') => number;
  /** Writes up to `length` bytes at the file's position (the end, for 'a'); returns how many were written. */
  readonly writeSync: (fd: number, buf: Buffer, offset: number, length: number) => number;
  readonly readSync: (fd: number, buf: Buffer, offset: number, length: number, position: number) => number;
  readonly fsyncSync: (fd: number) => void;
  readonly ftruncateSync: (fd: number, length: number) => void;
  readonly fstatSync: (fd: number) => { size: number };
  readonly closeSync: (fd: number) => void;
  readonly statSync: (path: string) => { size: number; isFile(): boolean; isDirectory(): boolean };
  readonly renameSync: (from: string, to: string) => void;
  readonly unlinkSync: (path: string) => void;
  readonly mkdirSync: (path: string, opts: { recursive: true }) => void;
  readonly readdirSync: (path: string) => string[];
}

export const nodeDiskIo: DiskIo = {
  openSync: (p, flags) => openSync(p, flags),
  writeSync: (fd, buf, offset, length) => writeSync(fd, buf, offset, length),
  readSync: (fd, buf, offset, length, position) => readSync(fd, buf, offset, length, position),
  fsyncSync: (fd) => fsyncSync(fd),
  ftruncateSync: (fd, length) => ftruncateSync(fd, length),
  fstatSync: (fd) => fstatSync(fd),
  closeSync: (fd) => closeSync(fd),
  statSync: (p) => statSync(p),
  renameSync: (a, b) => renameSync(a, b),
  unlinkSync: (p) => unlinkSync(p),
  mkdirSync: (p, opts) => {
    mkdirSync(p, opts);
  },
  readdirSync: (p) => readdirSync(p),
};

/** The error code of a filesystem failure (ENOSPC, EIO, EACCES, ...), or 'EUNKNOWN'. */
export function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}
