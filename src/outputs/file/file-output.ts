// The local file output of the embedded default: NDJSON under <path>/, one file per stream
// (activesync.ndjson, application.ndjson, alerts.ndjson). Each line has the shape of an Elasticsearch hit
// ({_id, _index, _source}) so it can be read by people and re-sent by tools.
//
// A document is settled only after its line is wholly written and fsync'd (AppendFile), so the input's
// checkpoint never runs ahead of the disk. A full or failing disk is an outage, not a crash: the failed write
// is rolled back to the last whole line, its documents stay pending (unacknowledged), `push` answers false once
// the pending bytes reach the high-water mark (the inputs wait), the outage is reported once (log event,
// `casguard_disk_outage{path="file-output"}`, a /health condition), and the write is retried with backoff until
// space returns; then every pending line is written once, in order.

import path from 'node:path';
import type { DocumentStream, ShippableDocument } from '../../pipeline/document.types.js';
import { withNamespace } from '../../pipeline/namespace.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';
import { diskTornLineCut, rotatedFileDeleted } from '../../telemetry/disk-events.js';
import type { Logger } from '../../telemetry/logger.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import { AppendFile } from '../disk/append-file.js';
import type { DiskIo } from '../disk/disk-io.js';
import { nodeDiskIo } from '../disk/disk-io.js';
import { DiskOutage } from '../disk/disk-outage.js';
import { appendInPieces, rotateLive } from '../disk/rotated-files.js';
import type { FileOutputConfig } from './file-output.config.js';
import { settle, type OnSettled } from '../../pipeline/settle.js';

export interface FileOutputOptions {
  /** Called for each alert document written (the CLI prints a one-line summary). */
  readonly onAlert?: (doc: ShippableDocument) => void;
  readonly namespace?: string;
  readonly flushIntervalMs?: number;
  /** Pending bytes above which push() asks the caller to wait. */
  readonly highWaterBytes?: number;
  readonly logger?: Logger;
  /** Tests inject a failing disk; the agent uses node:fs. */
  readonly io?: DiskIo;
  /** Backoff of writes retried during a disk outage. */
  readonly retryInitialDelayMs?: number;
  readonly retryMaxDelayMs?: number;
}

/** Default of outputs.file.maxFiles. */
export const FILE_OUTPUT_MAX_FILES = 8;

export function indexNameFor(stream: DocumentStream, namespace = 'default'): string {
  if (stream === 'alerts') return `casguard-alerts-${namespace}`;
  return `logs-exchange.${stream}-${namespace}`;
}

interface Pending {
  lines: string[];
  /** Each line's size in bytes (UTF-8), for the file's size bound. */
  sizes: number[];
  settles: OnSettled[];
  bytes: number;
}

