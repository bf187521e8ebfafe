// The state of one of the agent's files while its writes fail: reported once when the outage starts and once
// when it ends (disk-events.ts), and, when the owner gives a retry, retried with backoff (capped) by a timer
// that close() clears. The owner keeps what could not be written and acknowledges nothing of it meanwhile.

import { describeError } from '../../pipeline/errors.js';
import { diskOutageEnded, diskOutageStarted, diskWriteFailedAgain } from '../../telemetry/disk-events.js';
import type { DiskPath } from '../../telemetry/disk-events.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { errorCode } from './disk-io.js';

export interface DiskOutageOptions {
  readonly path: DiskPath;
  readonly logger: Logger;
  /** Called by the retry timer; omitted when the owner retries by itself. */
  readonly retry?: () => void;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly now?: () => number;
}

export class DiskOutage {
  private since: number | undefined;
  private failedWrites = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly o: DiskOutageOptions) {
    this.now = o.now ?? Date.now;
  }

  get active(): boolean {
    return this.since !== undefined;
  }

  /** A write to `file` failed with `e`: report (once per outage) and schedule a retry. */
  failed(file: string, e: unknown): void {
    const code = errorCode(e);
    this.failedWrites += 1;
    const delay = Math.min(
      this.o.maxDelayMs ?? 5000,
      (this.o.initialDelayMs ?? 100) * 2 ** Math.min(this.failedWrites - 1, 20),
    );
    if (this.since === undefined) {
      this.since = this.now();
      diskOutageStarted(this.o.logger, {
        path: this.o.path,
        file,
        code,
        reason: describeError(e),
        ...(this.o.retry ? { retryInMs: delay } : {}),
      });
    } else {
      diskWriteFailedAgain({ path: this.o.path, code });
    }
    if (this.o.retry && !this.closed && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.o.retry!();
      }, delay);
    }
  }

  /** A write succeeded: an outage (if any) is over. */
  succeeded(file: string): void {
    if (this.since === undefined) return;
    diskOutageEnded(this.o.logger, {
      path: this.o.path,
      file,
      durationMs: this.now() - this.since,
      failedWrites: this.failedWrites,
    });
    this.since = undefined;
    this.failedWrites = 0;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
