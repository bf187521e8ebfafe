// The dead-letter file: NDJSON under <dataDir>/dead-letter/, one line per record or document that cannot be
// parsed or indexed, with the reason. Bounded: `dead-letter.ndjson` is rotated to `dead-letter-<time>.ndjson`
// before a line that would take it past maxFileBytes, and beyond maxFiles files the oldest is deleted with an
// ERROR event (records lost). `write` queues a line (written through every 256 lines); `flush`
// resolves once everything written so far is wholly on disk and fsync'd, so a record is only acknowledged
// (its checkpoint moved past) once its dead letter is durable.
// A full or failing disk is an outage: the failed write is rolled back to the last whole line, the letters
// stay queued, the outage is reported once (log event, metric, /health condition), and the write is retried
// with backoff; `flush()` resolves when it succeeds (it waits through the outage instead of failing, so no
// caller acknowledges anything meanwhile). `close()` makes one last attempt; letters it cannot write belong to
// records that were never acknowledged, which are read (and dead-lettered) again at the next start.

import path from 'node:path';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import { diskTornLineCut, rotatedFileDeleted } from '../../telemetry/disk-events.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { AppendFile } from '../disk/append-file.js';
import type { DiskIo } from '../disk/disk-io.js';
import { nodeDiskIo } from '../disk/disk-io.js';
import { DiskOutage } from '../disk/disk-outage.js';
import { appendInPieces, rotateLive } from '../disk/rotated-files.js';

/** Defaults of the `deadLetter` settings. */
export const DEAD_LETTER_MAX_FILES = 16;
const DEAD_LETTER_MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface DeadLetterFileOptions {
  /** Folder for the files (created). */
  readonly dir: string;
  /** Rotate the file after this many bytes. */
  readonly maxFileBytes?: number;
  /** Files kept, the live one included (the oldest rotated ones are deleted beyond). */
  readonly maxFiles?: number;
  /** Called after each line is queued (metrics). */
  readonly onWrite?: (letter: DeadLetter) => void;
  readonly logger?: Logger;
  /** Tests inject a failing disk; the agent uses node:fs. */
  readonly io?: DiskIo;
  readonly retryInitialDelayMs?: number;
  readonly retryMaxDelayMs?: number;
}

export class DeadLetterFile implements DeadLetterSink {
  private appendFile: AppendFile | undefined;
  private pending: string[] = [];
  /** Each pending line's size in bytes (UTF-8), for the file's size bound. */
  private pendingSizes: number[] = [];
  private count = 0;
  private readonly maxFileBytes: number;
  private currentPath = '';
  private readonly io: DiskIo;
  private readonly log: Logger;
  private readonly outage: DiskOutage;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: DeadLetterFileOptions) {
    this.maxFileBytes = opts.maxFileBytes ?? DEAD_LETTER_MAX_FILE_BYTES;
    this.io = opts.io ?? nodeDiskIo;
    this.log = opts.logger ?? nullLogger;
    this.io.mkdirSync(opts.dir, { recursive: true });
    this.outage = new DiskOutage({
      path: 'dead-letter',
      logger: this.log,
      retry: () => this.writePending(),
      ...(opts.retryInitialDelayMs !== undefined ? { initialDelayMs: opts.retryInitialDelayMs } : {}),
      ...(opts.retryMaxDelayMs !== undefined ? { maxDelayMs: opts.retryMaxDelayMs } : {}),
    });
  }

  /** Number of dead letters written by this instance. */
  get written(): number {
    return this.count;
  }

  /** Path of the file being written (for messages). */
  get file(): string {
    return this.currentPath || path.join(this.opts.dir, 'dead-letter.ndjson');
  }

  write(letter: DeadLetter): void {
    const line = JSON.stringify(letter) + '\n';
    this.pending.push(line);
    this.pendingSizes.push(Buffer.byteLength(line, 'utf8'));
    this.count += 1;
    this.opts.onWrite?.(letter);
    // Write through promptly so that even a crash before flush() leaves most letters on disk.
    if (this.pending.length >= 256 && !this.outage.active) this.writePending();
  }

  flush(): Promise<void> {
    if (!this.outage.active) this.writePending();
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.writePending();
    this.closed = true;
    this.outage.close();
    this.appendFile?.close();
    this.appendFile = undefined;
    return Promise.resolve();
  }

  /**
   * The live file, ready for a line of `nextBytes`: opened if it is not (or was renamed away), and rotated first when
   * that line would take it past `maxFileBytes` (an empty file takes any line).
   */
  private live(nextBytes: number): AppendFile {
    // A file renamed away meanwhile (claimed by `replay --dead-letters`) is not written to any more.
    if (this.appendFile !== undefined && !this.stillThere(this.appendFile.path)) {
      this.appendFile.close();
      this.appendFile = undefined;
    }
    const base = path.join(this.opts.dir, 'dead-letter.ndjson');
    if (this.appendFile === undefined) {
      const f = new AppendFile(this.io, base);
      if (f.tornBytes > 0) diskTornLineCut(this.log, { path: 'dead-letter', file: base, bytes: f.tornBytes });
      this.appendFile = f;
      this.currentPath = base;
    }
    const f = this.appendFile;
    if (f.size === 0 || f.size + nextBytes <= this.maxFileBytes) return f;
    f.close();
    this.appendFile = undefined;
    const maxFiles = this.opts.maxFiles ?? DEAD_LETTER_MAX_FILES;
    rotateLive(this.io, {
      dir: this.opts.dir,
      live: 'dead-letter.ndjson',
      prefix: 'dead-letter-',
      maxFiles,
      onDeleted: (file, bytes) =>
        rotatedFileDeleted(this.log, { path: 'dead-letter', file, bytes, maxFiles }),
    });
    return this.live(nextBytes);
  }

  private stillThere(file: string): boolean {
    try {
      this.io.statSync(file);
      return true;
    } catch {
      return false;
    }
  }

  private writePending(): void {
    if (this.closed || this.pending.length === 0) return;
    // In pieces that each fit the live file, rotating between them.
    const { done, failure } = appendInPieces(
      this.pending,
      this.pendingSizes,
      this.maxFileBytes,
      (next) => this.live(next),
      (file) => this.outage.succeeded(file),
    );
    if (failure) {
      // Rolled back to the last whole line; the letters not written stay queued for the retry.
      this.outage.failed(failure.file ?? this.file, failure.error);
      this.pending.splice(0, done);
      this.pendingSizes.splice(0, done);
      return;
    }
    this.pending = [];
    this.pendingSizes = [];
    for (const w of this.waiters.splice(0)) w();
  }
}
