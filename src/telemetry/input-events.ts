// Named telemetry events of the file inputs and the checkpoint registry (STYLE.md rule 9): one function per
// occurrence, a fixed sentence, structured fields, a counter. Nothing here is called per record: per-record
// facts (bytes, records, framing errors) only move counters. ERROR means data loss or operator action.

import { setHealthCondition } from './health.js';
import { counter, gauge } from './metrics.js';
import type { Logger } from './logger.types.js';
import { pathText } from './path-text.js';

const LABELS = ['input', 'file'] as const;

/** Per-file metrics; labels are the input id and the file path. */
export const inputMetrics = {
  bytesRead: () =>
    counter('casguard_input_bytes_read_total', 'Bytes read from files (decompressed).', LABELS),
  records: () => counter('casguard_input_records_total', 'Records framed from files.', LABELS),
  errors: () =>
    counter('casguard_input_errors_total', 'Records dead-lettered by framing or parsing, per file.', LABELS),
  lag: () =>
    gauge('casguard_input_lag_bytes', 'Bytes between the committed offset and the end of the file.', LABELS),
  openFiles: () => gauge('casguard_input_open_files', 'File handles held by the inputs.', ['input']),
  events: () => counter('casguard_input_events_total', 'Input telemetry events by name.', ['event']),
};

export function unreadablePathsGauge() {
  return gauge(
    'casguard_input_unreadable_paths',
    'Files and folders an input matches but may not read (permission denied).',
    ['input'],
  );
}

export function pathUnreadable(
  log: Logger,
  f: { inputId: string; path: string; kind: 'file' | 'directory'; code: string },
): void {
  bump('path_unreadable');
  log.error(
    f.kind === 'directory'
      ? 'casguard may not list this folder; files in it are not found or read until it can.'
      : 'casguard may not read this file; it is not read until it can be.',
    { event: 'path_unreadable', ...f, path: pathText(f.path) },
  );
}

export function pathReadableAgain(
  log: Logger,
  f: { inputId: string; path: string; kind: 'file' | 'directory' },
): void {
  bump('path_readable_again');
  log.info('A file or folder that could not be read can be read again.', {
    event: 'path_readable_again',
    ...f,
    path: pathText(f.path),
  });
}

/** Once per path: such a file is read (by its bytes), but only rescans find it and its documents show it lossily. */
export function fileNameNotUtf8(log: Logger, f: { inputId: string; path: string }): void {
  bump('file_name_not_utf8');
  log.warn(
    "A matching file has a name that is not valid UTF-8 (bad bytes shown as \\xNN here). It is read; its documents' log.file.path shows each bad byte as U+FFFD, and it is found by rescans only (the watcher cannot name it).",
    { event: 'file_name_not_utf8', ...f, path: pathText(f.path) },
  );
}

/** Drop a file's series once no reader has that path (a rotated or deleted file must not leave series behind). */
export function forgetFileMetrics(inputId: string, file: string): void {
  const labels = { input: inputId, file: pathText(file) };
  inputMetrics.bytesRead().remove(labels);
  inputMetrics.records().remove(labels);
  inputMetrics.errors().remove(labels);
  inputMetrics.lag().remove(labels);
}

function bump(event: string): void {
  inputMetrics.events().inc({ event });
}

export function inputStarted(log: Logger, f: { inputId: string; baseDirs: string[]; files: number }): void {
  bump('input_started');
  log.info('File input started.', { event: 'input_started', ...f });
}

export function inputStopped(log: Logger, f: { inputId: string; pendingRecords: number }): void {
  bump('input_stopped');
  log.info('File input stopped.', { event: 'input_stopped', ...f });
}

export function shutdownAckTimeout(
  log: Logger,
  f: { inputId: string; pendingRecords: number; waitedMs: number },
): void {
  bump('shutdown_ack_timeout');
  log.warn('Stopped waiting for in-flight documents; their records will be read again on restart.', {
    event: 'shutdown_ack_timeout',
    ...f,
  });
}

export function fileUnrecognised(log: Logger, f: { inputId: string; path: string }): void {
  bump('file_unrecognised');
  log.warn('No format recognises this file; it is skipped.', {
    event: 'file_unrecognised',
    ...f,
    path: pathText(f.path),
  });
}

export function fileOpened(
  log: Logger,
  f: { inputId: string; path: string; format: string; offset: number; encoding: string },
): void {
  bump('file_opened');
  log.debug('Reading file.', { event: 'file_opened', ...f, path: pathText(f.path) });
}

export function fileDuplicate(log: Logger, f: { inputId: string; path: string; sameAs: string }): void {
  bump('file_duplicate');
  log.info('File has the same content identity as a file already being read; it is not read twice.', {
    event: 'file_duplicate',
    ...f,
    path: pathText(f.path),
    sameAs: pathText(f.sameAs),
  });
}

export function fileMoved(log: Logger, f: { inputId: string; from: string; to: string }): void {
  bump('file_moved');
  log.info('File was renamed or copied away; reading continues under its new name.', {
    event: 'file_moved',
    ...f,
    from: pathText(f.from),
    to: pathText(f.to),
  });
}

