// The bounds of a rotating file family (the file output's `<stream>-<time>.ndjson`, the dead letters'
// `dead-letter-<time>.ndjson`). Size: the live file is rotated before a line that would take it past
// `maxFileBytes` (as the agent's own log does), so a file holds at most `maxFileBytes`, or one line larger than that
// alone. Count: once more than `maxFiles` files of a family exist, the oldest rotated ones are deleted. The live
// file is never deleted. Rotated names carry an ISO time, unique within the family, so name order is age order.

import path from 'node:path';
import { errorCode, type DiskIo } from './disk-io.js';

/** Deletes the oldest rotated files of the family beyond maxFiles (live file included in the count). */
export function pruneRotated(
  io: DiskIo,
  o: {
    readonly dir: string;
    /** Name of the live file (`alerts.ndjson`). */
    readonly live: string;
    /** Rotated names: `<prefix><time>.ndjson`. */
    readonly prefix: string;
    readonly maxFiles: number;
    readonly onDeleted: (file: string, bytes: number) => void;
  },
): void {
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
