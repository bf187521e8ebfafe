// The tailer: gives one file identity its turn. Checks the file (grown, truncated, replaced, gone), reads what
// is new by offset (up to a turn budget, with one chunk of read-ahead), feeds the framer, hands the records on,
// completes the last record of a file that is done (exports, rotated files, gzip), and backs off when idle.
// Reading stops while the sink is full (`ctx.blocked`): memory stays bounded by one chunk per file served.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { createFramer } from '../framing/index.js';
import { describeError } from '../pipeline/errors.js';
import type { FramingKind } from '../pipeline/record.types.js';
import {
  fileGone,
  fileReadError,
  fileTruncated,
  forgetFileMetrics,
  framerWarning,
  inputMetrics,
} from '../telemetry/input-events.js';
import type { CheckpointIndex } from './checkpoint-index.js';
import { fileId, headText, prefixHash, readHeadFromHandle } from './file-identity.js';
import type { HandlePool } from './handle-pool.js';
import type { RecordDispatcher } from './record-dispatcher.js';
import { RegistryWriteError } from './registry.js';
import type { InputContext, Tail } from './tail.types.js';
import { fsPath } from './raw-path.js';
import { pathText } from '../telemetry/path-text.js';
import { isPermissionError } from './unreadable-paths.js';

/** Framings whose files are complete exports: the last record is emitted once the file stops changing. */
const EXPORT_FRAMINGS: ReadonlySet<FramingKind> = new Set([
  'mailbox-log',
  'xml-events',
  'json',
  'whole-file',
  'evtx',
]);

/** Bytes per read (one read's records are all handed on, so this also bounds the overshoot past a full sink). */
export const READ_CHUNK_BYTES = 256 * 1024;
/** The smallest read (a file that grew by a few bytes is read with one small buffer). */
export const MIN_READ_BYTES = 16 * 1024;
/** Bytes one file may read per turn before the next file gets its turn. */
export const TURN_BUDGET_BYTES = 1024 * 1024;
/** A file idle this long (and settled) is parked: its parser and framer are dropped until it grows. */
const PARK_AFTER_IDLE_MS = 5000;
/** Bytes kept from the end of the last read to tell an in-place rewrite that grew past the read position. */
const CONTINUITY_BYTES = 32;
/** Structural framing warnings (EVTX CRC mismatches and the like) logged per file reading; the rest are counted. */
const MAX_WARNINGS_LOGGED_PER_FILE = 10;

/**
 * Where the turn's first read finds the bytes last read (`lastBytes`, ending at `lastBytesEnd`): `pre` bytes
 * before the position are read too when they begin before it, and `at` is their offset in what is read. None when
 * they end before the position (nothing to check there).
 */
function continuityWindow(t: Tail): { pre: number; at: number } | undefined {
  const last = t.lastBytes;
  const end = t.lastBytesEnd;
  if (!last || end === undefined || end < t.pos || end < last.length) return undefined;
  const start = end - last.length;
  const pre = Math.max(0, t.pos - start);
  return { pre, at: start - (t.pos - pre) };
}

/**
 * Whether a read (`asked` bytes asked, `got` read into `buffer`) still holds `last` at offset `at`. A read that was
 * not asked to reach their end proves nothing (true); one that was and stopped short found the file shorter.
 */
function holdsLastBytes(last: Buffer, at: number, asked: number, buffer: Buffer, got: number): boolean {
  if (at + last.length > asked) return true;
  return got >= at + last.length && buffer.subarray(at, at + last.length).equals(last);
}

export class TailReader {
  constructor(
    private readonly ctx: InputContext,
    private readonly handles: HandlePool,
    private readonly records: RecordDispatcher,
    private readonly index: CheckpointIndex,
  ) {}

  /** Give one file its turn: check it, read what is new (up to the turn budget), finish it when complete. */
  async service(t: Tail): Promise<void> {
    if (t.busy || t.finished) return;
    t.busy = true;
    const cfg = this.ctx.config;
    try {
      if (t.orphanSince !== undefined) {
        // Wait for a copy of it to be discovered (copytruncate); then give up on the rest.
        const wait = Math.max(cfg.closeIdleMs, 2 * cfg.rescanIntervalMs);
        if (Date.now() - t.orphanSince >= wait) this.finish(t, 0);
        else t.nextCheckAt = Date.now() + cfg.pollIntervalMs;
        return;
      }
      if (t.identityPut !== undefined) await this.identityWritten(t);
      if (t.compressed) await this.serviceGzip(t);
      else await this.servicePlain(t);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A replay reads again at once (it has no poll interval): trying again would spin on an error that stays.
      if (t.replay) t.readError = describeError(err);
      // Permission taken away while reading: reported once (and cleared when a rescan can open it again).
      if (isPermissionError(code)) this.ctx.unreadable.mark(t.path, 'file', code!);
      else
        fileReadError(
          this.ctx.log,
          { inputId: this.ctx.id, path: t.path, error: describeError(err) },
          !t.replay,
        );
      await this.handles.close(t);
      t.nextCheckAt = Date.now() + cfg.pollIntervalMs * 4;
    } finally {
      t.busy = false;
    }
  }

