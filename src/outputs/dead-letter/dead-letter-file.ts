// The dead-letter file: NDJSON under <dataDir>/dead-letter/, one line per record or document that cannot be
// parsed or indexed, with the reason. Bounded: `dead-letter.ndjson` is rotated to `dead-letter-<time>.ndjson`
// at maxFileBytes, and beyond maxFiles files the oldest is deleted with an ERROR event (records lost). `write` queues a line (written through every 256 lines); `flush`
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
import { pruneRotated } from '../disk/rotated-files.js';

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
    this.pending.push(JSON.stringify(letter) + '\n');
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

  private open(): AppendFile {
    const base = path.join(this.opts.dir, 'dead-letter.ndjson');
    let full = false;
    try {
      full = this.io.statSync(base).size >= this.maxFileBytes;
    } catch {
      // absent: create it
    }
    if (full) {
      this.io.renameSync(
        base,
        path.join(this.opts.dir, `dead-letter-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`),
      );
      const maxFiles = this.opts.maxFiles ?? DEAD_LETTER_MAX_FILES;
      pruneRotated(this.io, {
        dir: this.opts.dir,
        live: 'dead-letter.ndjson',
        prefix: 'dead-letter-',
        maxFiles,
        onDeleted: (file, bytes) =>
          rotatedFileDeleted(this.log, { path: 'dead-letter', file, bytes, maxFiles }),
      });
    }
    const f = new AppendFile(this.io, base);
    if (f.tornBytes > 0) diskTornLineCut(this.log, { path: 'dead-letter', file: base, bytes: f.tornBytes });
    this.currentPath = base;
    return f;
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
    try {
      // A file renamed away meanwhile (claimed by `replay --dead-letters`) is not written to any more.
      if (this.appendFile !== undefined && !this.stillThere(this.appendFile.path)) {
        this.appendFile.close();
        this.appendFile = undefined;
      }
      if (this.appendFile === undefined || this.appendFile.size >= this.maxFileBytes) {
        this.appendFile?.close();
        this.appendFile = undefined;
        this.appendFile = this.open();
      }
      this.appendFile.append(Buffer.from(this.pending.join(''), 'utf8'));
    } catch (e) {
      // Rolled back to the last whole line; the letters stay queued for the retry.
      this.outage.failed(this.file, e);
      return;
    }
    this.outage.succeeded(this.appendFile.path);
    this.pending = [];
    for (const w of this.waiters.splice(0)) w();
  }
}