export class FileOutput implements DocumentSink {
  private readonly io: DiskIo;
  private readonly log: Logger;
  private readonly files = new Map<DocumentStream, AppendFile>();
  private pending = new Map<DocumentStream, Pending>();
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];
  private flushWaiters: (() => void)[] = [];
  private closed = false;
  private readonly highWater: number;
  private writtenCount = 0;
  private readonly outage: DiskOutage;

  constructor(
    private readonly config: Omit<FileOutputConfig, 'maxFiles'> & { readonly maxFiles?: number },
    private readonly opts: FileOutputOptions = {},
  ) {
    this.io = opts.io ?? nodeDiskIo;
    this.log = opts.logger ?? nullLogger;
    this.io.mkdirSync(config.path, { recursive: true });
    this.highWater = opts.highWaterBytes ?? 8 * 1024 * 1024;
    this.outage = new DiskOutage({
      path: 'file-output',
      logger: this.log,
      retry: () => this.writeOut(),
      ...(opts.retryInitialDelayMs !== undefined ? { initialDelayMs: opts.retryInitialDelayMs } : {}),
      ...(opts.retryMaxDelayMs !== undefined ? { maxDelayMs: opts.retryMaxDelayMs } : {}),
    });
  }

  get written(): number {
    return this.writtenCount;
  }

  /** True while writes fail (full or failing disk). */
  get inOutage(): boolean {
    return this.outage.active;
  }

  push(doc: ShippableDocument, onSettled: OnSettled): boolean {
    if (this.closed) throw new Error('file output is closed');
    const ns = this.opts.namespace ?? 'default';
    // _source names the data stream _index names (as the Elasticsearch output sends it).
    // A pre-serialized document (parallel replay) has the namespace applied already: the same line.
    const pre = doc.serialized?.full;
    // The replay's workers make the shapes its outputs use (agent.ts workerSource): never missing.
    if (doc.serialized && !pre) throw new Error('a pre-serialized document without its full bytes');
    const line = pre
      ? `{"_id":${JSON.stringify(doc.id)},"_index":${JSON.stringify(indexNameFor(doc.stream, ns))},"_source":${pre.bytes.toString('utf8', pre.start, pre.end)}}\n`
      : JSON.stringify({
          _id: doc.id,
          _index: indexNameFor(doc.stream, ns),
          _source: withNamespace(doc.doc, doc.stream, ns),
        }) + '\n';
    let p = this.pending.get(doc.stream);
    if (!p) this.pending.set(doc.stream, (p = { lines: [], sizes: [], settles: [], bytes: 0 }));
    const bytes = Buffer.byteLength(line, 'utf8');
    p.lines.push(line);
    p.sizes.push(bytes);
    p.settles.push(onSettled);
    p.bytes += bytes;
    this.pendingBytes += bytes;
    if (doc.stream === 'alerts') this.opts.onAlert?.(doc);
    if (this.outage.active) {
      // Writes wait for the retry timer; the pending bytes make the inputs wait at the high-water mark.
    } else if (this.pendingBytes >= this.highWater) {
      this.writeOut();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.writeOut();
      }, this.opts.flushIntervalMs ?? 200);
    }
    return this.pendingBytes < this.highWater;
  }

  drain(): Promise<void> {
    if (this.pendingBytes < this.highWater) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Writes everything pending; resolves when it is on disk (during a disk outage: when space returns). */
  flush(): Promise<void> {
    this.writeOut();
    if (this.pendingBytes === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  /** One last attempt to write; what cannot be written stays unacknowledged (read again at the next start). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.outage.active) this.writeOut();
    this.closed = true;
    this.outage.close();
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const f of this.files.values()) f.close();
    this.files.clear();
    return Promise.resolve();
  }

  private get maxFiles(): number {
    return this.config.maxFiles ?? FILE_OUTPUT_MAX_FILES;
  }

  /**
   * The stream's live file, ready for a line of `nextBytes`: opened if it is not, and rotated first when that line
   * would take it past `maxFileBytes` (an empty file takes any line).
   */
  private fileFor(stream: DocumentStream, nextBytes: number): AppendFile {
    const p = path.join(this.config.path, `${stream}.ndjson`);
    let f = this.files.get(stream);
    if (f && f.size > 0 && f.size + nextBytes > this.config.maxFileBytes) {
      f.close();
      this.files.delete(stream);
      f = undefined;
      rotateLive(this.io, {
        dir: this.config.path,
        live: `${stream}.ndjson`,
        prefix: `${stream}-`,
        maxFiles: this.maxFiles,
        onDeleted: (file, bytes) =>
          rotatedFileDeleted(this.log, { path: 'file-output', file, bytes, maxFiles: this.maxFiles }),
      });
    }
    if (!f) {
      f = new AppendFile(this.io, p);
      if (f.tornBytes > 0) diskTornLineCut(this.log, { path: 'file-output', file: p, bytes: f.tornBytes });
      this.files.set(stream, f);
      // A live file left full by an earlier run.
      if (f.size > 0 && f.size + nextBytes > this.config.maxFileBytes) return this.fileFor(stream, nextBytes);
    }
    return f;
  }

  private writeOut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.closed || this.pending.size === 0) return;
    for (const [stream, p] of this.pending) {
      // In pieces that each fit the live file, rotating between them; each piece is settled once it is on disk.
      let doneBytes = 0;
      const { done, failure } = appendInPieces(
        p.lines,
        p.sizes,
        this.config.maxFileBytes,
        (next) => this.fileFor(stream, next),
        (file, from, to) => {
          this.outage.succeeded(file);
          for (let i = from; i < to; i++) doneBytes += p.sizes[i]!;
          for (let i = from; i < to; i++) settle(p.settles[i]!);
        },
      );
      this.writtenCount += done;
      this.pendingBytes -= doneBytes;
      if (failure) {
        // Rolled back to the last whole line; these documents (and the later streams') wait for the retry.
        this.outage.failed(failure.file ?? path.join(this.config.path, `${stream}.ndjson`), failure.error);
        p.lines.splice(0, done);
        p.sizes.splice(0, done);
        p.settles.splice(0, done);
        p.bytes -= doneBytes;
        return;
      }
      this.pending.delete(stream);
    }
    for (const w of this.drainWaiters.splice(0)) w();
    for (const w of this.flushWaiters.splice(0)) w();
  }
}