  /**
   * Wait until the registry holds this reader's identity (one write for every reader opened by then). If the
   * registry cannot be written (its disk full), reading goes on all the same: the outage is reported once by the
   * registry, with a /health condition, and shipping does not stop for it; a crash during the outage may then
   * send a file first seen during it again under another identity.
   */
  async identityWritten(t: Tail): Promise<void> {
    try {
      await this.ctx.deps.registry.written(t.identityPut!);
    } catch (err) {
      if (!(err instanceof RegistryWriteError)) throw err;
    }
    t.identityPut = undefined;
  }

  /** No more reading for this identity in this run. */
  finish(t: Tail, unreadBytes: number): void {
    if (t.framer && (t.gone || t.orphanSince !== undefined)) {
      // The file is complete as far as we will ever see it: emit a pending last record.
      this.records.handle(t, t.framer.end());
      t.ended = true;
    }
    t.framer = undefined;
    t.finished = true;
    void this.handles.close(t);
    if (t.gone || t.orphanSince !== undefined || unreadBytes > 0)
      fileGone(this.ctx.log, { inputId: this.ctx.id, path: t.path, unreadBytes });
    const info = this.ctx.paths.get(t.path);
    if (info?.key === t.key && (t.gone || t.orphanSince !== undefined)) this.ctx.paths.delete(t.path);
  }

