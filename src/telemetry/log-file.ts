// The agent's own log file: JSON lines in <dataDir>/logs/casguard-YYYY-MM-DD.log (UTC date), a new file each
// day and past `maxFileBytes` (casguard-YYYY-MM-DD.1.log, .2.log, ...), keeping the newest `maxFiles`.
// A writable stream behind winston's Stream transport, which never emits 'error': appends are synchronous (the
// agent logs state changes, never records), so a failure is known at once and handled here. A failed write
// (full disk, no permission) is rolled back, the line goes to the fallback (stderr) instead, and the outage is
// reported once through `onOutage`; the file is tried again at the first line after `retryMs`, and its
// recovery is reported too. Nothing the log file does can stop shipping (issue 19 finding 5: the log rotator's
// ENOSPC was an unhandled 'error' event, exit 1 at every start until space returned).

import path from 'node:path';
import { Writable } from 'node:stream';

/** The file operations used (node:fs by default; a test passes a failing disk). */
export interface LogFileIo {
  readonly openSync: (path: string, flags: 'a') => number;
  readonly writeSync: (fd: number, buf: Buffer, offset: number, length: number) => number;
  readonly ftruncateSync: (fd: number, length: number) => void;
  readonly fstatSync: (fd: number) => { size: number };
  readonly closeSync: (fd: number) => void;
  readonly readdirSync: (path: string) => string[];
  readonly unlinkSync: (path: string) => void;
  readonly mkdirSync: (path: string, opts: { recursive: true }) => void;
}

export type LogFileOutage =
  | { readonly failed: true; readonly file: string; readonly error: unknown }
  | {
      readonly failed: false;
      readonly file: string;
      readonly durationMs: number;
      readonly linesElsewhere: number;
    };

export interface LogFileOptions {
  readonly dir: string;
  readonly maxFileBytes: number;
  readonly maxFiles: number;
  readonly io: LogFileIo;
  /** Where a line goes while the file cannot be written (stderr, unless the console shows the logs already). */
  readonly fallback?: (line: Buffer) => void;
  /** Called (on a later turn of the event loop) when writes start failing and when they succeed again. */
  readonly onOutage: (o: LogFileOutage) => void;
  /** Minimum time between attempts while the file fails. Default 30 s. */
  readonly retryMs?: number;
  readonly now?: () => number;
}

const NAME_RE = /^casguard-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.log$/;

export class RotatingLogFile extends Writable {
  private fd: number | undefined;
  private file = '';
  private day = '';
  private index = 0;
  private size = 0;
  private failedSince: number | undefined;
  private retryAt = 0;
  private linesElsewhere = 0;
  private readonly now: () => number;

  constructor(private readonly o: LogFileOptions) {
    super();
    this.now = o.now ?? Date.now;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.append(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFile();
    callback();
  }

  /** Path of the file being written ('' before the first line). */
  get current(): string {
    return this.file;
  }

  private append(line: Buffer): void {
    const now = this.now();
    if (this.failedSince !== undefined && now < this.retryAt) {
      this.elsewhere(line);
      return;
    }
    let before = -1;
    try {
      this.ensureFile(now, line.length);
      before = this.size;
      let off = 0;
      while (off < line.length) off += this.o.io.writeSync(this.fd!, line, off, line.length - off);
      this.size += line.length;
    } catch (e) {
      // Roll a short write back, so the file never holds half a line.
      if (this.fd !== undefined && before >= 0) {
        try {
          this.o.io.ftruncateSync(this.fd, before);
        } catch {
          // the next open starts a clean file anyway
        }
      }
      this.closeFile();
      this.retryAt = now + (this.o.retryMs ?? 30_000);
      if (this.failedSince === undefined) {
        this.failedSince = now;
        this.linesElsewhere = 0;
        const file = this.file || path.join(this.o.dir, fileName(utcDay(now), 0));
        setImmediate(() => this.o.onOutage({ failed: true, file, error: e }));
      }
      this.elsewhere(line);
      return;
    }
    if (this.failedSince !== undefined) {
      const durationMs = now - this.failedSince;
      const linesElsewhere = this.linesElsewhere;
      this.failedSince = undefined;
      const file = this.file;
      setImmediate(() => this.o.onOutage({ failed: false, file, durationMs, linesElsewhere }));
    }
  }

  private elsewhere(line: Buffer): void {
    this.linesElsewhere += 1;
    try {
      this.o.fallback?.(line);
    } catch {
      // nowhere left to write: the line is dropped, shipping goes on
    }
  }

  /** Open (or rotate to) the file this line belongs in. */
  private ensureFile(now: number, bytes: number): void {
    const day = utcDay(now);
    const io = this.o.io;
    let index: number;
    if (this.fd !== undefined && day === this.day) {
      // A line longer than a whole file goes into an empty one rather than nowhere.
      if (this.size + bytes <= this.o.maxFileBytes || this.size === 0) return;
      index = this.index + 1;
    } else {
      // The first file of the day, of this run, or after a failure: continue the newest one of the day.
      io.mkdirSync(this.o.dir, { recursive: true });
      index = this.newestIndex(day);
    }
    this.closeFile();
    for (;;) {
      const file = path.join(this.o.dir, fileName(day, index));
      const fd = io.openSync(file, 'a');
      const size = io.fstatSync(fd).size;
      if (size > 0 && size + bytes > this.o.maxFileBytes) {
        io.closeSync(fd);
        index += 1;
        continue;
      }
      this.fd = fd;
      this.file = file;
      this.day = day;
      this.index = index;
      this.size = size;
      break;
    }
    this.prune();
  }

  private newestIndex(day: string): number {
    let newest = 0;
    for (const name of this.o.io.readdirSync(this.o.dir)) {
      const m = NAME_RE.exec(name);
      if (m && m[1] === day) newest = Math.max(newest, Number(m[2] ?? 0));
    }
    return newest;
  }

  /** Delete the oldest files beyond `maxFiles` (best effort). */
  private prune(): void {
    try {
      const files = this.o.io
        .readdirSync(this.o.dir)
        .map((name) => ({ name, m: NAME_RE.exec(name) }))
        .filter((f): f is { name: string; m: RegExpExecArray } => f.m !== null)
        .sort((a, b) => a.m[1]!.localeCompare(b.m[1]!) || Number(a.m[2] ?? 0) - Number(b.m[2] ?? 0));
      for (const f of files.slice(0, Math.max(0, files.length - this.o.maxFiles))) {
        this.o.io.unlinkSync(path.join(this.o.dir, f.name));
      }
    } catch {
      // retention is retried at the next new file
    }
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      this.o.io.closeSync(this.fd);
    } catch {
      // already unusable
    }
    this.fd = undefined;
  }
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function fileName(day: string, index: number): string {
  return index === 0 ? `casguard-${day}.log` : `casguard-${day}.${index}.log`;
}
