// The file input: finds files (discovery.ts), identifies them by content (file-identity.ts), reads them by
// offset on a timer, frames bytes into records (src/framing), runs each record through the file's handler,
// pushes the documents to the sink, and commits offsets to the registry only when acknowledged.
//
// Invariants:
// - A file's committed offset only moves over a contiguous prefix of records whose documents are all settled
//   (delivered, spooled or dead-lettered); dead letters are flushed to disk before such an offset is written.
//   After a crash, at most the unsettled records are read again, and their deterministic ids make the re-send
//   harmless (a `create` of an existing id is answered 409).
// - Reading stops while the sink asks for it (push returned false) until `drain()` resolves: memory stays
//   bounded by one read chunk per file being served plus what the sink holds.
// - chokidar events only wake the reader; every known file is polled, and the directories are rescanned.
// - One identity is read by one reader at a time, whatever paths it appears under (rename, copy).
// - File handles are closed when idle or gone, and their number is bounded, so Windows can rotate and delete.

import { createReadStream, type ReadStream } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { FramedRecord, Framer, TextEncoding } from '../framing/framer.types.js';
import { createFramer } from '../framing/index.js';
import { AckTracker } from '../pipeline/ack-tracker.js';
import type { DeadLetter } from '../pipeline/dead-letter.types.js';
import { describeError } from '../pipeline/errors.js';
import type { FramingKind, RecordSource, SourceRecord } from '../pipeline/record.types.js';
import { redactText } from '../pipeline/redact.js';
import type {
  DeadLetterSink,
  DocumentSink,
  FileHandler,
  FileHandlerFactory,
} from '../pipeline/stages.types.js';
import {
  fileDuplicate,
  fileGone,
  fileMoved,
  fileOpened,
  fileReadError,
  fileTruncated,
  fileUnrecognised,
  framerWarning,
  inputMetrics,
  inputStarted,
  inputStopped,
  openFileLimitReached,
  shutdownAckTimeout,
  watcherError,
} from '../telemetry/input-events.js';
import type { Logger } from '../telemetry/logger.types.js';
import { Discovery } from './discovery.js';
import type { FileInputConfig } from './file-input.config.js';
import {
  detectEncoding,
  headText,
  isGzip,
  prefixHash,
  prefixHashes,
  readGzipHead,
  readHeadFromHandle,
} from './file-identity.js';
import type { Checkpoint, Registry } from './registry.js';

export interface FileInputDeps {
  /** Relative paths in the config are resolved against this folder. */
  readonly baseDir: string;
  readonly handlerFactory: FileHandlerFactory;
  readonly sink: DocumentSink;
  readonly deadLetters: DeadLetterSink;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Passed through for handler factories that want it; the input itself does not interpret times. */
  readonly timezone?: string;
}

export interface InputSummary {
  readonly files: number;
  readonly records: number;
  readonly documents: number;
  readonly deadLetters: number;
  readonly bytesRead: number;
  /** Files no format recognised (or that could not be read). */
  readonly skipped: string[];
  /** Files not read because they have the same identity as another file in the run. */
  readonly duplicates: string[];
}

export interface RunOnceOptions {
  /** Start at the registry's checkpoints instead of the beginning of each file (default false). */
  readonly resume?: boolean;
}

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
/** Structural framing warnings (EVTX CRC mismatches and the like) logged per file reading; the rest are counted. */
const MAX_WARNINGS_LOGGED_PER_FILE = 10;
/** Bytes one file may read per turn before the next file gets its turn. */
const TURN_BUDGET_BYTES = 1024 * 1024;
/** New paths identified per loop turn, so reading starts before a large tree is fully identified. */
const INSPECT_BATCH = 256;
/** Files probed or served at once (file system latency, not CPU, is what this hides). */
const IO_CONCURRENCY = 8;
const DEAD_LETTER_TEXT_LIMIT = 64 * 1024;

interface PathInfo {
  ino: string;
  size: number;
  /** The reader (identity key) this path belongs to. */
  key?: string;
  dupOf?: string;
  unrecognised?: boolean;
  headLen?: number;
}

/** What `probe` learned about a path. */
interface Probe {
  readonly missing: boolean;
  readonly st?: BigIntStats;
  readonly head?: Buffer;
  readonly compressed?: boolean;
  readonly error?: string;
}

interface GzipState {
  readonly src: ReadStream;
  readonly gunzip: Gunzip;
  readonly iter: AsyncIterator<unknown>;
  /** Decompressed bytes seen so far. */
  pos: number;
}

