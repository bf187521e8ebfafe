// The local file output of the embedded default: NDJSON under <path>/, one file per stream
// (activesync.ndjson, application.ndjson, alerts.ndjson). Each line has the shape of an Elasticsearch hit
// ({_id, _index, _source}) so it can be read by people and re-sent by tools. Documents are settled only after
// their line is written and fsync'd, so the input's checkpoint never runs ahead of the disk.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { DocumentStream, ShippableDocument } from '../../pipeline/document.types.js';
import { withNamespace } from '../../pipeline/namespace.js';
import type { DocumentSink } from '../../pipeline/stages.types.js';
import type { FileOutputConfig } from './file-output.config.js';

interface StreamFile {
  fd: number;
  size: number;
  readonly path: string;
}

export interface FileOutputOptions {
  /** Called for each alert document written (the CLI prints a one-line summary). */
  readonly onAlert?: (doc: ShippableDocument) => void;
  readonly namespace?: string;
  readonly flushIntervalMs?: number;
  /** Pending bytes above which push() asks the caller to wait. */
  readonly highWaterBytes?: number;
}

export function indexNameFor(stream: DocumentStream, namespace = 'default'): string {
  if (stream === 'alerts') return `casguard-alerts-${namespace}`;
  return `logs-exchange.${stream}-${namespace}`;
}

export class FileOutput implements DocumentSink {
  private readonly files = new Map<DocumentStream, StreamFile>();
  private pending: { stream: DocumentStream; line: string; settle: () => void }[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly highWater: number;
  private writtenCount = 0;

  constructor(
    private readonly config: FileOutputConfig,
    private readonly opts: FileOutputOptions = {},
  ) {
    mkdirSync(config.path, { recursive: true });
    this.highWater = opts.highWaterBytes ?? 8 * 1024 * 1024;
  }

  get written(): number {
    return this.writtenCount;
  }

  push(doc: ShippableDocument, onSettled: () => void): boolean {
    if (this.closed) throw new Error('file output is closed');
    const ns = this.opts.namespace ?? 'default';
    // _source names the data stream _index names (as the Elasticsearch output sends it).
    const line =
      JSON.stringify({
        _id: doc.id,
        _index: indexNameFor(doc.stream, ns),
        _source: withNamespace(doc.doc, doc.stream, ns),
      }) + '\n';
    this.pending.push({ stream: doc.stream, line, settle: onSettled });
    this.pendingBytes += line.length;
    if (doc.stream === 'alerts') this.opts.onAlert?.(doc);
    if (this.pendingBytes >= this.highWater) {
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
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  flush(): Promise<void> {
    this.writeOut();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.writeOut();
    this.closed = true;
    for (const f of this.files.values()) closeSync(f.fd);
    this.files.clear();
    return Promise.resolve();
  }

  private fileFor(stream: DocumentStream): StreamFile {
    let f = this.files.get(stream);
    if (f && f.size >= this.config.maxFileBytes) {
      closeSync(f.fd);
      const rotated = f.path.replace(
        /\.ndjson$/,
        `-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`,
      );
      renameSync(f.path, rotated);
      this.files.delete(stream);
      f = undefined;
    }
    if (!f) {
      const p = path.join(this.config.path, `${stream}.ndjson`);
      const fd = openSync(p, 'a');
      f = { fd, size: statSync(p).size, path: p };
      this.files.set(stream, f);
    }
    return f;
  }

  private writeOut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const byStream = new Map<DocumentStream, string[]>();
    for (const item of batch) {
      let lines = byStream.get(item.stream);
      if (!lines) byStream.set(item.stream, (lines = []));
      lines.push(item.line);
    }
    for (const [stream, lines] of byStream) {
      const f = this.fileFor(stream);
      const text = lines.join('');
      writeSync(f.fd, text);
      f.size += Buffer.byteLength(text);
      fsyncSync(f.fd);
    }
    this.writtenCount += batch.length;
    for (const item of batch) item.settle();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
