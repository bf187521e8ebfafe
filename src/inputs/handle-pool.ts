// File handles of one input: opened for a reader, counted against `maxOpenFiles`, and closed when idle, gone or
// needed for another file (least recently used first), so Windows can rotate and delete the files and a large
// tree cannot exhaust descriptors.

import { open } from 'node:fs/promises';
import { inputMetrics, openFileLimitReached } from '../telemetry/input-events.js';
import { fileId } from './file-identity.js';
import { fsPath } from './raw-path.js';
import type { InputContext, Tail } from './tail.types.js';

export class HandlePool {
  private openCount = 0;
  private limitReported = false;

  constructor(private readonly ctx: InputContext) {}

  /** Open the reader's file; false (and `t.gone`) when its path now names another file, or no slot is free. */
  async open(t: Tail): Promise<boolean> {
    if (!this.reserve(t)) return false;
    try {
      const fh = await open(fsPath(t.path), 'r');
      const st = await fh.stat({ bigint: true });
      if (fileId(st) !== t.ino) {
        await fh.close();
        this.openCount -= 1;
        t.gone = true;
        return false;
      }
      t.fh = fh;
      inputMetrics.openFiles().set({ input: this.ctx.id }, this.openCount);
      return true;
    } catch (err) {
      this.openCount -= 1;
      throw err;
    }
  }

  /** Count a handle against maxOpenFiles, closing the least recently used idle one if needed. */
  reserve(t: Tail): boolean {
    const max = this.ctx.config.maxOpenFiles;
    if (this.openCount >= max) {
      let victim: Tail | undefined;
      for (const o of this.ctx.tails.values()) {
        if (o === t || o.busy || (!o.fh && !o.gz)) continue;
        if (!victim || o.lastUsedAt < victim.lastUsedAt) victim = o;
      }
      if (!this.limitReported) {
        this.limitReported = true;
        openFileLimitReached(this.ctx.log, { inputId: this.ctx.id, maxOpenFiles: max });
      }
      if (!victim) return false;
      // close() releases the slot synchronously; only the close itself is awaited in the background.
      void this.close(victim);
    }
    this.openCount += 1;
    return true;
  }

  async close(t: Tail): Promise<void> {
    const fh = t.fh;
    const gz = t.gz;
    t.fh = undefined;
    t.gz = undefined;
    if (fh) {
      this.openCount -= 1;
      await fh.close().catch(() => undefined);
    }
    if (gz) {
      this.openCount -= 1;
      gz.src.destroy();
      gz.gunzip.destroy();
      // A gzip stream cannot seek: the framer restarts from the committed position next time.
      if (!t.ended) {
        t.framer = undefined;
        t.pos = t.committed;
      }
    }
    if (fh || gz) inputMetrics.openFiles().set({ input: this.ctx.id }, this.openCount);
  }
}