/** One file identity being read. */
interface Tail {
  readonly key: string;
  readonly cp: Checkpoint;
  readonly kind: FramingKind;
  readonly encoding: TextEncoding;
  readonly handler: FileHandler;
  readonly tracker: AckTracker;
  readonly replay: boolean;
  path: string;
  ino: string;
  compressed: boolean;
  source: RecordSource;
  fh?: FileHandle;
  gz?: GzipState;
  framer?: Framer;
  /** Next byte to feed the framer (decompressed offset for gzip). */
  pos: number;
  committed: number;
  size: number;
  lastGrowthAt: number;
  lastUsedAt: number;
  nextCheckAt: number;
  idleRounds: number;
  /** The path no longer names this file (renamed away or deleted); drain then finish. */
  gone: boolean;
  /** Truncated or replaced in place: no file to read until a copy with this identity turns up. */
  orphanSince?: number;
  /** The framer was ended at `pos` (the file was complete there). */
  ended: boolean;
  /** Nothing more will be read; dropped once its records are settled. */
  finished: boolean;
  busy: boolean;
  lastState: unknown;
  lastStateJson: string | undefined;
  committedStateJson: string | undefined;
  stateChanges: { end: number; json: string | undefined }[];
  records: number;
  documents: number;
  deadLetters: number;
}

