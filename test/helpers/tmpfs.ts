// A real small filesystem for full-disk tests: a tmpfs of a given size, mounted on a temporary folder. Needs
// root and a kernel that allows it (not in most CI containers): when the mount fails, the caller skips with
// the printed reason (the same logic also runs against test/helpers/faulty-disk.ts, which needs no mount).

import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp-dir.js';

export interface Tmpfs {
  readonly dir: string;
  /** Fill the filesystem (a file `filler`, up to ENOSPC) and return how many bytes it took. */
  readonly fill: () => number;
  /** Remove the filler: the space returns. */
  readonly free: () => void;
  readonly unmount: () => void;
}

/** A mounted tmpfs, or the reason it cannot be mounted here. */
export function mountTmpfs(bytes: number): Tmpfs | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'tmpfs mounts need Linux' };
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  const dir = tempDir('cg-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `mount -t tmpfs failed here: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill: () => {
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      let n = 0;
      // Appending until the kernel refuses: the last chunks may be short, then ENOSPC.
      for (;;) {
        try {
          writeFileSync(filler, chunk, { flag: 'a' });
          n += chunk.length;
        } catch {
          for (let size = 4096; size >= 1; size >>= 1) {
            try {
              for (;;) {
                writeFileSync(filler, chunk.subarray(0, size), { flag: 'a' });
                n += size;
              }
            } catch {
              // next smaller size
            }
          }
          return n;
        }
      }
    },
    free: () => rmSync(filler, { force: true }),
    unmount: () => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
