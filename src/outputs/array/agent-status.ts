// The fleet view's writer side: one status document per agent and interval (and at start and stop) in
// `casguard-agents-<namespace>`, shaped exactly as src/setup/agent-status-fields.ts declares (the template and the
// Kibana panels read those names), plus the same document in <dataDir>/status.json for `casguard status` on a
// host without a cluster. Also the two measurements only the disk can answer: per-file lag against the
// checkpoints, and the size of the spool and dead-letter folders.
//
// Lag: lag_bytes = file size − committed offset. lag_seconds = how long the unacknowledged bytes have waited:
// the file's last modification minus the checkpoint's last commit, 0 when nothing is waiting.
// last_event_time = the newest @timestamp handed to the outputs for the file (EventTimes, below): handed over,
// not yet necessarily acknowledged.

import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JsonValue, ShippableDocument } from '../../pipeline/document.types.js';
import { describeError } from '../../pipeline/errors.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';
import type { Logger } from '../../telemetry/logger.types.js';
import type { DocStore } from './doc-store.js';
import type { OnSettled } from '../../pipeline/settle.js';

export type AgentState = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped';
export type OutputHealth = 'ok' | 'degraded' | 'down' | 'none';

/** What the lag needs from a checkpoint (structurally the registry's Checkpoint). */
export interface CheckpointView {
  readonly inputId: string;
  readonly path: string;
  readonly offset: number;
  readonly updatedAt: string;
}

export interface FileStatus {
  input_id: string;
  path: string;
  lag_bytes: number;
  lag_seconds: number;
  last_event_time?: string;
}

/** Newest event time handed to the outputs, per file (log.file.path) and overall. */
export class EventTimes {
  private readonly byPath = new Map<string, string>();
  newest: string | undefined;

  observe(doc: ShippableDocument): void {
    if (doc.stream === 'alerts') return;
    const ts = doc.doc['@timestamp'];
    const log = doc.doc['log'];
    const file = log && typeof log === 'object' && !Array.isArray(log) ? log['file'] : undefined;
    const p = file && typeof file === 'object' && !Array.isArray(file) ? file['path'] : undefined;
    // ISO 8601 UTC strings of one format compare as strings.
    if (typeof p === 'string') {
      const prev = this.byPath.get(p);
      if (prev === undefined || ts > prev) this.byPath.set(p, ts);
    }
    if (this.newest === undefined || ts > this.newest) this.newest = ts;
  }

  of(p: string): string | undefined {
    return this.byPath.get(p);
  }
}

/** A sink that notes event times on the way to the real one. */
export class ObservedSink implements DocumentSink {
  constructor(
    private readonly inner: DocumentSink,
    private readonly times: EventTimes,
  ) {}
  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    this.times.observe(doc);
    return this.inner.push(doc, onSettled);
  }
  drain(): Promise<void> {
    return this.inner.drain();
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export async function fileLag(
  checkpoints: readonly CheckpointView[],
  times: EventTimes,
): Promise<FileStatus[]> {
  const out: FileStatus[] = [];
  for (const cp of checkpoints) {
    let size = cp.offset;
    let mtime = Date.parse(cp.updatedAt);
    try {
      const st = await stat(cp.path);
      size = st.size;
      mtime = st.mtimeMs;
    } catch {
      // gone (rotated away, deleted): nothing left to read
    }
    const lagBytes = Math.max(0, size - cp.offset);
    const waited = lagBytes > 0 ? Math.max(0, Math.round((mtime - Date.parse(cp.updatedAt)) / 1000)) : 0;
    const last = times.of(cp.path);
    out.push({
      input_id: cp.inputId,
      path: cp.path,
      lag_bytes: lagBytes,
      lag_seconds: Number.isFinite(waited) ? waited : 0,
      ...(last !== undefined ? { last_event_time: last } : {}),
    });
  }
  return out;
}

/** Total size of the files under a folder (0 if it does not exist). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    try {
      const st = await stat(path.join(dir, n));
      total += st.isDirectory() ? await folderBytes(path.join(dir, n)) : st.size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

export interface StatusWriterOptions {
  /** Undefined without a cluster: only the local file is written. */
  readonly store?: DocStore;
  readonly index: string;
  readonly localFile: string;
  readonly intervalMs: number;
  /** The document for a state (agent-status-fields.ts shape). */
  readonly collect: (state: AgentState) => Promise<Record<string, JsonValue>>;
  readonly logger: Logger;
}

export class AgentStatusWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  lastSuccess: string | undefined;
  lastError: string | undefined;
  /** The last status write to the cluster failed. */
  failing = false;

  constructor(private readonly opts: StatusWriterOptions) {}

  start(state: () => AgentState): void {
    this.timer = setInterval(() => void this.write(state()), this.opts.intervalMs);
    this.timer.unref();
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Write one status document now (one write at a time). Never throws: a failure is logged once per outage. */
  write(state: AgentState): Promise<void> {
    this.writing = this.writing.then(() => this.writeOnce(state));
    return this.writing;
  }

  private async writeOnce(state: AgentState): Promise<void> {
    let doc: Record<string, JsonValue>;
    try {
      doc = await this.opts.collect(state);
    } catch (e) {
      this.opts.logger.warn('agent status could not be collected', { error: describeError(e) });
      return;
    }
    try {
      await mkdir(path.dirname(this.opts.localFile), { recursive: true });
      const tmp = `${this.opts.localFile}.tmp`;
      await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`);
      await rename(tmp, this.opts.localFile);
    } catch (e) {
      this.opts.logger.warn('agent status file could not be written', {
        path: this.opts.localFile,
        error: describeError(e),
      });
    }
    if (!this.opts.store) return;
    const agent = doc['agent'] as Record<string, JsonValue>;
    const id = `${typeof agent['id'] === 'string' ? agent['id'] : 'agent'}-${Date.parse(doc['@timestamp'] as string)}-${state}`;
    try {
      await this.opts.store.put(this.opts.index, id, doc, 'any');
      this.lastSuccess = new Date().toISOString();
      if (this.failing) this.opts.logger.info('agent status written again', { index: this.opts.index });
      this.failing = false;
    } catch (e) {
      this.lastError = describeError(e);
      if (!this.failing)
        this.opts.logger.warn('agent status could not be written; retried at the next interval', {
          index: this.opts.index,
          error: this.lastError,
        });
      this.failing = true;
    }
  }
}
