// Temporary folders for tests, removed when the test process exits. `tempDir(prefix)` makes a folder under
// os.tmpdir() (as mkdtempSync does) and records it; one `process.once('exit')` hook, registered on the first call,
// removes every recorded folder (recursive, force, a few retries). Errors while removing are ignored (a tmpfs still
// mounted on it, a child process still writing there): the hook never throws at exit. A test that removes its
// folder itself in an after-hook may keep doing so; a second removal with `force` is harmless.
//
// Each *.test.ts file runs in its own process, so its folders go when that file's tests end. Folders made in a
// child process (an agent given a data dir) are covered when the folder itself came from here. To keep them for
// inspecting a failure, run with CASGUARD_KEEP_TEST_TMP=1: the hook then removes nothing.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];
let hooked = false;

function removeAll(): void {
  if (process.env.CASGUARD_KEEP_TEST_TMP === '1') return;
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch {
      // Left behind: still mounted, or in use. Nothing at exit may throw.
    }
  }
}

/** A new folder `<os.tmpdir()>/<prefix>XXXXXX`, removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeAll);
  }
  return dir;
}
