// The count bound of a rotating file family (the file output's `<stream>-<time>.ndjson`, the dead letters'
// `dead-letter-<time>.ndjson`): once more than `maxFiles` files of a family exist, the oldest rotated ones are
// deleted. The live file is never deleted. Rotated names carry an ISO time, so name order is age order.

import path from 'node:path';
import type { DiskIo } from './disk-io.js';

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
