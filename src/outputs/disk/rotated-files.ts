// The bounds of a rotating file family (the file output's `<stream>-<time>.ndjson`, the dead letters'
// `dead-letter-<time>.ndjson`). Size: the live file is rotated before a line that would take it past
// `maxFileBytes` (as the agent's own log does), so a file holds at most `maxFileBytes`, or one line larger than that
// alone. Count: once more than `maxFiles` files of a family exist, the oldest rotated ones are deleted. The live
// file is never deleted. Rotated names carry an ISO time, unique within the family, so name order is age order.

import path from 'node:path';
import type { AppendFile } from './append-file.js';
import { errorCode, type DiskIo } from './disk-io.js';

export interface FileFamily {
  readonly dir: string;
  /** Name of the live file (`alerts.ndjson`). */
  readonly live: string;
  /** Rotated names: `<prefix><time>.ndjson`. */
  readonly prefix: string;
  readonly maxFiles: number;
  readonly onDeleted: (file: string, bytes: number) => void;
}

/** Renames the (closed) live file to its rotated name (rotatedPath), then deletes what is beyond maxFiles. */
export function rotateLive(io: DiskIo, o: FileFamily): void {
  io.renameSync(path.join(o.dir, o.live), rotatedPath(io, o.dir, o.prefix, Date.now()));
  pruneRotated(io, o);
}

/** Deletes the oldest rotated files of the family beyond maxFiles (live file included in the count). */
export function pruneRotated(io: DiskIo, o: FileFamily): void {
  let names: string[];
  try {
    names = io.readdirSync(o.dir);
  } catch {
    return;
  }
  const rotated = names.filter((n) => n !== o.live && n.startsWith(o.prefix) && n.endsWith('.ndjson')).sort();
  const keepRotated = Math.max(0, o.maxFiles - 1);
  for (const name of rotated.slice(0, Math.max(0, rotated.length - keepRotated))) {
    const file = path.join(o.dir, name);
    let bytes = 0;
    try {
      bytes = io.statSync(file).size;
      io.unlinkSync(file);
    } catch {
      continue; // gone already, or not deletable now: tried again at the next rotation
    }
    o.onDeleted(file, bytes);
  }
}

/**
 * The path a live file is renamed to when it rotates: `<dir>/<prefix><ISO time>.ndjson`. When that name is taken (a
 * second rotation within the same millisecond, which a small `maxFileBytes` and one large write make), the time is
 * moved on a millisecond at a time until it is free: renaming onto a taken name would replace, and lose, the file
 * rotated first. Later rotations therefore still sort after earlier ones.
 */
export function rotatedPath(io: DiskIo, dir: string, prefix: string, nowMs: number): string {
  for (let ms = nowMs; ; ms++) {
    const name = path.join(dir, `${prefix}${new Date(ms).toISOString().replace(/[:.]/g, '-')}.ndjson`);
    try {
      io.statSync(name);
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return name;
      throw e; // the disk fails: the write is retried as any failed write is
    }
  }
}

/**
 * How many of the lines `bytes[from]`, `bytes[from + 1]`, ... (their sizes in bytes, in order) go into a file that
 * holds `size` bytes and is bounded to `maxBytes`: as many as fit, and at least one when the file is empty (a line
 * larger than the bound gets a file of its own). 0 when not even the first fits: the file must rotate first.
 */
export function linesThatFit(bytes: readonly number[], from: number, size: number, maxBytes: number): number {
  let end = from;
  let total = size;
  while (end < bytes.length && (total + bytes[end]! <= maxBytes || total === 0)) total += bytes[end++]!;
  return end - from;
}

/** What appendInPieces wrote: `done` lines, then the failure that stopped it, if one did. */
export interface PiecesWritten {
  readonly done: number;
  /** `file`: the live file being written, undefined when it could not be opened or rotated. */
  readonly failure?: { readonly file: string | undefined; readonly error: unknown };
}

/**
 * Appends `lines` (`sizes`: their bytes in UTF-8) in pieces that each fit the live file `live(nextBytes)` hands out
 * (it rotates first when the next line does not fit), calling `written` once a piece is wholly on disk. Stops at
 * the first failure, the file back at its last whole line (AppendFile).
 */
export function appendInPieces(
  lines: readonly string[],
  sizes: readonly number[],
  maxBytes: number,
  live: (nextBytes: number) => AppendFile,
  written: (file: string, from: number, to: number) => void,
): PiecesWritten {
  let done = 0;
  while (done < lines.length) {
    let f: AppendFile | undefined;
    let n: number;
    try {
      f = live(sizes[done]!);
      // live() rotated if the next line did not fit, so n >= 1; the max keeps the loop moving regardless.
      n = Math.max(1, linesThatFit(sizes, done, f.size, maxBytes));
      const text = done === 0 && n === lines.length ? lines.join('') : lines.slice(done, done + n).join('');
      f.append(Buffer.from(text, 'utf8'));
    } catch (error) {
      return { done, failure: { file: f?.path, error } };
    }
    // Outside the try: a throwing callback must not be taken for a disk failure (and the piece written twice).
    written(f.path, done, done + n);
    done += n;
  }
  return { done };
}