const fileId = (st: { dev: bigint; ino: bigint }): string => `${st.dev}:${st.ino}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * For `startAt: end`: the offset just after the last line end in the file (within its last 64 KiB), so
 * tailing starts on a line boundary and never emits the tail of a half-read line. 0 if there is none.
 */
async function lastLineEnd(file: string, size: number, encoding: TextEncoding): Promise<number> {
  const span = Math.min(size, 64 * 1024);
  const from = size - span;
  const fh = await open(file, 'r');
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

/** Same value, or plain objects whose own values are the same references. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function shallowEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && ra[k] === rb[k]);
}

/** Map with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class FileInput {
  readonly id: string;
  private readonly discovery: Discovery;
  private readonly log: Logger;
  private readonly tails = new Map<string, Tail>();
  private readonly paths = new Map<string, PathInfo>();
  /** matchLen → matchHash → fingerprint, over this input's checkpoints. */
  private readonly index = new Map<number, Map<string, string>>();
  private readonly hints = new Set<string>();
  /** Files present at start (`startAt: end` applies to them only; files created later are read whole). */
  private readonly startupFiles = new Set<string>();
  private readonly reported = new Set<string>();
  private openCount = 0;
  private blocked = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nextRescanAt = 0;
  private nextCommitAt = 0;
  private deadLettersWritten = 0;
  private deadLettersFlushed = 0;
  private bytesRead = 0;
  private limitReported = false;
  /** A rescan happened; forget stale checkpoints once every path it found has been looked at. */
  private forgetDue = false;

  constructor(
    private readonly config: FileInputConfig,
    private readonly deps: FileInputDeps,
  ) {
    this.id = config.id;
    this.log = deps.logger.child({ input: config.id });
    this.discovery = new Discovery({
      patterns: config.paths,
      exclude: config.exclude,
      baseDir: deps.baseDir,
      usePolling: config.usePolling,
      pollIntervalMs: config.pollIntervalMs,
      onHint: (file) => {
        this.hints.add(file);
        this.wake?.();
      },
      onError: (error) => watcherError(this.log, { inputId: this.id, error }),
    });
    for (const cp of deps.registry.entries(config.id)) this.indexAdd(cp);
  }

  /** Start tailing: watch, rescan and poll until `stop()`. Resolves once started. */
  async start(): Promise<void> {
    if (this.loop) return;
    if (this.config.watch) this.discovery.start();
    const first = await this.discovery.scan();
    for (const f of first) this.hints.add(f);
    if (this.config.startAt === 'end') for (const f of first) this.startupFiles.add(f);
    this.nextRescanAt = Date.now() + this.config.rescanIntervalMs;
    inputStarted(this.log, { inputId: this.id, baseDirs: this.discovery.baseDirs, files: first.length });
    this.loop = this.run();
  }

  /** Stop reading, wait (bounded) for in-flight documents, and commit what is settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    await this.discovery.close();
    const waited = await this.waitSettled(this.config.shutdownTimeoutMs);
    const pending = this.pendingRecords();
    if (!waited)
      shutdownAckTimeout(this.log, {
        inputId: this.id,
        pendingRecords: pending,
        waitedMs: this.config.shutdownTimeoutMs,
      });
    await this.commit();
    for (const t of this.tails.values()) await this.closeHandle(t);
    inputStopped(this.log, { inputId: this.id, pendingRecords: pending });
  }

  /**
   * Replay: read the given files (or every file the config matches) to the end, as complete files, and
   * resolve when every record is settled. Starts at the beginning of each file unless `resume` is set.
   */
  async runOnce(paths?: string[], options: RunOnceOptions = {}): Promise<InputSummary> {
    const files = paths ? paths.map((p) => path.resolve(this.deps.baseDir, p)) : await this.discovery.scan();
    const skipped: string[] = [];
    const duplicates: string[] = [];
    const mine: Tail[] = [];
    for (const f of files) {
      const t = await this.inspect(f, { replay: !options.resume, forceComplete: true });
      const info = this.paths.get(f);
      if (t && !mine.includes(t)) mine.push(t);
      else if (info?.dupOf) duplicates.push(f);
      else if (!t) skipped.push(f);
    }
    for (;;) {
      const active = mine.filter((t) => !t.finished);
      if (active.length === 0) break;
      for (const t of active) {
        await this.service(t);
        if (this.blocked) {
          await this.deps.sink.drain();
          this.blocked = false;
        }
      }
      if (Date.now() >= this.nextCommitAt) await this.commit();
    }
    await this.waitSettled(Number.POSITIVE_INFINITY);
    await this.commit();
    const summary: InputSummary = {
      files: mine.length,
      records: mine.reduce((n, t) => n + t.records, 0),
      documents: mine.reduce((n, t) => n + t.documents, 0),
      deadLetters: mine.reduce((n, t) => n + t.deadLetters, 0),
      bytesRead: this.bytesRead,
      skipped,
      duplicates,
    };
    for (const t of mine) {
      await this.closeHandle(t);
      this.tails.delete(t.key);
    }
    return summary;
  }

  // ---- the loop ---------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        busy = await this.turn();
      } catch (err) {
        fileReadError(this.log, { inputId: this.id, path: '(input loop)', error: describeError(err) });
      }
      if (this.stopping) break;
      if (this.blocked) {
        await Promise.race([this.deps.sink.drain(), this.sleepUntilWoken(60_000)]);
        if (this.stopping) break;
        this.blocked = false;
        continue;
      }
      if (!busy) await this.sleepUntilWoken(this.config.pollIntervalMs);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** One pass: discovery, identification of new paths, a turn for every due file, commit. True if more work is waiting. */
  private async turn(): Promise<boolean> {
    const now = Date.now();
    if (now >= this.nextRescanAt) {
      this.nextRescanAt = now + this.config.rescanIntervalMs;
      const found = new Set(await this.discovery.scan());
      // Every match is looked at again (one stat for a known file): chokidar may have missed its events.
      for (const f of found) this.hints.add(f);
      // Known paths that vanished from the tree: look at them once more (rename, delete).
      for (const f of this.paths.keys()) if (!found.has(f)) this.hints.add(f);
      this.forgetDue = true;
    }
    // Probe a batch of paths concurrently (I/O only), then resolve identities one by one, so two paths with
    // the same content can never both become readers.
    const batch = [...this.hints].slice(0, INSPECT_BATCH);
    for (const f of batch) this.hints.delete(f);
    const opts = { replay: false, forceComplete: false };
    const probes = await mapLimit(batch, IO_CONCURRENCY, (f) => this.probe(f, opts));
    for (let i = 0; i < batch.length && !this.stopping; i++) {
      try {
        await this.inspect(batch[i]!, opts, probes[i]);
      } catch (err) {
        fileReadError(this.log, { inputId: this.id, path: batch[i]!, error: describeError(err) });
      }
    }
    let more = this.hints.size > 0;
    const due: Tail[] = [];
    for (const t of [...this.tails.values()]) {
      if (t.finished) {
        if (t.tracker.pending === 0 && t.cp.offset === t.committed) this.tails.delete(t.key);
        continue;
      }
      if (now >= t.nextCheckAt) due.push(t);
    }
    // Files take their turns concurrently (each file's own reads stay in order: one turn at a time per file).
    await mapLimit(due, IO_CONCURRENCY, async (t) => {
      if (this.stopping || this.blocked) return;
      const before = t.pos;
      await this.service(t);
      if (t.pos - before >= TURN_BUDGET_BYTES) more = true;
    });
    if (this.forgetDue && this.hints.size === 0) {
      this.forgetDue = false;
      this.forgetGone(Date.now());
    }
    if (Date.now() >= this.nextCommitAt) await this.commit();
    return more;
  }

  /** Drop checkpoints of files that have not been on disk for forgetAfterMs (vector#1427: no endless growth). */
  private forgetGone(now: number): void {
    const present = new Set<string>();
    for (const info of this.paths.values()) if (info.key) present.add(info.key);
    for (const key of this.tails.keys()) present.add(key);
    for (const cp of this.deps.registry.entries(this.id)) {
      const key = this.keyOf(cp.fingerprint);
      if (present.has(key)) continue;
      const updated = Date.parse(cp.updatedAt);
      if (Number.isFinite(updated) && now - updated > this.config.forgetAfterMs) {
        this.indexRemove(cp);
        this.deps.registry.remove(this.id, cp.fingerprint);
      }
    }
  }

  // ---- identification ---------------------------------------------------------------------------------

  /**
   * The I/O half of `inspect`, safe to run for many paths at once: stat through an open handle and, when the
   * path may need identifying, read its first bytes from the same handle (so both describe the same file).
   */
  private async probe(file: string, opts: { replay: boolean }): Promise<Probe> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch {
      return { missing: true };
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) return { missing: false, st };
      if (!this.needsHead(file, st, opts) || st.size === 0n) return { missing: false, st };
      let head = await readHeadFromHandle(fh, this.config.fingerprintBytes);
      let compressed = false;
      if (isGzip(head)) {
        compressed = true;
        head = await readGzipHead(file, this.config.fingerprintBytes);
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
    const known = this.paths.get(file);
    if (!known || known.ino !== fileId(st) || opts.replay) return true;
    const size = Number(st.size);
    const t = known.key ? this.tails.get(known.key) : undefined;
    if (t && t.path === file && t.orphanSince === undefined && !t.finished) return false;
    if (known.unrecognised && (size === known.size || (known.headLen ?? 0) >= this.config.fingerprintBytes))
      return false;
    if (known.dupOf && size === known.size) {
      // Same leading bytes as a file being read. Looked at again when it grows: two files that start alike
      // (two IIS sites rolling over in the same second) differ once they have more than the shared header.
      const owner = this.tails.get(known.dupOf);
      if (owner && owner.orphanSince === undefined && !owner.finished && owner.path !== file) return false;
    }
    if (known.key && !t && size === known.size) return false;
    return true;
  }

  /** Look at a path: new file, known file, moved file, duplicate, gone. Returns its reader if it has one. */
  private async inspect(
    file: string,
    opts: { replay: boolean; forceComplete: boolean },
    probed?: Probe,
  ): Promise<Tail | undefined> {
    let p = probed ?? (await this.probe(file, opts));
    if (p.missing) {
      this.pathMissing(file);
      return undefined;
    }
    if (p.error !== undefined || !p.st) {
      fileReadError(this.log, { inputId: this.id, path: file, error: p.error ?? 'stat failed' });
      return undefined;
    }
    let st = p.st;
    if (!st.isFile()) return undefined;
    const known = this.paths.get(file);
    if (!this.needsHead(file, st, opts)) {
      const t = known?.key ? this.tails.get(known.key) : undefined;
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
      this.paths.set(file, { ino, size });
      return undefined;
    }
    if (
      !known &&
      !opts.replay &&
      this.config.ignoreOlderThanMs !== undefined &&
      Date.now() - Number(st.mtimeMs) > this.config.ignoreOlderThanMs
    ) {
      this.paths.set(file, { ino, size, unrecognised: true, headLen: this.config.fingerprintBytes });
      return undefined;
    }
    const head = p.head ?? Buffer.alloc(0);
    const compressed = p.compressed ?? false;
    if (head.length === 0) return undefined;
    const cp = this.findCheckpoint(head);
    if (cp) {
      const t = this.tails.get(this.keyOf(cp.fingerprint));
      if (t && !t.finished) {
        if (t.path === file && t.ino === ino && t.orphanSince === undefined) return t;
        if (t.orphanSince === undefined && (await this.stillHolds(t))) {
          this.paths.set(file, { ino, size, dupOf: t.key });
          if (!this.reported.has(`dup:${file}`)) {
            this.reported.add(`dup:${file}`);
            fileDuplicate(this.log, { inputId: this.id, path: file, sameAs: t.path });
          }
          return undefined;
        }
        await this.moveTail(t, file, ino, compressed, size);
        return t;
      }
      // A finished reader is replaced only once its last records are settled and committed.
      if (t?.finished && (t.tracker.pending > 0 || t.cp.offset !== t.committed)) return undefined; // next rescan
      if (t) this.tails.delete(t.key);
      return this.openTail(cp, file, ino, size, head, compressed, opts);
    }
    const fingerprint = prefixHash(head, head.length);
    const fresh: Checkpoint = {
      inputId: this.id,
      fingerprint,
      matchLen: head.length,
      matchHash: fingerprint,
      path: file,
      offset:
        this.config.startAt === 'end' && !opts.replay && !compressed && this.startupFiles.has(file)
          ? await lastLineEnd(file, size, detectEncoding(head).encoding)
          : 0,
      updatedAt: new Date().toISOString(),
    };
    return this.openTail(fresh, file, ino, size, head, compressed, opts);
  }

  private keyOf(fingerprint: string): string {
    return `${this.id}\u0000${fingerprint}`;
  }

  private findCheckpoint(head: Buffer): Checkpoint | undefined {
    const lengths = [...this.index.keys()].filter((n) => n <= head.length);
    if (lengths.length === 0) return undefined;
    const hashes = prefixHashes(head, lengths);
    lengths.sort((a, b) => b - a);
    for (const len of lengths) {
      const fp = this.index.get(len)?.get(hashes.get(len)!);
      if (fp) {
        const cp = this.deps.registry.get(this.id, fp);
        if (cp) return cp;
      }
    }
    return undefined;
  }

  private indexAdd(cp: Checkpoint): void {
    let m = this.index.get(cp.matchLen);
    if (!m) this.index.set(cp.matchLen, (m = new Map<string, string>()));
    m.set(cp.matchHash, cp.fingerprint);
  }

  private indexRemove(cp: Checkpoint): void {
    const m = this.index.get(cp.matchLen);
    if (m?.get(cp.matchHash) === cp.fingerprint) {
      m.delete(cp.matchHash);
      if (m.size === 0) this.index.delete(cp.matchLen);
    }
  }

  /** Whether the reader's own path still holds its file (same file id, same leading bytes). */
  private async stillHolds(t: Tail): Promise<boolean> {
    try {
      const st = await stat(t.path, { bigint: true });
      if (fileId(st) !== t.ino) return false;
      if (t.compressed) return true;
      const fh = await open(t.path, 'r');
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
    opts: { replay: boolean; forceComplete: boolean },
  ): Tail | undefined {
    const source: RecordSource = { inputId: this.id, path: file, fingerprint: cp.fingerprint };
    let handler: FileHandler | undefined;
    try {
      handler = this.deps.handlerFactory(source, headText(head));
    } catch (err) {
      fileReadError(this.log, {
        inputId: this.id,
        path: file,
        error: `format detection: ${describeError(err)}`,
      });
    }
    if (!handler) {
      this.paths.set(file, { ino, size, unrecognised: true, headLen: head.length });
      if (!this.reported.has(`unrec:${cp.fingerprint}`)) {
        this.reported.add(`unrec:${cp.fingerprint}`);
        fileUnrecognised(this.log, { inputId: this.id, path: file });
      }
      return undefined;
    }
    const start = opts.replay ? 0 : cp.offset;
    if (start > 0 && cp.parserState !== undefined) handler.restore(cp.parserState);
    cp.path = file;
    cp.format = handler.formatName;
    this.deps.registry.put(cp);
    this.indexAdd(cp);
    const { encoding } = detectEncoding(head);
    const key = this.keyOf(cp.fingerprint);
    const stateJson = start > 0 ? JSON.stringify(cp.parserState) : undefined;
    const t: Tail = {
      key,
      cp,
      kind: handler.framing,
      encoding,
      handler,
      replay: opts.forceComplete,
      tracker: new AckTracker(start, (offset) => {
        t.committed = offset;
      }),
      path: file,
      ino,
      compressed,
      source,
      pos: start,
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
      lastStateJson: JSON.stringify(handler.snapshot()),
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
    this.tails.set(key, t);
    this.paths.set(file, { ino, size, key });
    fileOpened(this.log, {
      inputId: this.id,
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
    const from = t.path;
    if (compressed !== t.compressed || t.orphanSince !== undefined || t.ino !== ino)
      await this.closeHandle(t);
    const prev = this.paths.get(from);
    if (prev?.key === t.key && from !== file) this.paths.delete(from);
    t.path = file;
    t.ino = ino;
    t.compressed = compressed;
    t.size = size;
    t.source = { ...t.source, path: file };
    t.gone = false;
    t.orphanSince = undefined;
    t.nextCheckAt = 0;
    t.cp.path = file;
    this.deps.registry.touch();
    this.paths.set(file, { ino, size, key: t.key });
    fileMoved(this.log, { inputId: this.id, from, to: file });
  }

  private pathMissing(file: string): void {
    const info = this.paths.get(file);
    if (!info) return;
    this.paths.delete(file);
    const t = info.key ? this.tails.get(info.key) : undefined;
    if (t && t.path === file && !t.gone) {
      t.gone = true;
      t.nextCheckAt = 0;
    }
  }

  // ---- reading ----------------------------------------------------------------------------------------

  /** Give one file its turn: check it, read what is new (up to the turn budget), finish it when complete. */
  private async service(t: Tail): Promise<void> {
    if (t.busy || t.finished) return;
    t.busy = true;
    try {
      if (t.orphanSince !== undefined) {
        // Wait for a copy of it to be discovered (copytruncate); then give up on the rest.
        const wait = Math.max(this.config.closeIdleMs, 2 * this.config.rescanIntervalMs);
        if (Date.now() - t.orphanSince >= wait) this.finish(t, 0);
        else t.nextCheckAt = Date.now() + this.config.pollIntervalMs;
        return;
      }
      if (t.compressed) await this.serviceGzip(t);
      else await this.servicePlain(t);
    } catch (err) {
      fileReadError(this.log, { inputId: this.id, path: t.path, error: describeError(err) });
      await this.closeHandle(t);
      t.nextCheckAt = Date.now() + this.config.pollIntervalMs * 4;
    } finally {
      t.busy = false;
    }
  }

  private async servicePlain(t: Tail): Promise<void> {
    const now = Date.now();
    if (!t.fh) {
      let st;
      try {
        st = await stat(t.path, { bigint: true });
      } catch {
        st = undefined;
      }
      if (!st || fileId(st) !== t.ino) {
        // Gone while no handle was open: whatever it held beyond our position cannot be read any more.
        this.hints.add(t.path);
        this.finish(t, Math.max(0, t.size - t.pos));
        return;
      }
      const size = Number(st.size);
      if (size < t.pos) return this.truncated(t, size);
      if (size === t.pos && !this.mayComplete(t, now)) {
        if (t.replay) this.finish(t, 0);
        else this.idle(t, now);
        return;
      }
      if (size > t.pos && !(await this.openHandle(t))) {
        t.nextCheckAt = now + this.config.pollIntervalMs;
        return;
      }
    }
    let size = t.size;
    if (t.fh) {
      const st = await t.fh.stat({ bigint: true });
      size = Number(st.size);
      if (size < t.pos) return this.truncated(t, size);
      // The leading bytes are re-checked when the size changed, or when the identifying prefix can grow.
      if (size !== t.size || t.cp.matchLen < Math.min(size, this.config.fingerprintBytes)) {
        if (!(await this.verifyAndExtend(t, size))) return this.truncated(t, size);
      }
      if (size !== t.size)
        inputMetrics.lag().set({ input: this.id, file: t.path }, Math.max(0, size - t.committed));
      t.size = size;
    }
    let total = 0;
    // Read-ahead: the next chunk is requested before this one is processed, so the file system's latency (a
    // thread-pool round trip per read) overlaps parsing instead of adding to it. A prefetch is issued only when
    // the turn will continue; if processing blocks or stops the turn, it is awaited and dropped (t.pos has not
    // moved, so those bytes are read again next turn).
    let ahead: Promise<{ bytesRead: number; buffer: Buffer }> | undefined;
    while (t.fh && total < TURN_BUDGET_BYTES && !this.blocked && !(this.stopping && !t.replay)) {
      if (!t.framer) this.newFramer(t);
      const next = ahead ?? t.fh.read(Buffer.allocUnsafe(READ_CHUNK_BYTES), 0, READ_CHUNK_BYTES, t.pos);
      ahead = undefined;
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      t.pos += bytesRead;
      total += bytesRead;
      if (bytesRead === READ_CHUNK_BYTES && total < TURN_BUDGET_BYTES)
        ahead = t.fh.read(Buffer.allocUnsafe(READ_CHUNK_BYTES), 0, READ_CHUNK_BYTES, t.pos);
      this.handleRecords(t, t.framer!.push(buffer.subarray(0, bytesRead)));
    }
    if (ahead) await ahead.catch(() => undefined);
    if (t.pos > t.size) t.size = t.pos;
    if (total > 0) {
      this.countBytes(t, total);
      t.lastGrowthAt = Date.now();
      t.lastUsedAt = t.lastGrowthAt;
      t.idleRounds = 0;
      t.ended = false;
      t.nextCheckAt =
        total >= TURN_BUDGET_BYTES || this.blocked ? 0 : Date.now() + this.config.pollIntervalMs;
      return;
    }
    await this.atEnd(t);
  }

  /** Nothing new to read: complete the file if it is done, close idle handles, back off. */
  private async atEnd(t: Tail): Promise<void> {
    const now = Date.now();
    if (!t.gone) {
      try {
        const st = await stat(t.path, { bigint: true });
        if (fileId(st) !== t.ino) t.gone = true;
      } catch {
        t.gone = true;
      }
      if (t.gone) this.hints.add(t.path);
    }
    if (this.mayComplete(t, now)) {
      if (t.framer) this.handleRecords(t, t.framer.end());
      t.framer = undefined;
      t.ended = true;
    }
    if (t.gone && (t.ended || now - t.lastGrowthAt >= this.config.closeIdleMs)) {
      this.finish(t, 0);
      return;
    }
    if (t.replay && t.ended) {
      this.finish(t, 0);
      return;
    }
    if (t.fh && now - t.lastGrowthAt >= this.config.closeIdleMs) await this.closeHandle(t);
    this.idle(t, now);
  }

  private mayComplete(t: Tail, now: number): boolean {
    if (t.ended && !t.framer) return false;
    if (t.replay) return true;
    const idle = now - t.lastGrowthAt;
    if (EXPORT_FRAMINGS.has(t.kind)) return idle >= this.config.exportSettleMs;
    if (t.gone) return idle >= Math.min(this.config.closeIdleMs, 5000);
    return this.config.partialLineFlushMs > 0 && idle >= this.config.partialLineFlushMs;
  }

  private idle(t: Tail, now: number): void {
    t.idleRounds += 1;
    const factor = t.idleRounds < 5 ? 1 : 4;
    let next = now + this.config.pollIntervalMs * factor;
    // Wake up in time to complete an export or a rotated file.
    if (!t.ended && EXPORT_FRAMINGS.has(t.kind))
      next = Math.min(next, t.lastGrowthAt + this.config.exportSettleMs);
    t.nextCheckAt = next;
  }

  private newFramer(t: Tail): void {
    let warned = 0;
    t.framer = createFramer(t.kind, {
      startOffset: t.pos,
      encoding: t.encoding,
      maxRecordBytes: this.config.maxRecordBytes,
      // Bounded per framer: a badly damaged file must not flood the agent's own log.
      onWarning: (w) => {
        warned += 1;
        framerWarning(
          this.log,
          { inputId: this.id, path: t.path, ...w },
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
    const want = Math.min(size, this.config.fingerprintBytes);
    const head = await readHeadFromHandle(t.fh!, Math.max(want, t.cp.matchLen));
    if (head.length < t.cp.matchLen || prefixHash(head, t.cp.matchLen) !== t.cp.matchHash) return false;
    if (head.length > t.cp.matchLen) {
      this.indexRemove(t.cp);
      t.cp.matchLen = head.length;
      t.cp.matchHash = prefixHash(head, head.length);
      this.indexAdd(t.cp);
      this.deps.registry.touch();
      // Paths taken for copies of this file on a shorter prefix may turn out to be different files now.
      for (const [p, info] of this.paths) {
        if (info.dupOf === t.key) {
          info.size = -1;
          this.hints.add(p);
        }
      }
    }
    return true;
  }

  private async truncated(t: Tail, size: number): Promise<void> {
    fileTruncated(this.log, { inputId: this.id, path: t.path, readOffset: t.pos, size });
    await this.closeHandle(t);
    const info = this.paths.get(t.path);
    if (info?.key === t.key) this.paths.delete(t.path);
    this.hints.add(t.path);
    t.orphanSince = Date.now();
    t.nextCheckAt = Date.now() + this.config.pollIntervalMs;
    this.wake?.();
  }

  /** No more reading for this identity in this run. */
  private finish(t: Tail, unreadBytes: number): void {
    if (t.framer && (t.gone || t.orphanSince !== undefined)) {
      // The file is complete as far as we will ever see it: emit a pending last record.
      this.handleRecords(t, t.framer.end());
      t.ended = true;
    }
    t.framer = undefined;
    t.finished = true;
    void this.closeHandle(t);
    if (t.gone || t.orphanSince !== undefined || unreadBytes > 0)
      fileGone(this.log, { inputId: this.id, path: t.path, unreadBytes });
    const info = this.paths.get(t.path);
    if (info?.key === t.key && (t.gone || t.orphanSince !== undefined)) this.paths.delete(t.path);
  }

  private async serviceGzip(t: Tail): Promise<void> {
    if (t.ended) {
      this.finish(t, 0);
      return;
    }
    if (!t.gz) {
      if (!this.reserveHandle(t)) {
        t.nextCheckAt = Date.now() + this.config.pollIntervalMs;
        return;
      }
      const src = createReadStream(t.path);
      const gunzip = createGunzip();
      src.on('error', (err) => gunzip.destroy(err));
      src.pipe(gunzip);
      t.gz = { src, gunzip, iter: gunzip[Symbol.asyncIterator](), pos: 0 };
      t.framer = undefined;
    }
    const gz = t.gz;
    if (!t.framer) this.newFramer(t);
    let total = 0;
    while (total < TURN_BUDGET_BYTES && !this.blocked && !(this.stopping && !t.replay)) {
      let r: IteratorResult<unknown>;
      try {
        r = await gz.iter.next();
      } catch (err) {
        fileReadError(this.log, { inputId: this.id, path: t.path, error: `gzip: ${describeError(err)}` });
        inputMetrics.errors().inc({ input: this.id, file: t.path });
        r = { done: true, value: undefined };
      }
      if (r.done) {
        this.handleRecords(t, t.framer!.end());
        t.framer = undefined;
        t.ended = true;
        await this.closeHandle(t);
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
      this.handleRecords(t, t.framer!.push(part));
    }
    if (t.pos > t.size) t.size = t.pos;
    if (total > 0) this.countBytes(t, total);
    t.lastUsedAt = Date.now();
    t.nextCheckAt = 0;
  }

  private countBytes(t: Tail, n: number): void {
    this.bytesRead += n;
    inputMetrics.bytesRead().inc({ input: this.id, file: t.path }, n);
  }

  // ---- handles ----------------------------------------------------------------------------------------

  private async openHandle(t: Tail): Promise<boolean> {
    if (!this.reserveHandle(t)) return false;
    try {
      const fh = await open(t.path, 'r');
      const st = await fh.stat({ bigint: true });
      if (fileId(st) !== t.ino) {
        await fh.close();
        this.openCount -= 1;
        t.gone = true;
        return false;
      }
      t.fh = fh;
      inputMetrics.openFiles().set({ input: this.id }, this.openCount);
      return true;
    } catch (err) {
      this.openCount -= 1;
      throw err;
    }
  }

  /** Count a handle against maxOpenFiles, closing the least recently used idle one if needed. */
  private reserveHandle(t: Tail): boolean {
    if (this.openCount >= this.config.maxOpenFiles) {
      let victim: Tail | undefined;
      for (const o of this.tails.values()) {
        if (o === t || o.busy || (!o.fh && !o.gz)) continue;
        if (!victim || o.lastUsedAt < victim.lastUsedAt) victim = o;
      }
      if (!this.limitReported) {
        this.limitReported = true;
        openFileLimitReached(this.log, { inputId: this.id, maxOpenFiles: this.config.maxOpenFiles });
      }
      if (!victim) return false;
      // closeHandle releases the slot synchronously; only the close itself is awaited in the background.
      void this.closeHandle(victim);
    }
    this.openCount += 1;
    return true;
  }

  private async closeHandle(t: Tail): Promise<void> {
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
    if (fh || gz) inputMetrics.openFiles().set({ input: this.id }, this.openCount);
  }

  // ---- records and acknowledgements --------------------------------------------------------------------

  private handleRecords(t: Tail, records: FramedRecord[]): void {
    if (records.length === 0) return;
    let errors = 0;
    for (const rec of records) {
      t.records += 1;
      const pending = t.tracker.begin(rec.endOffset);
      if (rec.error) {
        errors += 1;
        this.writeDeadLetter(t, {
          time: new Date().toISOString(),
          stage: 'framing',
          code: rec.error.code,
          reason: `${t.path}:${rec.line !== undefined ? `${rec.line}:` : ''}offset ${rec.offset}: ${rec.error.reason}`,
          inputId: this.id,
          path: t.path,
          offset: rec.offset,
          ...(rec.line !== undefined ? { line: rec.line } : {}),
          record: redactText(rec.text.slice(0, DEAD_LETTER_TEXT_LIMIT)),
        });
        t.tracker.seal(pending);
        continue;
      }
      // Assigned, not spread: no temporary object per optional field on the per-record path.
      const record: Mutable<SourceRecord> = {
        source: t.source,
        offset: rec.offset,
        endOffset: rec.endOffset,
        text: rec.text,
      };
      if (rec.line !== undefined) record.line = rec.line;
      if (rec.payload !== undefined) record.payload = rec.payload;
      if (rec.recordId !== undefined) record.recordId = rec.recordId;
      let result: ReturnType<FileHandler['process']>;
      try {
        result = t.handler.process(record);
      } catch (err) {
        result = {
          documents: [],
          deadLetter: {
            time: new Date().toISOString(),
            stage: 'parse',
            code: `${t.handler.formatName}.internal_error`,
            reason: `${t.path}:offset ${rec.offset}: ${describeError(err)}`,
            inputId: this.id,
            path: t.path,
            offset: rec.offset,
            record: redactText(rec.text.slice(0, DEAD_LETTER_TEXT_LIMIT)),
          },
        };
      }
      if (result.deadLetter) {
        errors += 1;
        this.writeDeadLetter(t, result.deadLetter);
      }
      for (const doc of result.documents) {
        t.documents += 1;
        if (!this.deps.sink.push(doc, t.tracker.addDocument(pending))) this.blocked = true;
      }
      // Parser state (e.g. IIS #Fields) is stored with the checkpoint it belongs to. A shallow comparison
      // first: parsers hand back the same inner objects until their state really changes, so the JSON
      // serialisation runs only on changes, not per record.
      const state = t.handler.snapshot();
      if (!shallowEqual(state, t.lastState)) {
        t.lastState = state;
        const json = JSON.stringify(state);
        if (json !== t.lastStateJson) {
          t.lastStateJson = json;
          t.stateChanges.push({ end: rec.endOffset, json });
        }
      }
      t.tracker.seal(pending);
    }
    inputMetrics.records().inc({ input: this.id, file: t.path }, records.length);
    if (errors > 0) inputMetrics.errors().inc({ input: this.id, file: t.path }, errors);
  }

  private writeDeadLetter(t: Tail, letter: DeadLetter): void {
    t.deadLetters += 1;
    this.deadLettersWritten += 1;
    this.deps.deadLetters.write(letter);
  }

  /** Write acknowledged offsets (and the parser state at them) to the registry, after dead letters are durable. */
  private async commit(): Promise<void> {
    this.nextCommitAt = Date.now() + this.config.checkpointFlushMs;
    const updates: { t: Tail; offset: number }[] = [];
    for (const t of this.tails.values()) updates.push({ t, offset: t.committed });
    try {
      if (this.deadLettersWritten > this.deadLettersFlushed) {
        const n = this.deadLettersWritten;
        await this.deps.deadLetters.flush();
        this.deadLettersFlushed = n;
      }
      for (const { t, offset } of updates) {
        while (t.stateChanges.length > 0 && t.stateChanges[0]!.end <= offset) {
          t.committedStateJson = t.stateChanges.shift()!.json;
        }
        const done = t.ended && t.tracker.pending === 0 && !t.framer;
        if (t.replay && t.cp.offset > offset && !done) continue;
        if (t.cp.offset === offset && (t.cp.done ?? false) === done) continue;
        t.cp.offset = offset;
        t.cp.done = done;
        t.cp.parserState = t.committedStateJson === undefined ? undefined : JSON.parse(t.committedStateJson);
        t.cp.updatedAt = new Date().toISOString();
        this.deps.registry.touch();
        inputMetrics.lag().set({ input: this.id, file: t.path }, Math.max(0, t.size - offset));
      }
      await this.deps.registry.flush();
    } catch (err) {
      fileReadError(this.log, { inputId: this.id, path: '(checkpoint commit)', error: describeError(err) });
    }
  }

  private pendingRecords(): number {
    let n = 0;
    for (const t of this.tails.values()) n += t.tracker.pending;
    return n;
  }

  private async waitSettled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingRecords() > 0) {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }
}
