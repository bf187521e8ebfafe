// Named telemetry events of the agent's own files on a full or failing disk (STYLE.md rule 9): the file output,
// the dead-letter file, the disk spool and the agent's log. A write that fails pauses that path (nothing is
// acknowledged that is not durably on disk) until a retry succeeds; each outage is one line when it starts
// and one when it ends, a gauge while it lasts, and a /health condition.

import type { Counter, Gauge } from 'prom-client';
import { setHealthCondition } from './health.js';
import type { Logger } from './logger.types.js';
import { counter, gauge } from './metrics.js';

/** Which of the agent's files: `file-output`, `dead-letter`, `spool`, `log`. */
export type DiskPath = 'file-output' | 'dead-letter' | 'spool' | 'log';

function outageGauge(): Gauge {
  return gauge(
    'casguard_disk_outage',
    "1 while writes to one of the agent's files fail (full or failing disk); that path is paused.",
    ['path'],
  );
}

function failures(): Counter {
  return counter(
    'casguard_disk_write_failures_total',
    "Failed writes to the agent's own files, by path and error code (ENOSPC, EIO, ...).",
    ['path', 'code'],
  );
}

/** Counts one failed write (every attempt, the first of an outage included). */
export function diskWriteFailedAgain(f: { path: DiskPath; code: string }): void {
  failures().inc({ path: f.path, code: f.code });
}

export function diskOutageStarted(
  log: Logger,
  f: { path: DiskPath; file: string; code: string; reason: string; retryInMs?: number },
): void {
  diskWriteFailedAgain(f);
  outageGauge().set({ path: f.path }, 1);
  setHealthCondition(`disk:${f.path}`, { file: f.file, code: f.code, since: new Date().toISOString() });
  log.error(
    f.path === 'log'
      ? 'The agent cannot write its log file; logging to stderr until it can, shipping goes on'
      : 'A write to disk failed; nothing on this path is acknowledged until it is durably written, retrying',
    { event: 'disk_outage_started', ...f },
  );
}

export function diskOutageEnded(
  log: Logger,
  f: { path: DiskPath; file: string; durationMs: number; failedWrites: number },
): void {
  outageGauge().set({ path: f.path }, 0);
  setHealthCondition(`disk:${f.path}`, undefined);
  log.info('Writes to disk succeed again; the paused path resumed', { event: 'disk_outage_ended', ...f });
}

export function diskTornLineCut(log: Logger, f: { path: DiskPath; file: string; bytes: number }): void {
  counter('casguard_disk_torn_bytes_cut_total', 'Bytes of a torn last line cut when a file was opened.', [
    'path',
  ]).inc({ path: f.path }, f.bytes);
  log.warn(
    'Cut a torn last line (an unacknowledged write interrupted by a crash or a full disk) when opening the file',
    { event: 'disk_torn_line_cut', ...f },
  );
}

function filesDeleted(): Counter {
  return counter(
    'casguard_files_deleted_at_bound_total',
    "Rotated files of the agent's own outputs deleted because their count reached the configured bound.",
    ['path'],
  );
}

/**
 * The oldest rotated file of the file output was deleted at the bound (maxFiles): a local copy, expected and
 * documented, so INFO. For dead letters, deleting means losing records nothing else holds: ERROR.
 */
export function rotatedFileDeleted(
  log: Logger,
  f: { path: 'file-output' | 'dead-letter'; file: string; bytes: number; maxFiles: number },
): void {
  filesDeleted().inc({ path: f.path });
  if (f.path === 'dead-letter')
    log.error(
      'Dead-letter files reached their bound (deadLetter.maxFiles); the oldest was deleted and its records are lost (re-send or archive dead letters sooner, or raise the bound)',
      { event: 'dead_letters_deleted_at_bound', ...f },
    );
  else
    log.info('File output reached its bound (outputs.file.maxFiles); the oldest rotated file was deleted', {
      event: 'file_output_deleted_at_bound',
      ...f,
    });
}
