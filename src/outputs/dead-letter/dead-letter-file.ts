// The dead-letter file: NDJSON under <dataDir>/dead-letter/, one line per record or document that cannot be
// parsed or indexed, with the reason. Appends are synchronous-queued and fsync'd on flush, so a record is
// only acknowledged (its checkpoint moved past) once its dead letter is durable.

import { closeSync, fsyncSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { DeadLetterSink } from '../../pipeline/stages.types.js';

export interface DeadLetterFileOptions {
  /** Folder for the files (created). */
  readonly dir: string;
  /** Start a new file after this many bytes. */
  readonly maxFileBytes?: number;
  /** Called after each line is queued (metrics). */
  readonly onWrite?: (letter: DeadLetter) => void;
}

export class DeadLetterFile implements DeadLetterSink {
  private fd: number | undefined;
  private size = 0;
  private pending: string[] = [];
  private count = 0;
  private readonly maxFileBytes: number;
  private currentPath = '';

  constructor(private readonly opts: DeadLetterFileOptions) {
    this.maxFileBytes = opts.maxFileBytes ?? 256 * 1024 * 1024;
    mkdirSync(opts.dir, { recursive: true });
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
    if (this.pending.length >= 256) this.writePending();
  }

  flush(): Promise<void> {
    this.writePending();
    if (this.fd !== undefined) fsyncSync(this.fd);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.writePending();
    if (this.fd !== undefined) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
    return Promise.resolve();
  }

  private open(): void {
    const base = path.join(this.opts.dir, 'dead-letter.ndjson');
    let target = base;
    try {
      if (statSync(base).size >= this.maxFileBytes) {
        target = path.join(
          this.opts.dir,
          `dead-letter-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`,
        );
      }
    } catch {
      // absent: create it
    }
    this.fd = openSync(target, 'a');
    this.currentPath = target;
    try {
      this.size = statSync(target).size;
    } catch {
      this.size = 0;
    }
  }

  private writePending(): void {
    if (this.pending.length === 0) return;
    if (this.fd === undefined || this.size >= this.maxFileBytes) {
      if (this.fd !== undefined) closeSync(this.fd);
      this.open();
    }
    const chunk = this.pending.join('');
    this.pending = [];
    writeSync(this.fd!, chunk);
    this.size += Buffer.byteLength(chunk);
  }
}