  private async servicePlain(t: Tail): Promise<void> {
    const now = Date.now();
    const cfg = this.ctx.config;
    if (!t.fh) {
      let st;
      try {
        st = await stat(fsPath(t.path), { bigint: true });
      } catch {
        st = undefined;
      }
      if (!st || fileId(st) !== t.ino) {
        // Gone while no handle was open: whatever it held beyond our position cannot be read any more.
        this.ctx.hints.add(t.path);
        this.finish(t, Math.max(0, t.size - t.pos));
        return;
      }
      const size = Number(st.size);
      if (size < t.pos) return this.truncated(t, size);
      if (this.nothingNew(t, size)) return this.atEnd(t);
      if (size === t.pos && !this.mayComplete(t, now)) {
        if (t.replay) this.finish(t, 0);
        else {
          if (this.parkDue(t, now)) this.park(t);
          this.idle(t, now);
        }
        return;
      }
      if (size > t.pos && !(await this.handles.open(t))) {
        t.nextCheckAt = now + cfg.pollIntervalMs;
        return;
      }
    }
    let size = t.size;
    if (t.fh) {
      const st = await t.fh.stat({ bigint: true });
      size = Number(st.size);
      if (size < t.pos) return this.truncated(t, size);
      // The leading bytes are re-checked when the size changed, or when the identifying prefix can grow.
      if (size !== t.size || t.cp.matchLen < Math.min(size, cfg.fingerprintBytes)) {
        if (!(await this.verifyAndExtend(t, size))) return this.truncated(t, size);
      }
      // Truncated and written past the old offset between two looks: the size alone does not tell, the bytes
      // last read do. An active reader's next read reads them again with the new data and compares them there
      // (continuityWindow); a parked one is checked here, with a read of their own.
      const readChecks = t.handler !== undefined && t.lastBytesEnd === t.pos;
      if (size !== t.size && !readChecks && !(await this.continues(t))) return this.truncated(t, size);
      if (size !== t.size)
        inputMetrics
          .lag()
          .set({ input: this.ctx.id, file: pathText(t.path) }, Math.max(0, size - t.committed));
      t.size = size;
      if (this.nothingNew(t, size)) return this.atEnd(t);
    }
    if (t.fh && !t.handler && !(await this.unpark(t))) return;
    let total = 0;
    // Read-ahead: the next chunk is requested before this one is processed, so the file system's latency (a
    // thread-pool round trip per read) overlaps parsing instead of adding to it. A prefetch is issued only when
    // the turn will continue; if processing blocks or stops the turn, it is awaited and dropped (t.pos has not
    // moved, so those bytes are read again next turn).
    let ahead: Promise<{ bytesRead: number; buffer: Buffer }> | undefined;
    let atEnd = false;
    let first = true;
    while (t.fh && total < TURN_BUDGET_BYTES && !this.ctx.blocked && !(this.ctx.stopping && !t.replay)) {
      if (!t.framer) this.newFramer(t);
      // A small file gets a buffer of its size (from Node's shared pool below 4 KiB), not a 256 KiB one each.
      const want = Math.min(READ_CHUNK_BYTES, Math.max(MIN_READ_BYTES, t.size - t.pos));
      // The turn's first read also covers the bytes last read (reading them again when they end at the
      // position): the file may have been truncated and written again since the size and those bytes were
      // looked at (between the stat or the check in continues() and this read), and only the same read can tell.
      const win = first ? continuityWindow(t) : undefined;
      first = false;
      const pre = win?.pre ?? 0;
      const next = ahead ?? t.fh.read(Buffer.allocUnsafe(want + pre), 0, want + pre, t.pos - pre);
      ahead = undefined;
      let { bytesRead, buffer } = await next;
      if (win && !holdsLastBytes(t.lastBytes!, win.at, want + pre, buffer, bytesRead))
        return this.truncated(t, Number((await t.fh.stat()).size));
      if (pre > 0) {
        bytesRead = Math.max(0, bytesRead - pre);
        buffer = buffer.subarray(pre);
      }
      if (bytesRead === 0) {
        atEnd = true;
        break;
      }
      t.pos += bytesRead;
      total += bytesRead;
      if (bytesRead === READ_CHUNK_BYTES && total < TURN_BUDGET_BYTES)
        ahead = t.fh.read(Buffer.allocUnsafe(READ_CHUNK_BYTES), 0, READ_CHUNK_BYTES, t.pos);
      const keep = Math.min(CONTINUITY_BYTES, bytesRead);
      t.lastBytes = Buffer.from(buffer.subarray(bytesRead - keep, bytesRead));
      t.lastBytesEnd = t.pos;
      this.records.handle(t, t.framer!.push(buffer.subarray(0, bytesRead)));
    }
    if (ahead) await ahead.catch(() => undefined);
    if (t.pos > t.size) t.size = t.pos;
    // Bytes read again after a park (from the acknowledged offset) are not growth.
    const grown = t.pos - t.readEnd;
    if (grown > 0) t.readEnd = t.pos;
    if (total > 0 && grown <= 0 && !atEnd) {
      t.nextCheckAt = 0; // the turn's budget ran out while reading again: go on next turn
      return;
    }
    if (total > 0 && grown > 0) {
      this.countBytes(t, Math.min(total, grown));
      t.lastGrowthAt = Date.now();
      t.lastUsedAt = t.lastGrowthAt;
      t.idleRounds = 0;
      t.ended = false;
      t.nextCheckAt = total >= TURN_BUDGET_BYTES || this.ctx.blocked ? 0 : Date.now() + cfg.pollIntervalMs;
      // Read to its end while new files wait for a slot: parked now if its records are already settled (else
      // once they are: see the acknowledgement callback in identity-resolver.ts).
      if (atEnd && this.ctx.waiting.size > 0) this.park(t);
      return;
    }
    await this.atEnd(t);
  }

  /** A parked reader of a completed file whose size is no more than what it read: there is nothing to read. */
  private nothingNew(t: Tail, size: number): boolean {
    return t.ended && !t.handler && !t.framer && size <= t.readEnd;
  }

  /** Nothing new to read: complete the file if it is done, close idle handles, back off. */
  private async atEnd(t: Tail): Promise<void> {
    const now = Date.now();
    if (!t.gone) {
      try {
        const st = await stat(fsPath(t.path), { bigint: true });
        if (fileId(st) !== t.ino) t.gone = true;
      } catch {
        t.gone = true;
      }
      if (t.gone) this.ctx.hints.add(t.path);
    }
    if (this.mayComplete(t, now)) {
      if (t.framer) this.records.handle(t, t.framer.end());
      t.framer = undefined;
      t.ended = true;
    }
    if (t.gone && (t.ended || now - t.lastGrowthAt >= this.ctx.config.closeIdleMs)) {
      this.finish(t, 0);
      return;
    }
    if (t.replay && t.ended) {
      this.finish(t, 0);
      return;
    }
    if (t.fh && now - t.lastGrowthAt >= this.ctx.config.closeIdleMs) await this.handles.close(t);
    if (this.parkDue(t, now)) this.park(t);
    this.idle(t, now);
  }