export function fileTruncated(
  log: Logger,
  f: { inputId: string; path: string; readOffset: number; size: number },
): void {
  bump('file_truncated');
  log.warn('File was truncated or its content replaced; it is read as a new file.', {
    event: 'file_truncated',
    ...f,
    path: pathText(f.path),
  });
}

export function checkpointBeyondEnd(
  log: Logger,
  f: { inputId: string; path: string; checkpointOffset: number; size: number },
): void {
  bump('checkpoint_beyond_end');
  log.warn(
    'Checkpoint is beyond the end of the file (truncated while not watched?); the file is read again from its start under a new identity.',
    { event: 'checkpoint_beyond_end', ...f, path: pathText(f.path) },
  );
}

export function fileGone(log: Logger, f: { inputId: string; path: string; unreadBytes: number }): void {
  bump('file_gone');
  if (f.unreadBytes > 0) {
    log.error('File disappeared before it was read to the end; its unread bytes are lost.', {
      event: 'file_gone',
      ...f,
      path: pathText(f.path),
    });
  } else {
    log.debug('File was removed after it was read to the end.', {
      event: 'file_gone',
      ...f,
      path: pathText(f.path),
    });
  }
}

/** A structural problem that cost no record (EVTX checksum mismatch, skipped chunk); `log` false = count only. */
export function framerWarning(
  log: Logger,
  f: { inputId: string; path: string; code: string; offset: number; message: string },
  logIt: boolean,
): void {
  bump('framer_warning');
  if (logIt)
    log.warn('File structure problem; reading goes on.', {
      event: 'framer_warning',
      ...f,
      path: pathText(f.path),
    });
}

/** `retry` false: a replay, which gives up on the file (its summary names it, and the exit code is 5). */
export function fileReadError(
  log: Logger,
  f: { inputId: string; path: string; error: string },
  retry = true,
): void {
  bump('file_read_error');
  log.warn(
    retry ? 'Could not read file; retrying later.' : 'Could not read file; the rest of it is not replayed.',
    {
      event: 'file_read_error',
      ...f,
      path: pathText(f.path),
    },
  );
}

export function openFilesAboveProcessLimit(
  log: Logger,
  f: { limit: number; requested: number; perInput: number; reserved: number },
): void {
  log.warn(
    `The inputs may hold ${f.requested} open files (maxOpenFiles), more than this process's open-file limit of ${f.limit} (ulimit -n) allows with ${f.reserved} kept for the agent's own files; each input now holds at most ${f.perInput}. Raise the limit (LimitNOFILE in the systemd unit, ulimit -n in a shell) or lower inputs[].maxOpenFiles.`,
    { event: 'open_files_above_process_limit', ...f },
  );
}

export function openFileLimitReached(log: Logger, f: { inputId: string; maxOpenFiles: number }): void {
  bump('open_file_limit');
  log.warn('Open file limit reached; files take turns.', { event: 'open_file_limit', ...f });
}

export function watcherError(log: Logger, f: { inputId: string; error: string }): void {
  bump('watcher_error');
  log.warn('File watcher or directory scan error; retrying at the next rescan.', {
    event: 'watcher_error',
    ...f,
  });
}

export function registryCorrupt(
  log: Logger,
  f: { path: string; error: string; recoveredFrom: string; keptAs?: string },
): void {
  bump('registry_corrupt');
  log.error('Checkpoint registry was unreadable; recovered from the best copy available.', {
    event: 'registry_corrupt',
    ...f,
    path: pathText(f.path),
  });
}

/** Failed registry writes (every attempt); the outage itself is logged once (registryWriteFailed). */
function registryWriteFailures() {
  return counter('casguard_registry_write_failures_total', 'Failed writes of the checkpoint registry.', []);
}

/** The first failed write of an outage: logged once, a /health condition until a write succeeds. */
export function registryWriteFailed(log: Logger, f: { path: string; error: string }): void {
  bump('registry_write_failed');
  registryWriteFailures().inc();
  setHealthCondition('registry', { file: f.path, error: f.error, since: new Date().toISOString() });
  log.error(
    'Could not write the checkpoint registry; offsets are kept in memory and written when it works again.',
    {
      event: 'registry_write_failed',
      ...f,
      path: pathText(f.path),
    },
  );
}

/** Another failed write during the same outage: counted, not logged. */
export function registryWriteFailedAgain(): void {
  registryWriteFailures().inc();
}

export function registryWriteRecovered(
  log: Logger,
  f: { path: string; failedWrites: number; durationMs: number },
): void {
  bump('registry_write_recovered');
  setHealthCondition('registry', undefined);
  log.info('The checkpoint registry is written again.', {
    event: 'registry_write_recovered',
    ...f,
    path: pathText(f.path),
  });
}

/** A checkpoint commit failed for another reason than the registry write (which reports itself). */
export function checkpointCommitFailed(log: Logger, f: { inputId: string; error: string }): void {
  bump('checkpoint_commit_failed');
  log.warn('Could not commit checkpoints; retrying at the next commit.', {
    event: 'checkpoint_commit_failed',
    ...f,
  });
}
