// Rotation and identity decisions: what a path holds now. For each path discovery hands over, decide whether it
// is a new file, a known file (same identity, maybe moved, renamed or copied), a duplicate of a file already
// being read, a truncated or replaced one, or gone, and open, move or drop readers accordingly. Identity is the
// hash of the first bytes (file-identity.ts), looked up in the input's checkpoints (checkpoint-index.ts).
// One identity is read by one reader at a time, whatever paths it appears under.

import type { BigIntStats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { TextEncoding } from '../framing/framer.types.js';
import { AckTracker } from '../pipeline/ack-tracker.js';
import { describeError } from '../pipeline/errors.js';
import type { RecordSource } from '../pipeline/record.types.js';
import type { FileHandler } from '../pipeline/stages.types.js';
import {
  checkpointBeyondEnd,
  fileDuplicate,
  fileMoved,
  fileOpened,
  fileReadError,
  fileUnrecognised,
  forgetFileMetrics,
} from '../telemetry/input-events.js';
import type { CheckpointIndex } from './checkpoint-index.js';
import {
  detectEncoding,
  fileId,
  headText,
  isGzip,
  nextGeneration,
  prefixHash,
  readGzipHead,
  readHeadFromHandle,
} from './file-identity.js';
import type { HandlePool } from './handle-pool.js';
import { documentPath, fsPath } from './raw-path.js';
import type { Checkpoint } from './registry.js';
import type { InputContext, InspectOptions, Probe, Tail } from './tail.types.js';
import { isPermissionError } from './unreadable-paths.js';

/**
 * For `startAt: end`: the offset just after the last line end in the file (within its last 64 KiB), so
 * tailing starts on a line boundary and never emits the tail of a half-read line. 0 if there is none.
 */
async function lastLineEnd(file: string, size: number, encoding: TextEncoding): Promise<number> {
  const span = Math.min(size, 64 * 1024);
  const from = size - span;
  const fh = await open(fsPath(file), 'r');
  try {
    const buf = Buffer.alloc(span);
    const { bytesRead } = await fh.read(buf, 0, span, from);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (encoding === 'utf8') return from + i + 1;
      if (encoding === 'utf16le' && (from + i) % 2 === 0 && buf[i + 1] === 0) return from + i + 2;
      if (encoding === 'utf16be' && (from + i) % 2 === 1 && buf[i - 1] === 0) return from + i + 1;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

export class IdentityResolver {
  /** One-time reports (duplicates, unrecognised files) already logged. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly ctx: InputContext,
    private readonly index: CheckpointIndex,
    private readonly handles: HandlePool,
  ) {}

  /**
   * The I/O half of `inspect`, safe to run for many paths at once: stat through an open handle and, when the
   * path may need identifying, read its first bytes from the same handle (so both describe the same file).
   */
  async probe(file: string, opts: { replay: boolean }): Promise<Probe> {
    let fh: FileHandle;
    try {
      fh = await open(fsPath(file), 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return { missing: true };
      return { missing: false, error: describeError(err), ...(code ? { errorCode: code } : {}) };
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) return { missing: false, st };
      if (!this.needsHead(file, st, opts) || st.size === 0n) return { missing: false, st };
      const n = this.ctx.config.fingerprintBytes;
      let head = await readHeadFromHandle(fh, n);
      let compressed = false;
      if (isGzip(head)) {
        compressed = true;
        head = await readGzipHead(fsPath(file), n);
      }
      return { missing: false, st, head, compressed };
    } catch (err) {
      return { missing: false, error: describeError(err) };
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** False when what is known about this path already settles it (the common case for a known file). */
  private needsHead(file: string, st: BigIntStats, opts: { replay: boolean }): boolean {
    const known = this.ctx.paths.get(file);
    if (!known || known.ino !== fileId(st) || opts.replay) return true;
    const size = Number(st.size);
    const t = known.key ? this.ctx.tails.get(known.key) : undefined;
    if (t && t.path === file && t.orphanSince === undefined && !t.finished) return false;
    if (
      known.unrecognised &&
      (size === known.size || (known.headLen ?? 0) >= this.ctx.config.fingerprintBytes)
    )
      return false;
    if (known.dupOf && size === known.size) {
      // Same leading bytes as a file being read. Looked at again when it grows: two files that start alike
      // (two IIS sites rolling over in the same second) differ once they have more than the shared header.
      const owner = this.ctx.tails.get(known.dupOf);
      if (owner && owner.orphanSince === undefined && !owner.finished && owner.path !== file) return false;
    }
    if (known.key && !t && size === known.size) return false;
    return true;
  }

  /** Look at a path: new file, known file, moved file, duplicate, gone. Returns its reader if it has one. */
  async inspect(file: string, opts: InspectOptions, probed?: Probe): Promise<Tail | undefined> {
    const ctx = this.ctx;
    let p = probed ?? (await this.probe(file, opts));
    if (p.missing) {
      ctx.unreadable.clear(file);
      this.pathMissing(file);
      return undefined;
    }
    if (isPermissionError(p.errorCode)) {
      ctx.unreadable.mark(file, 'file', p.errorCode!);
      return undefined;
    }
    if (p.error !== undefined || !p.st) {
      fileReadError(ctx.log, { inputId: ctx.id, path: file, error: p.error ?? 'stat failed' });
      return undefined;
    }
    ctx.unreadable.clear(file);
    let st = p.st;
    if (!st.isFile()) return undefined;
    const known = ctx.paths.get(file);
    if (!this.needsHead(file, st, opts)) {
      const t = known?.key ? ctx.tails.get(known.key) : undefined;
      if (known && t && t.path === file && t.orphanSince === undefined && !t.finished) {
        if (Number(st.size) !== known.size) t.nextCheckAt = 0;
        known.size = Number(st.size);
        return t;
      }
      return undefined;
    }
    if (!p.head && st.size > 0n) {
      // The state changed since the probe (another path of the batch was resolved first): probe again.
      p = await this.probe(file, { replay: true });
      if (p.missing || !p.st || p.error !== undefined) return undefined;
      st = p.st;
    }
    const ino = fileId(st);
    const size = Number(st.size);
    if (size === 0) {
      ctx.paths.set(file, { ino, size });
      return undefined;
    }
    if (
      !known &&
      !opts.replay &&
      ctx.config.ignoreOlderThanMs !== undefined &&
      Date.now() - Number(st.mtimeMs) > ctx.config.ignoreOlderThanMs
    ) {
      ctx.paths.set(file, { ino, size, unrecognised: true, headLen: ctx.config.fingerprintBytes });
      return undefined;
    }
    const head = p.head ?? Buffer.alloc(0);
    const compressed = p.compressed ?? false;
    if (head.length === 0) return undefined;
    const cp = this.index.find(head);
    if (cp) {
      const t = ctx.tails.get(this.index.keyOf(cp.fingerprint));
      if (t && !t.finished) {
        if (t.path === file && t.ino === ino && t.orphanSince === undefined) return t;
        if (t.orphanSince !== undefined && t.ino === ino && !compressed && !t.compressed) {
          // The file it was reading lost its data after the identifying bytes (truncated in place, keeping
          // them) and is written again: the old offset means nothing in the new data.
          return this.regenerate(cp, t, file, ino, size, head, opts);
        }
        if (t.orphanSince === undefined && (await this.stillHolds(t))) {
          ctx.paths.set(file, { ino, size, dupOf: t.key });
          if (!this.reported.has(`dup:${file}`)) {
            this.reported.add(`dup:${file}`);
            fileDuplicate(ctx.log, { inputId: ctx.id, path: file, sameAs: t.path });
          }
          return undefined;
        }
        if (!compressed && !t.compressed && t.ino !== ino && size < t.pos) {
          // A shorter file with this identity (a copy still being written): looked at again when it grows.
          ctx.paths.set(file, { ino, size, dupOf: t.key });
          return undefined;
        }
        await this.moveTail(t, file, ino, compressed, size);
        return t;
      }
      // A finished reader is replaced only once its last records are settled and committed.
      if (t?.finished && (t.tracker.pending > 0 || t.cp.offset !== t.committed)) return undefined; // next rescan
      if (t) ctx.tails.delete(t.key);
      if (!opts.replay && !compressed && cp.offset > size) {
        // Truncated while not watched (or a registry from elsewhere): corrected once, here, with one warning.
        checkpointBeyondEnd(ctx.log, { inputId: ctx.id, path: file, checkpointOffset: cp.offset, size });
        return this.regenerate(cp, undefined, file, ino, size, head, opts);
      }
      return this.openTail(cp, file, ino, size, head, compressed, opts);
    }
    const fingerprint = prefixHash(head, head.length);
    const fresh: Checkpoint = {
      inputId: ctx.id,
      fingerprint,
      matchLen: head.length,
      matchHash: fingerprint,
      path: file,
      offset:
        ctx.config.startAt === 'end' && !opts.replay && !compressed && ctx.startupFiles.has(file)
          ? await lastLineEnd(file, size, detectEncoding(head).encoding)
          : 0,
      updatedAt: new Date().toISOString(),
    };
    return this.openTail(fresh, file, ino, size, head, compressed, opts);
  }

  /**
   * Read a file that kept its identifying bytes but not the data after them from its start, under the next
   * generation of its identity (so records at offsets used before get new document ids and none is taken for
   * a duplicate of an old one). The records of the kept prefix are sent again under the new identity; the old
   * reader, if any, stops and its checkpoint is dropped (the bytes it had not read are gone from the file).
   */
  private regenerate(
    old: Checkpoint,
    t: Tail | undefined,
    file: string,
    ino: string,
    size: number,
    head: Buffer,
    opts: InspectOptions,
  ): Tail | undefined {
    const ctx = this.ctx;
    if (t) {
      t.framer = undefined;
      t.finished = true;
      void this.handles.close(t);
    }
    this.index.remove(old);
    ctx.deps.registry.remove(ctx.id, old.fingerprint);
    const fresh: Checkpoint = {
      inputId: ctx.id,
      fingerprint: nextGeneration(old.fingerprint),
      matchLen: head.length,
      matchHash: prefixHash(head, head.length),
      path: file,
      offset: 0,
      updatedAt: new Date().toISOString(),
    };
    return this.openTail(fresh, file, ino, size, head, false, opts);
  }

  /** Whether the reader's own path still holds its file (same file id, same leading bytes). */
  private async stillHolds(t: Tail): Promise<boolean> {
    try {
      const st = await stat(fsPath(t.path), { bigint: true });
      if (fileId(st) !== t.ino) return false;
      if (t.compressed) return true;
      const fh = await open(fsPath(t.path), 'r');
      try {
        const head = await readHeadFromHandle(fh, t.cp.matchLen);
        return head.length === t.cp.matchLen && prefixHash(head, head.length) === t.cp.matchHash;
      } finally {
        await fh.close();
      }
    } catch {
      return false;
    }
  }

  private openTail(
    cp: Checkpoint,
    file: string,
    ino: string,
    size: number,
    head: Buffer,
    compressed: boolean,
    opts: InspectOptions,
  ): Tail | undefined {
    const ctx = this.ctx;
    // Documents show a name that is not valid UTF-8 readably (raw-path.ts); the reader keeps the exact path.
    const source: RecordSource = { inputId: ctx.id, path: documentPath(file), fingerprint: cp.fingerprint };
    let handler: FileHandler | undefined;
    try {
      handler = ctx.deps.handlerFactory(source, headText(head));
    } catch (err) {
      fileReadError(ctx.log, {
        inputId: ctx.id,
        path: file,
        error: `format detection: ${describeError(err)}`,
      });
    }
    if (!handler) {
      ctx.paths.set(file, { ino, size, unrecognised: true, headLen: head.length });
      if (!this.reported.has(`unrec:${cp.fingerprint}`)) {
        this.reported.add(`unrec:${cp.fingerprint}`);
        fileUnrecognised(ctx.log, { inputId: ctx.id, path: file });
      }
      return undefined;
    }
    const start = opts.replay ? 0 : cp.offset;
    let stateJson: string | undefined;
    if (start > 0 && cp.parserState !== undefined) {
      const state = ctx.states.fromValue(cp.parserState);
      cp.parserState = state.value;
      stateJson = state.json;
      handler.restore(state.value);
    }
    cp.path = file;
    cp.format = handler.formatName;
    const identityPut = ctx.deps.registry.put(cp);
    this.index.add(cp);
    const { encoding } = detectEncoding(head);
    const key = this.index.keyOf(cp.fingerprint);
    const t: Tail = {
      key,
      cp,
      kind: handler.framing,
      encoding,
      handler,
      replay: opts.forceComplete,
      identityPut,
      tracker: new AckTracker(start, (offset) => {
        t.committed = offset;
        // Read to its end and now settled while new files wait for a reader slot: looked at (and parked) at once.
        if (ctx.waiting.size > 0 && t.handler && t.tracker.pending === 0 && t.pos >= t.size && !t.busy) {
          t.nextCheckAt = 0;
          ctx.wake();
        }
      }),
      path: file,
      ino,
      compressed,
      source,
      pos: start,
      readEnd: start,
      committed: start,
      size,
      lastGrowthAt: Date.now(),
      lastUsedAt: Date.now(),
      nextCheckAt: 0,
      idleRounds: 0,
      gone: false,
      ended: false,
      finished: false,
      busy: false,
      lastState: handler.snapshot(),
      lastStateJson:
        handler.snapshot() === undefined ? undefined : ctx.states.fromValue(handler.snapshot()).json,
      committedStateJson: stateJson,
      stateChanges: [],
      records: 0,
      documents: 0,
      deadLetters: 0,
    };
    if (!opts.replay && cp.done && (compressed || size <= cp.offset)) {
      // Read to the end before (complete export or gzip): nothing new.
      t.ended = true;
      t.finished = compressed;
    }
    ctx.tails.set(key, t);
    ctx.paths.set(file, { ino, size, key });
    fileOpened(ctx.log, {
      inputId: ctx.id,
      path: file,
      format: handler.formatName,
      offset: start,
      encoding,
    });
    return t;
  }

  private async moveTail(
    t: Tail,
    file: string,
    ino: string,
    compressed: boolean,
    size: number,
  ): Promise<void> {
    const ctx = this.ctx;
    const from = t.path;
    if (compressed !== t.compressed || t.orphanSince !== undefined || t.ino !== ino)
      await this.handles.close(t);
    const prev = ctx.paths.get(from);
    if (prev?.key === t.key && from !== file) ctx.paths.delete(from);
    t.path = file;
    t.ino = ino;
    t.compressed = compressed;
    t.size = size;
    t.source = { ...t.source, path: documentPath(file) };
    t.gone = false;
    t.orphanSince = undefined;
    t.nextCheckAt = 0;
    t.cp.path = file;
    ctx.deps.registry.touch(t.cp);
    ctx.paths.set(file, { ino, size, key: t.key });
    fileMoved(ctx.log, { inputId: ctx.id, from, to: file });
    if (from !== file && ![...ctx.tails.values()].some((o) => o.path === from))
      forgetFileMetrics(ctx.id, from);
  }

  private pathMissing(file: string): void {
    const info = this.ctx.paths.get(file);
    if (!info) return;
    this.ctx.paths.delete(file);
    const t = info.key ? this.ctx.tails.get(info.key) : undefined;
    if (t && t.path === file && !t.gone) {
      t.gone = true;
      t.nextCheckAt = 0;
    }
  }

  /** Drop checkpoints of files that have not been on disk for forgetAfterMs (vector#1427: no endless growth). */
  forgetGone(now: number): void {
    const ctx = this.ctx;
    const present = new Set<string>();
    for (const info of ctx.paths.values()) if (info.key) present.add(info.key);
    for (const key of ctx.tails.keys()) present.add(key);
    for (const cp of ctx.deps.registry.entries(ctx.id)) {
      const key = this.index.keyOf(cp.fingerprint);
      if (present.has(key)) continue;
      const updated = Date.parse(cp.updatedAt);
      if (Number.isFinite(updated) && now - updated > ctx.config.forgetAfterMs) {
        this.index.remove(cp);
        ctx.deps.registry.remove(ctx.id, cp.fingerprint);
      }
    }
  }
}