  /** A file at its end is parked once idle for a while, or at once while new files wait for a reader slot. */
  private parkDue(t: Tail, now: number): boolean {
    if (this.ctx.waiting.size > 0) return true;
    return now - t.lastGrowthAt >= Math.min(PARK_AFTER_IDLE_MS, this.ctx.config.closeIdleMs);
  }

  /**
   * An idle file whose records are all settled keeps only what finds and resumes it (identity, offset, size, the
   * parser state at its last settled record): its parser, framer and metric series go, so 20,000 quiet files
   * cost little. Bytes fed to the framer after the last record (a partial line) are read again when it grows.
   * The registry may still hold an older offset: the next commit writes `committed` as for any reader.
   */
  private park(t: Tail): void {
    if (!t.handler || t.replay || t.compressed) return;
    if (t.tracker.pending > 0) return;
    // Every record read is settled, so every recorded parser state change is at or before `committed`: the
    // last one is the state to resume with (what the committer would take at its next commit).
    const last = t.stateChanges.at(-1);
    if (last) {
      t.committedStateJson = last.json === undefined ? undefined : this.ctx.states.fromJson(last.json).json;
      t.stateChanges.length = 0;
    }
    t.handler = undefined;
    t.framer = undefined;
    t.pos = t.committed;
    t.lastState = undefined;
    // `lastBytes` stay (32 bytes): a file truncated and written past the old offset while its reader is parked
    // is told by them, as for a reader that is not.
    // Copied out of Node's shared 8 KiB pool: 20,000 parked files must not each keep a slab alive.
    if (t.lastBytes) {
      const own = Buffer.allocUnsafeSlow(t.lastBytes.length);
      t.lastBytes.copy(own);
      t.lastBytes = own;
    }
    forgetFileMetrics(this.ctx.id, t.path);
  }

  /** Make the handler of a parked file again, at its committed parser state. False if no format takes it now. */
  private async unpark(t: Tail): Promise<boolean> {
    const head = await readHeadFromHandle(t.fh!, Math.max(t.cp.matchLen, 1));
    const handler = this.ctx.deps.handlerFactory(t.source, headText(head));
    if (!handler || handler.framing !== t.kind) {
      fileReadError(this.ctx.log, {
        inputId: this.ctx.id,
        path: t.path,
        error: 'the format of the file changed while it was idle; it is not read further',
      });
      this.finish(t, Math.max(0, t.size - t.pos));
      return false;
    }
    if (t.committed > 0 && t.committedStateJson !== undefined)
      handler.restore(this.ctx.states.fromJson(t.committedStateJson).value);
    t.handler = handler;
    t.lastState = handler.snapshot();
    t.lastStateJson = t.committedStateJson;
    return true;
  }

  private mayComplete(t: Tail, now: number): boolean {
    if (t.ended && !t.framer) return false;
    if (t.replay) return true;
    const cfg = this.ctx.config;
    const idle = now - t.lastGrowthAt;
    if (EXPORT_FRAMINGS.has(t.kind)) return idle >= cfg.exportSettleMs;
    if (t.gone) return idle >= Math.min(cfg.closeIdleMs, 5000);
    return cfg.partialLineFlushMs > 0 && idle >= cfg.partialLineFlushMs;
  }

  private idle(t: Tail, now: number): void {
    t.idleRounds += 1;
    const factor = t.idleRounds < 5 ? 1 : 4;
    let next = now + this.ctx.config.pollIntervalMs * factor;
    // Wake up in time to complete an export or a rotated file.
    if (!t.ended && EXPORT_FRAMINGS.has(t.kind))
      next = Math.min(next, t.lastGrowthAt + this.ctx.config.exportSettleMs);
    t.nextCheckAt = next;
  }

  private newFramer(t: Tail): void {
    let warned = 0;
    t.framer = createFramer(t.kind, {
      startOffset: t.pos,
      encoding: t.encoding,
      maxRecordBytes: this.ctx.config.maxRecordBytes,
      // Bounded per framer: a badly damaged file must not flood the agent's own log.
      onWarning: (w) => {
        warned += 1;
        framerWarning(
          this.ctx.log,
          { inputId: this.ctx.id, path: t.path, ...w },
          warned <= MAX_WARNINGS_LOGGED_PER_FILE,
        );
      },
    });
    t.pos = t.framer.feedFrom;
  }

  /**
   * Check that the file still starts with the bytes that identify it (truncate-and-regrow changes them), and
   * extend the identifying prefix of a file that was small when first seen.
   */
  private async verifyAndExtend(t: Tail, size: number): Promise<boolean> {
    const want = Math.min(size, this.ctx.config.fingerprintBytes);
    const head = await readHeadFromHandle(t.fh!, Math.max(want, t.cp.matchLen));
    if (head.length < t.cp.matchLen || prefixHash(head, t.cp.matchLen) !== t.cp.matchHash) return false;
    if (head.length > t.cp.matchLen) {
      this.index.remove(t.cp);
      t.cp.matchLen = head.length;
      t.cp.matchHash = prefixHash(head, head.length);
      this.index.add(t.cp);
      this.ctx.deps.registry.touch(t.cp);
      // Paths taken for copies of this file on a shorter prefix may turn out to be different files now.
      for (const [p, info] of this.ctx.paths) {
        if (info.dupOf === t.key) {
          info.size = -1;
          this.ctx.hints.add(p);
        }
      }
    }
    return true;
  }

  /** Whether the file still holds, just before the read position, the bytes last read there. */
  private async continues(t: Tail): Promise<boolean> {
    const last = t.lastBytes;
    const end = t.lastBytesEnd;
    // Checked where they were read, which is past `pos` for a parked reader (back at its acknowledged offset).
    if (!last || end === undefined || end < t.pos || !t.fh) return true;
    const buf = Buffer.alloc(last.length);
    const { bytesRead } = await t.fh.read(buf, 0, last.length, end - last.length);
    return bytesRead === last.length && buf.equals(last);
  }

  private async truncated(t: Tail, size: number): Promise<void> {
    fileTruncated(this.ctx.log, { inputId: this.ctx.id, path: t.path, readOffset: t.pos, size });
    await this.handles.close(t);
    const info = this.ctx.paths.get(t.path);
    if (info?.key === t.key) this.ctx.paths.delete(t.path);
    this.ctx.hints.add(t.path);
    t.orphanSince = Date.now();
    t.nextCheckAt = Date.now() + this.ctx.config.pollIntervalMs;
    this.ctx.wake();
  }

  private async serviceGzip(t: Tail): Promise<void> {
    if (t.ended) {
      this.finish(t, 0);
      return;
    }
    if (!t.gz) {
      if (!this.handles.reserve(t)) {
        t.nextCheckAt = Date.now() + this.ctx.config.pollIntervalMs;
        return;
      }
      const src = createReadStream(fsPath(t.path));
      const gunzip = createGunzip();
      src.on('error', (err) => gunzip.destroy(err));
      src.pipe(gunzip);
      t.gz = { src, gunzip, iter: gunzip[Symbol.asyncIterator](), pos: 0 };
      t.framer = undefined;
    }
    const gz = t.gz;
    if (!t.framer) this.newFramer(t);
    let total = 0;
    while (total < TURN_BUDGET_BYTES && !this.ctx.blocked && !(this.ctx.stopping && !t.replay)) {
      let r: IteratorResult<unknown>;
      try {
        r = await gz.iter.next();
      } catch (err) {
        fileReadError(this.ctx.log, {
          inputId: this.ctx.id,
          path: t.path,
          error: `gzip: ${describeError(err)}`,
        });
        inputMetrics.errors().inc({ input: this.ctx.id, file: pathText(t.path) });
        r = { done: true, value: undefined };
      }
      if (r.done) {
        this.records.handle(t, t.framer!.end());
        t.framer = undefined;
        t.ended = true;
        await this.handles.close(t);
        this.finish(t, 0);
        break;
      }
      const chunk = r.value as Buffer;
      const chunkStart = gz.pos;
      gz.pos += chunk.length;
      if (gz.pos <= t.pos) continue; // before the resume point
      const part = chunkStart < t.pos ? chunk.subarray(t.pos - chunkStart) : chunk;
      t.pos += part.length;
      total += part.length;
      this.records.handle(t, t.framer!.push(part));
    }
    if (t.pos > t.size) t.size = t.pos;
    if (total > 0) this.countBytes(t, total);
    t.lastUsedAt = Date.now();
    t.nextCheckAt = 0;
  }

  private countBytes(t: Tail, n: number): void {
    this.ctx.bytesRead += n;
    inputMetrics.bytesRead().inc({ input: this.ctx.id, file: pathText(t.path) }, n);
  }
}
